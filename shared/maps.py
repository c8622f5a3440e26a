"""The map residents mark a place on: which raster tiles, what area, which zoom levels.

One model for both sides: the CDK app validates an environment's `map` settings with it (cdk.json), and the web
function reads the same settings back from its `MAP_SETTINGS` environment variable to draw the map widget.

Tiles are Web Mercator (EPSG:3857) `{z}/{x}/{y}.png` images, e.g. Ordnance Survey's OS Maps API (`Light_3857`,
zoom 7-16 are OS OpenData; 17-20 are Premium, free to councils under the Public Sector Geospatial Agreement).
Browsers fetch them from the council's own site (`/map-tiles/...`): CloudFront adds the API key at the edge, so the
key is in no page, template or log.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import NoDecode

from shared.location import UK_LATITUDE, UK_LONGITUDE
from shared.settings import FunctionSettings, current

TILES_PATH = "/map-tiles"  # the site's path for tiles; CloudFront sends it to the tile service
TILE_URL_TEMPLATE = TILES_PATH + "/{z}/{x}/{y}.png"
ENVIRONMENT_VARIABLE = "MAP_SETTINGS"

Latitude = Field(ge=UK_LATITUDE[0], le=UK_LATITUDE[1])
Longitude = Field(ge=UK_LONGITUDE[0], le=UK_LONGITUDE[1])


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    latitude: float = Latitude
    longitude: float = Longitude


class MapSettings(BaseModel):
    """An environment's map. `bounds` is the council's area with a margin: the map does not pan outside it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tiles_origin: str = Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
    tiles_path: str = Field(default="", pattern=r"^(/[A-Za-z0-9._~-]+)*$")  # before /{z}/{x}/{y}.png
    # The API key's name in the CloudFront key value store, and the query parameter the tile service wants it in.
    key_name: str = Field(default="os-maps-api-key", pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    key_parameter: str = Field(default="key", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    attribution: str = Field(min_length=3, max_length=200)
    centre: Point
    south_west: Point
    north_east: Point
    zoom: int = Field(ge=7, le=20)
    min_zoom: int = Field(default=10, ge=7, le=20)
    max_zoom: int = Field(default=16, ge=7, le=20)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.min_zoom <= self.zoom <= self.max_zoom:
            raise ValueError("map: zoom must be between min_zoom and max_zoom")
        sw, ne, centre = self.south_west, self.north_east, self.centre
        if not (sw.latitude < ne.latitude and sw.longitude < ne.longitude):
            raise ValueError("map: south_west must be south and west of north_east")
        if not (sw.latitude <= centre.latitude <= ne.latitude and sw.longitude <= centre.longitude <= ne.longitude):
            raise ValueError("map: centre must be inside south_west..north_east")
        return self

    def to_environment(self) -> str:
        return self.model_dump_json()


TILE_MARGIN = 2  # tiles beyond the area: the map's centre stops at its edge, so half a viewport shows beyond it


def tile_xy(latitude: float, longitude: float, zoom: int) -> tuple[int, int]:
    """The Web Mercator tile that holds a point (the slippy-map formula)."""
    n = 2**zoom
    x = int((longitude + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(latitude))) / math.pi) / 2 * n)
    return x, y


def tile_ranges(settings: MapSettings) -> dict[int, tuple[int, int, int, int]]:
    """Zoom -> (x_min, x_max, y_min, y_max) of the tiles the map can show: the area plus TILE_MARGIN tiles, at the
    environment's zoom levels. The edge function and the local stand-in refuse every other tile, so the council's
    tile key cannot be used to fetch the rest of the country through its site."""
    ranges = {}
    for zoom in range(settings.min_zoom, settings.max_zoom + 1):
        west, north = tile_xy(settings.north_east.latitude, settings.south_west.longitude, zoom)
        east, south = tile_xy(settings.south_west.latitude, settings.north_east.longitude, zoom)
        last = 2**zoom - 1
        ranges[zoom] = (
            max(0, west - TILE_MARGIN),
            min(last, east + TILE_MARGIN),
            max(0, north - TILE_MARGIN),
            min(last, south + TILE_MARGIN),
        )
    return ranges


def parse(raw: str) -> MapSettings | None:
    """`MAP_SETTINGS`'s value as a map, or None when it is blank (no map: the text fallback only)."""
    if not raw.strip():
        return None
    return MapSettings.model_validate(json.loads(raw))


class MapEnvironment(FunctionSettings):
    """What a function that draws the map needs: its settings model derives from this one."""

    map_settings: Annotated[MapSettings | None, NoDecode] = None  # JSON; absent or blank: no map

    @field_validator("map_settings", mode="before")
    @classmethod
    def _from_json(cls, raw: Any) -> Any:
        return parse(raw) if isinstance(raw, str) else raw


def from_environment(environ: Mapping[str, str] | None = None) -> MapSettings | None:
    """The map in `environ` (a function's environment, e.g. as the local cloud has it), or in this process's
    environment through `MapEnvironment` when none is given; None when there is no map."""
    if environ is None:
        return current(MapEnvironment).map_settings
    return parse(environ.get(ENVIRONMENT_VARIABLE, ""))
