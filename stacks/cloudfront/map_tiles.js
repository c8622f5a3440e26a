// CloudFront Function (JavaScript runtime 2.0), viewer request on /map-tiles/*: checks the tile address, then
// sends the request to the tile service with the council's API key from the key value store. The key never
// reaches a browser, a page or a log; the tile response is cached without it (the cache key has no query string).
// The CDK stack fills in the double-underscored placeholders from the environment's map settings.
import cf from 'cloudfront';

const kvs = cf.kvs();
const TILE = /^\/map-tiles\/(\d{1,2})\/(\d{1,7})\/(\d{1,7})\.png$/;
// Zoom -> [x_min, x_max, y_min, y_max]: the council's area and a margin, at its zoom levels (shared/maps.py).
const RANGES = __TILE_RANGES__;

function refuse(statusCode, statusDescription) {
    return { statusCode: statusCode, statusDescription: statusDescription };
}

async function handler(event) {
    const request = event.request;
    const match = TILE.exec(request.uri);
    if (!match) {
        return refuse(404, 'Not Found');
    }
    const z = parseInt(match[1], 10);
    const x = parseInt(match[2], 10);
    const y = parseInt(match[3], 10);
    const range = RANGES[z];
    // Outside the zoom levels the council chose (Premium levels cost money) or outside its area (the key is the
    // council's, for its residents' maps, not a tile server for the country): no request.
    if (!range || x < range[0] || x > range[1] || y < range[2] || y > range[3]) {
        return refuse(404, 'Not Found');
    }
    let key;
    try {
        key = await kvs.get('__KEY_NAME__');
    } catch (err) {
        return refuse(503, 'Service Unavailable');
    }
    request.uri = '/' + z + '/' + x + '/' + y + '.png';
    request.querystring = { '__KEY_PARAMETER__': { value: key } };
    request.cookies = {};
    return request;
}
