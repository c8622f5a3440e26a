"""The map on location questions: its settings, the widget's markup, what the widget posts, the tile stand-in."""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path

import pytest
from pydantic import ValidationError
from web.render import map_settings

from local.sandbox.tiles import TileStandIn, stand_ins, tile_png
from shared import maps
from tests.unit.web.web_support import Client, harness, location
from web import render

ROOT = Path(__file__).resolve().parents[3]
CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]["environments"]
MAIDSTONE = CONTEXT["dev"]["map"]


@pytest.fixture
def with_map(monkeypatch):
    monkeypatch.setenv(maps.ENVIRONMENT_VARIABLE, json.dumps(MAIDSTONE))
    map_settings.cache_clear()
    yield maps.MapSettings.model_validate(MAIDSTONE)
    map_settings.cache_clear()


@pytest.fixture
def without_map(monkeypatch):
    monkeypatch.delenv(maps.ENVIRONMENT_VARIABLE, raising=False)
    map_settings.cache_clear()
    yield
    map_settings.cache_clear()


# -- settings ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("environment", sorted(CONTEXT))
def test_each_environment_in_cdk_json_has_a_valid_map(environment):
    settings = maps.MapSettings.model_validate(CONTEXT[environment]["map"])
    assert settings.min_zoom <= settings.zoom <= settings.max_zoom
    assert maps.from_environment({maps.ENVIRONMENT_VARIABLE: settings.to_environment()}) == settings


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"zoom": 17}, "zoom must be between min_zoom and max_zoom"),
        ({"centre": {"latitude": 51.5, "longitude": 0.5}}, "centre must be inside"),
        ({"south_west": MAIDSTONE["north_east"], "north_east": MAIDSTONE["south_west"]}, "south and west"),
        ({"centre": {"latitude": 48.85, "longitude": 2.35}}, "latitude"),
        ({"tiles_origin": "https://api.os.uk/"}, "tiles_origin"),
        ({"tiles_path": "/maps/../x y"}, "tiles_path"),
        ({"max_zoom": 21}, "max_zoom"),
        ({"tile_url": "https://example.org"}, "tile_url"),
    ],
)
def test_a_broken_map_setting_is_refused_naming_what_is_wrong(change, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        maps.MapSettings.model_validate({**MAIDSTONE, **change})


def test_no_settings_in_the_environment_means_no_map():
    assert maps.from_environment({}) is None
    assert maps.from_environment({maps.ENVIRONMENT_VARIABLE: "  "}) is None


# -- the page ------------------------------------------------------------------------------------------------------
def _location_page(catalogue) -> str:
    client = Client(harness(catalogue).web)
    client.get(location(client.get("/services/fly-tipping/begin")))
    reply = client.get("/services/fly-tipping/location")
    assert reply.status == 200, reply.body[:500]
    return reply.body


def test_a_location_page_carries_the_map_for_the_script_hidden_until_it_starts(catalogue, with_map):
    body = _location_page(catalogue)
    widget = re.search(r'<div class="borough-map" data-module="borough-map" hidden(.*?)>', body, re.S)
    assert widget is not None
    attributes = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', widget.group(1)))
    assert attributes["tiles"] == "/map-tiles/{z}/{x}/{y}.png"
    assert attributes["centre"] == f"{with_map.centre.latitude},{with_map.centre.longitude}"
    south, west, north, east = (float(v) for v in attributes["bounds"].split(","))
    assert (south, west) == (with_map.south_west.latitude, with_map.south_west.longitude)
    assert (north, east) == (with_map.north_east.latitude, with_map.north_east.longitude)
    assert (attributes["zoom"], attributes["min-zoom"], attributes["max-zoom"]) == ("13", "10", "16")
    # The fields the script writes into are on the page, in the same form.
    for field in ("latitude-input", "longitude-input"):
        assert f'id="{attributes[field]}"' in body
    assert 'role="application"' in body
    assert 'aria-live="polite"' in body
    assert "Contains OS data" in body
    assert 'name="location.postcode"' in body  # the text fallback is still there


def test_without_map_settings_no_page_has_a_map(catalogue, without_map):
    body = _location_page(catalogue)
    assert "borough-map" not in body
    assert 'name="location.latitude"' in body
    assert 'name="location.description"' in body


def test_a_place_marked_on_the_map_is_saved_and_shown_on_check_your_answers(catalogue, with_map):
    h = harness(catalogue)
    client = Client(h.web)
    client.get(location(client.get("/services/fly-tipping/begin")))
    client.get("/services/fly-tipping/location")
    # What the widget leaves in the form: the latitude and longitude fields filled, the rest empty.
    form = {
        "location.postcode": "",
        "location.description": "",
        "location.latitude": "51.274512",
        "location.longitude": "0.523077",
    }
    assert location(client.post("/services/fly-tipping/location", form)).startswith("/services/fly-tipping/")
    (draft_id,) = h.drafts.items
    draft = h.drafts.get(draft_id)
    assert draft is not None
    assert draft.answers["location"] == {"latitude": 51.274512, "longitude": 0.523077}
    page = client.get("/services/fly-tipping/location").body
    assert 'value="51.274512"' in page  # the widget starts from the saved place


def test_a_point_outside_the_uk_is_refused_even_if_the_script_is_bypassed(catalogue, with_map):
    client = Client(harness(catalogue).web)
    client.get(location(client.get("/services/fly-tipping/begin")))
    client.get("/services/fly-tipping/location")
    reply = client.post(
        "/services/fly-tipping/location", {"location.latitude": "48.8566", "location.longitude": "2.3522"}
    )
    assert reply.status == 400
    assert "The point on the map must be in the UK" in reply.body


def test_the_assets_have_the_map_script_and_the_page_script_loads_it_only_where_there_is_a_map():
    manifest = json.loads(render.ASSET_MANIFEST.read_text())
    assert "map.js" in manifest
    source = (ROOT / "web" / "src" / "application.mjs").read_text()
    assert "document.querySelector('[data-module=\"borough-map\"]')" in source
    assert 'import("./map.mjs")' in source


# -- the tile stand-in ---------------------------------------------------------------------------------------------
def _png_size(data: bytes) -> tuple[int, int, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, {}
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, kind
        chunks[kind] = body
        offset += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    return width, height, zlib.decompress(chunks[b"IDAT"])


def test_a_stand_in_tile_is_a_valid_256_pixel_png_whose_grid_lines_move_with_the_map():
    width, height, pixels = _png_size(tile_png(13, 4107, 2739))
    assert (width, height) == (256, 256)
    assert len(pixels) == 256 * 257  # one filter byte per row
    assert tile_png(13, 4107, 2739) != tile_png(13, 4108, 2739)  # major lines fall elsewhere in the next tile


def test_the_stand_in_makes_the_edge_functions_checks(with_map):
    tiles = TileStandIn(with_map)
    status, headers, body = tiles.handle("GET", "/map-tiles/13/4107/2739.png")
    assert status == 200
    assert dict(headers)["content-type"] == "image/png"
    assert body.startswith(b"\x89PNG")
    assert tiles.handle("HEAD", "/map-tiles/13/4107/2739.png")[2] == b""
    assert tiles.handle("GET", "/map-tiles/17/65000/43000.png")[0] == 404  # above max_zoom (Premium)
    assert tiles.handle("GET", "/map-tiles/9/256/170.png")[0] == 404  # below min_zoom
    assert tiles.handle("GET", "/map-tiles/13/8192/0.png")[0] == 404  # x outside the world at zoom 13
    assert tiles.handle("GET", "/map-tiles/13/4093/2724.png")[0] == 404  # London: not the council's area
    assert tiles.handle("GET", "/map-tiles/13/1/2.jpg")[0] == 404
    assert tiles.handle("GET", "/map-tiles/../../etc/passwd")[0] == 404
    assert tiles.handle("POST", "/map-tiles/13/4107/2739.png")[0] == 403


def test_tile_ranges_cover_the_area_and_a_margin_at_each_zoom_and_nothing_else(with_map):
    ranges = maps.tile_ranges(with_map)
    assert sorted(ranges) == list(range(with_map.min_zoom, with_map.max_zoom + 1))
    for zoom, (x_min, x_max, y_min, y_max) in ranges.items():
        for corner in (with_map.south_west, with_map.north_east, with_map.centre):
            x, y = maps.tile_xy(corner.latitude, corner.longitude, zoom)
            assert x_min + maps.TILE_MARGIN <= x <= x_max - maps.TILE_MARGIN
            assert y_min + maps.TILE_MARGIN <= y <= y_max - maps.TILE_MARGIN
    # Maidstone at zoom 13 is a few tiles across; Buckingham Palace is not among them.
    x_min, x_max, y_min, y_max = ranges[13]
    assert (x_max - x_min, y_max - y_min) == (16, 14)
    palace = maps.tile_xy(51.5014, -0.1419, 13)
    assert not (x_min <= palace[0] <= x_max and y_min <= palace[1] <= y_max)


def test_stand_ins_are_found_from_the_functions_environments():
    found = stand_ins([{}, {"OTHER": "x"}, {maps.ENVIRONMENT_VARIABLE: json.dumps(MAIDSTONE)}])
    assert list(found) == ["api.os.uk"]
