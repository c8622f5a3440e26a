"""Where a reported problem is: a UK postcode, a point on the map, or both, plus a few words.

Error messages follow the GOV.UK Design System so a handler can show them to residents as they are.
"""

from __future__ import annotations

import math
import re
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

# Royal Mail's postcode format, with the letters each position may hold:
# outward code A9, A99, AA9, AA99, A9A or AA9A; inward code 9AA. GIR 0AA is the one exception.
# BFPO and the British overseas territories' postcodes (e.g. ASCN 1ZZ) are not accepted: not UK addresses.
_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"(?:{_OUTWARD}{_INWARD}|GIR0AA)")
_SPACES = re.compile(r"\s+")

# A box around Great Britain, Northern Ireland and their islands (Scilly to Shetland, Lough Erne to
# Lowestoft), in WGS84 degrees. Coarse on purpose: it catches swapped or missing coordinates and points
# abroad, not points just offshore.
UK_LATITUDE = (49.8, 60.95)
UK_LONGITUDE = (-8.7, 1.8)

POSTCODE_MESSAGE = "Enter a full UK postcode, like ME15 6JQ"
LOCATION_MESSAGE = "Enter a postcode or choose a point on the map"
POINT_MESSAGE = "Choose a point on the map: give both latitude and longitude"
OUTSIDE_UK_MESSAGE = "The point on the map must be in the UK"


def normalise_postcode(text: str) -> str | None:
    """A full UK postcode in upper case with one space (``me156jq`` -> ``ME15 6JQ``), or None."""
    compact = _SPACES.sub("", text).upper()
    if not _POSTCODE.fullmatch(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def _blank_to_none(value: object) -> object:
    """A form's empty field means "not given"."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


class Location(BaseModel):
    """A postcode, a point (latitude and longitude together), or both; and an optional description."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    postcode: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    description: str | None = Field(default=None, max_length=500)

    @field_validator("postcode", "description", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return _blank_to_none(value)

    @field_validator("description")
    @classmethod
    def _strip_description(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @field_validator("postcode")
    @classmethod
    def _uk_postcode(cls, value: str | None) -> str | None:
        if value is None:
            return None
        postcode = normalise_postcode(value)
        if postcode is None:
            raise PydanticCustomError("uk_postcode", POSTCODE_MESSAGE)
        return postcode

    @field_validator("latitude")
    @classmethod
    def _uk_latitude(cls, value: float | None) -> float | None:
        return _inside(value, UK_LATITUDE)

    @field_validator("longitude")
    @classmethod
    def _uk_longitude(cls, value: float | None) -> float | None:
        return _inside(value, UK_LONGITUDE)

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise PydanticCustomError("uk_point", POINT_MESSAGE)
        if self.postcode is None and self.latitude is None:
            raise PydanticCustomError("uk_location", LOCATION_MESSAGE)
        return self


def _inside(value: float | None, bounds: tuple[float, float]) -> float | None:
    if value is None:
        return None
    low, high = bounds
    if not (math.isfinite(value) and low <= value <= high):
        raise PydanticCustomError("uk_point", OUTSIDE_UK_MESSAGE)
    return value
