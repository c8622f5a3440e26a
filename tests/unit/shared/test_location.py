import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.location import (
    LOCATION_MESSAGE,
    OUTSIDE_UK_MESSAGE,
    POINT_MESSAGE,
    POSTCODE_MESSAGE,
    Location,
    normalise_postcode,
)

pytestmark = pytest.mark.unit


def _messages(error: ValidationError) -> list[str]:
    return [e["msg"] for e in error.errors()]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("me156jq", "ME15 6JQ"),  # Maidstone Borough Council
        ("ME15 6JQ", "ME15 6JQ"),
        ("  me15   6jq ", "ME15 6JQ"),
        ("SW1A 1AA", "SW1A 1AA"),  # AA9A
        ("w1a0ax", "W1A 0AX"),  # A9A
        ("M1 1AE", "M1 1AE"),  # A9
        ("B33 8TH", "B33 8TH"),  # A99
        ("CR2 6XH", "CR2 6XH"),  # AA9
        ("DN55 1PT", "DN55 1PT"),  # AA99
        ("BT1 5GS", "BT1 5GS"),  # Northern Ireland
        ("gir 0aa", "GIR 0AA"),  # the special case
        ("EC1A\t1BB", "EC1A 1BB"),
    ],
)
def test_normalise_postcode(typed, expected):
    assert normalise_postcode(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "90210",  # US zip code
        "D02 X285",  # Irish Eircode
        "75001",  # French code postal
        "ME15",  # outward code only
        "ME15 6J",
        "ME15 6JQQ",
        "ME15 6CQ",  # C never appears in an inward code
        "QE15 6JQ",  # Q never starts a postcode
        "BFPO 801",  # forces post: not accepted
        "ASCN 1ZZ",  # Ascension Island: overseas territory
        "SW1A-1AA",
        "M1 1AE; drop table",
    ],
)
def test_normalise_postcode_rejects(typed):
    assert normalise_postcode(typed) is None


@given(st.text(max_size=12))
def test_normalise_postcode_is_idempotent(text):
    once = normalise_postcode(text)
    if once is not None:
        assert normalise_postcode(once) == once
        assert once == once.upper()
        assert once.count(" ") == 1


def test_postcode_only():
    location = Location(postcode="me156jq")
    assert location.postcode == "ME15 6JQ"
    assert location.latitude is None
    assert location.longitude is None


def test_point_only_with_description():
    location = Location(latitude=51.2719, longitude=0.5227, description="  By the gate of the park  ")
    assert (location.latitude, location.longitude) == (51.2719, 0.5227)
    assert location.description == "By the gate of the park"
    assert location.postcode is None


def test_postcode_and_point_from_json():
    location = Location.model_validate_json(
        '{"postcode": "ME15 6JQ", "latitude": "51.27", "longitude": 0.52, "description": ""}'
    )
    assert location.postcode == "ME15 6JQ"
    assert location.latitude == 51.27
    assert location.description is None


@pytest.mark.parametrize("postcode", ["90210", "D02 X285", "75001", "ME15"])
def test_non_uk_postcode_has_a_clear_message(postcode):
    with pytest.raises(ValidationError) as caught:
        Location(postcode=postcode)
    errors = caught.value.errors()
    assert errors[0]["loc"] == ("postcode",)
    assert errors[0]["msg"] == POSTCODE_MESSAGE == "Enter a full UK postcode, like ME15 6JQ"
    assert errors[0]["type"] == "uk_postcode"


@pytest.mark.parametrize("data", [{}, {"postcode": ""}, {"postcode": "  "}, {"description": "by the park"}])
def test_somewhere_is_required(data):
    with pytest.raises(ValidationError) as caught:
        Location(**data)
    assert _messages(caught.value) == [LOCATION_MESSAGE]


@pytest.mark.parametrize(
    "data", [{"latitude": 51.27}, {"longitude": 0.52}, {"postcode": "ME15 6JQ", "latitude": 51.27}]
)
def test_latitude_and_longitude_come_together(data):
    with pytest.raises(ValidationError) as caught:
        Location(**data)
    assert _messages(caught.value) == [POINT_MESSAGE]


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (48.8566, 2.3522),  # Paris
        (0.52, 51.27),  # latitude and longitude swapped
        (40.7128, -74.006),  # New York
        (53.35, -9.0),  # west of Ireland
        (61.0, -1.0),  # north of Shetland
        (float("nan"), 0.5),
        (51.27, float("inf")),
    ],
)
def test_point_outside_the_uk(latitude, longitude):
    with pytest.raises(ValidationError) as caught:
        Location(latitude=latitude, longitude=longitude)
    assert OUTSIDE_UK_MESSAGE in _messages(caught.value)
    assert caught.value.errors()[0]["loc"][0] in {"latitude", "longitude"}


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (49.91, -6.31),  # Isles of Scilly
        (60.8, -0.85),  # Unst, Shetland
        (54.6, -5.93),  # Belfast
        (54.35, -7.64),  # Enniskillen
        (52.48, 1.75),  # Lowestoft
        (49.8, -8.7),  # the box's corners are inside
        (60.95, 1.8),
    ],
)
def test_point_inside_the_uk(latitude, longitude):
    assert Location(latitude=latitude, longitude=longitude).latitude == latitude


def test_description_limit():
    assert Location(postcode="ME15 6JQ", description="x" * 500).description == "x" * 500
    with pytest.raises(ValidationError) as caught:
        Location(postcode="ME15 6JQ", description="x" * 501)
    assert caught.value.errors()[0]["type"] == "string_too_long"


def test_extra_fields_are_forbidden():
    with pytest.raises(ValidationError) as caught:
        Location.model_validate({"postcode": "ME15 6JQ", "uprn": "200003655896"})
    assert caught.value.errors()[0]["type"] == "extra_forbidden"


def test_explicit_nulls_from_a_form_are_accepted():
    location = Location.model_validate_json(
        '{"postcode": "ME15 6JQ", "latitude": null, "longitude": null, "description": null}'
    )
    assert location == Location(postcode="ME15 6JQ")
