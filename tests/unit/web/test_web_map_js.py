"""The map widget's geometry (web/src/map.mjs), run in Node.js: Web Mercator tiles as every tile service uses."""

from __future__ import annotations

import math
from pathlib import Path

from shared import maps
from tests.helpers import run_node_module

MAP_JS = Path(__file__).resolve().parents[3] / "web" / "src" / "map.mjs"


def test_project_matches_the_tile_formula_and_unproject_goes_back(tmp_path):
    places = [(51.2724, 0.5218, 13), (51.1, 0.33, 11), (51.39, 0.85, 16), (60.15, -1.15, 7)]
    script = """
import { project, unproject } from "./map.mjs";
const places = %s;
const out = places.map(([lat, lng, z]) => {
  const p = project(lat, lng, z);
  const back = unproject(p.x, p.y, z);
  return { tile: [Math.floor(p.x / 256), Math.floor(p.y / 256)], back: [back.lat, back.lng] };
});
console.log(JSON.stringify(out));
""" % [list(p) for p in places]
    results = run_node_module(script, {"map.mjs": MAP_JS.read_text()}, tmp_path)
    for (lat, lng, zoom), result in zip(places, results, strict=True):
        assert tuple(result["tile"]) == maps.tile_xy(lat, lng, zoom)  # the server's tile formula
        assert math.isclose(result["back"][0], lat, abs_tol=1e-9)
        assert math.isclose(result["back"][1], lng, abs_tol=1e-9)
