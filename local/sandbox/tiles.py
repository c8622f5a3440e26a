"""A stand-in for the map tile service (OS Maps API in AWS), so the map widget works offline.

In AWS, CloudFront's `/map-tiles/*` behaviour runs a viewer function that checks the tile's address and zoom,
adds the API key from its key value store and sends `/{z}/{x}/{y}.png` to the tile service. The local front door
runs no viewer functions, so this stand-in answers the viewer's own path and makes the same checks (zoom within
the environment's `min_zoom`..`max_zoom`, x and y inside the council's area and a margin: `maps.tile_ranges`)
before drawing a plain tile: a light ground
with a grid, darker every 5th line so that panning and zooming can be seen. PNGs are drawn with zlib only.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterable, Mapping
from functools import lru_cache

from shared import maps

TILE_SIZE = 256
_TILE_PATH = re.compile(rf"^{re.escape(maps.TILES_PATH)}/(\d{{1,2}})/(\d{{1,7}})/(\d{{1,7}})\.png$")
_GROUND, _LINE, _MAJOR, _EDGE = 0, 1, 2, 3
_SPACING = 32
_MAJOR_SPACING = 5 * _SPACING  # not a divisor of 256: each tile's darker lines fall in other places
_PALETTE = bytes((243, 242, 241, 220, 220, 214, 190, 196, 200, 177, 180, 182))
CACHE_CONTROL = "public, max-age=604800"  # as the CloudFront behaviour's cache policy (a week)

Response = tuple[int, list[tuple[str, str]], bytes]


class TileStandIn:
    """Serves `/map-tiles/{z}/{x}/{y}.png` for one environment's map settings."""

    def __init__(self, settings: maps.MapSettings) -> None:
        self.settings = settings
        self.ranges = maps.tile_ranges(settings)

    def handle(self, method: str, path: str) -> Response:
        if method.upper() not in ("GET", "HEAD"):
            return _text(403, "This distribution is not configured to allow the method")
        match = _TILE_PATH.fullmatch(path.split("?", 1)[0])
        if match is None:
            return _text(404, "Not Found")
        z, x, y = (int(part) for part in match.groups())
        x_min, x_max, y_min, y_max = self.ranges.get(z, (1, 0, 1, 0))  # an empty range outside the zoom levels
        if not (x_min <= x <= x_max and y_min <= y <= y_max):
            return _text(404, "Not Found")
        body = tile_png(z, x, y)
        headers = [("content-type", "image/png"), ("cache-control", CACHE_CONTROL), ("content-length", str(len(body)))]
        return 200, headers, b"" if method.upper() == "HEAD" else body


def stand_ins(environments: Iterable[Mapping[str, str]]) -> dict[str, TileStandIn]:
    """The tile service's domain -> its stand-in, from the functions' environments (the web's `MAP_SETTINGS`)."""
    found: dict[str, TileStandIn] = {}
    for environment in environments:
        settings = maps.from_environment(dict(environment))
        if settings is not None:
            found[settings.tiles_origin] = TileStandIn(settings)
    return found


@lru_cache(maxsize=512)
def tile_png(z: int, x: int, y: int) -> bytes:
    """A 256 x 256 palette PNG. Grid lines fall on the same map positions at every tile, so neighbours join."""
    del z  # every zoom level looks alike; what moves is where the lines fall relative to the map
    rows = []
    for row in range(TILE_SIZE):
        y_on_map = y * TILE_SIZE + row
        pixels = bytearray()
        for column in range(TILE_SIZE):
            x_on_map = x * TILE_SIZE + column
            if row == 0 or column == 0:
                pixels.append(_EDGE)
            elif y_on_map % _MAJOR_SPACING == 0 or x_on_map % _MAJOR_SPACING == 0:
                pixels.append(_MAJOR)
            elif y_on_map % _SPACING == 0 or x_on_map % _SPACING == 0:
                pixels.append(_LINE)
            else:
                pixels.append(_GROUND)
        rows.append(b"\x00" + bytes(pixels))
    header = struct.pack(">IIBBBBB", TILE_SIZE, TILE_SIZE, 8, 3, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"PLTE", _PALETTE),
            _chunk(b"IDAT", zlib.compress(b"".join(rows), 9)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _text(status: int, message: str) -> Response:
    body = message.encode()
    return status, [("content-type", "text/plain"), ("content-length", str(len(body)))], body
