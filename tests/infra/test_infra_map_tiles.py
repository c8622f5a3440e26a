"""Map tiles through CloudFront: the behaviour, its caching, the key value store, and the viewer function itself
(run in Node.js against a stand-in of CloudFront's `cloudfront` module)."""

from __future__ import annotations

import json

import pytest

from shared import maps
from stacks.constructs.web_distribution import MAP_TILE_MAX_AGE, map_tiles_function_code
from tests.helpers import run_node_module

pytestmark = pytest.mark.infra


def _web(synth, type_):
    return [r for r in synth.resources(type_) if r.stack == synth.stack("Web")]


def _settings(synth) -> maps.MapSettings:
    function = next(f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == "web.handler.handler")
    settings = maps.from_environment(function.props["Environment"]["Variables"])
    assert settings is not None, "the web function has no MAP_SETTINGS"
    return settings


def test_tiles_come_from_the_tile_service_over_https_for_get_and_head_only(synth):
    settings = _settings(synth)
    (distribution,) = _web(synth, "AWS::CloudFront::Distribution")
    config = distribution.props["DistributionConfig"]
    behaviour = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == f"{maps.TILES_PATH}/*")
    origin = next(o for o in config["Origins"] if o["Id"] == behaviour["TargetOriginId"])
    assert origin["DomainName"] == settings.tiles_origin == "api.os.uk"
    assert origin["OriginPath"] == settings.tiles_path
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    assert behaviour["ViewerProtocolPolicy"] == "https-only"
    assert behaviour.get("ResponseHeadersPolicyId")
    (association,) = behaviour["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    function = synth.get(synth.refers_to(distribution.stack, association["FunctionARN"]))
    assert function.props["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    (store,) = _web(synth, "AWS::CloudFront::KeyValueStore")
    (kvs,) = function.props["FunctionConfig"]["KeyValueStoreAssociations"]
    assert synth.refers_to(function.stack, kvs["KeyValueStoreARN"]) == store.id


def test_tiles_are_cached_a_week_without_the_key_and_only_the_key_reaches_the_service(synth):
    (distribution,) = _web(synth, "AWS::CloudFront::Distribution")
    behaviour = next(
        b for b in distribution.props["DistributionConfig"]["CacheBehaviors"] if b["PathPattern"] == "/map-tiles/*"
    )
    cache = synth.get(synth.refers_to(distribution.stack, behaviour["CachePolicyId"])).props["CachePolicyConfig"]
    assert cache["DefaultTTL"] == cache["MaxTTL"] == int(MAP_TILE_MAX_AGE.to_seconds())
    keys = cache["ParametersInCacheKeyAndForwardedToOrigin"]
    assert keys["QueryStringsConfig"]["QueryStringBehavior"] == "none"
    assert keys["HeadersConfig"]["HeaderBehavior"] == "none"
    assert keys["CookiesConfig"]["CookieBehavior"] == "none"
    forward = synth.get(synth.refers_to(distribution.stack, behaviour["OriginRequestPolicyId"]))
    config = forward.props["OriginRequestPolicyConfig"]
    assert config["QueryStringsConfig"] == {"QueryStringBehavior": "whitelist", "QueryStrings": ["key"]}
    assert config["HeadersConfig"]["HeaderBehavior"] == "none"
    assert config["CookiesConfig"]["CookieBehavior"] == "none"


def test_no_api_key_is_in_any_template(synth):
    for stack in synth.templates:
        text = json.dumps(synth.templates[stack])
        assert "key=" not in text.replace("?key=", "")  # no tile URL with a key baked in
    function = _web(synth, "AWS::CloudFront::Function")
    code = next(f for f in function if "kvs" in f.props["FunctionCode"]).props["FunctionCode"]
    assert "__" not in code  # every placeholder filled


# -- the viewer function, run ----------------------------------------------------------------------------------------
_CLOUDFRONT_MODULE = """
export default {
  kvs() {
    return {
      async get(name) {
        const keys = globalThis.KEYS || {};
        if (!(name in keys)) throw new Error(`key ${name} not found`);
        return keys[name];
      },
    };
  },
};
"""

_DRIVER = """
import { handler } from "./function.mjs";
const cases = %s;
const out = [];
for (const [uri, keys] of cases) {
  globalThis.KEYS = keys;
  const request = { method: "GET", uri, querystring: { key: { value: "from-browser" } }, headers: {},
                    cookies: { borough_draft: { value: "secret" } } };
  out.push(await handler({ request }));
}
console.log(JSON.stringify(out));
"""


def _run(settings: maps.MapSettings, cases: list[tuple[str, dict[str, str]]], tmp_path) -> list[dict]:
    files = {
        "node_modules/cloudfront/package.json": json.dumps(
            {"name": "cloudfront", "type": "module", "main": "index.js"}
        ),
        "node_modules/cloudfront/index.js": _CLOUDFRONT_MODULE,
        "function.mjs": map_tiles_function_code(settings) + "\nexport { handler };\n",
    }
    return run_node_module(_DRIVER % json.dumps(cases), files, tmp_path)  # type: ignore[no-any-return]


def test_the_viewer_function_adds_the_key_and_refuses_what_is_not_a_tile(dev, tmp_path):
    settings = _settings(dev)
    key = {settings.key_name: "council-key-123"}
    tile, premium, coarse, outside, elsewhere, other, no_key = _run(
        settings,
        [
            ("/map-tiles/13/4107/2739.png", key),
            ("/map-tiles/17/65000/43000.png", key),
            ("/map-tiles/9/256/170.png", key),
            ("/map-tiles/13/8192/1.png", key),
            ("/map-tiles/13/4093/2724.png", key),  # central London: another council's area
            ("/map-tiles/13/4107/2739.png/../../admin", key),
            ("/map-tiles/13/4107/2739.png", {}),
        ],
        tmp_path,
    )
    assert tile["uri"] == "/13/4107/2739.png"  # the origin path adds the layer
    assert tile["querystring"] == {"key": {"value": "council-key-123"}}  # the browser's own ?key= is dropped
    assert tile["cookies"] == {}  # residents' cookies never go to the tile service
    for refused in (premium, coarse, outside, elsewhere, other):
        assert refused == {"statusCode": 404, "statusDescription": "Not Found"}
    assert no_key["statusCode"] == 503
