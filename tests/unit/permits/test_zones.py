"""The zones file: the shipped one loads, and each kind of mistake is refused with the place in the file named."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from local.sandbox.os_places import gazetteer
from permits.zones import PermitType, ZonesError, load_zones, parse_zones

pytestmark = pytest.mark.unit


def test_the_shipped_file_has_the_reference_councils_zones(zones):
    assert [z.code for z in zones.zones] == ["A", "B", "C", "D"]
    town = zones.zone("A")
    assert town.common_end_date is not None
    assert (town.common_end_date.month, town.common_end_date.day) == (3, 31)
    assert town.controlled_hours[0].start == time(8, 0)
    assert set(town.permit_types) == set(PermitType)
    assert zones.tariff_of(town).id == "inner"
    with pytest.raises(KeyError):
        zones.zone("Z")


def _problems(data) -> str:
    with pytest.raises(ZonesError) as caught:
        parse_zones(data)
    return str(caught.value)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("zones", 1, "controlled_hours", 0, "end"), "08:00", "zones[1].controlled_hours[0].end: must be after start"),
        (("zones", 2, "controlled_hours", 0, "start"), 600, "zones[2].controlled_hours[0].start: quote times"),
        (("zones", 0, "tariff"), "nope", "zones[0].tariff: no tariff has id 'nope'"),
        (("zones", 3, "code"), "A", "zones[3].code: A is already another zone's code"),
        (("zones", 1, "addresses", "postcodes"), ["ME14 1HQ", "me14 1xx"], "zones[1].addresses.postcodes[1]"),
        (("zones", 3, "addresses", "streets"), ["COBNUT ROW"], "zones[3].addresses.streets: COBNUT ROW is already in"),
        (("zones", 3, "visitor_allowance"), {"unit": "hours", "per_year": 10}, "zones[3].visitor_allowance: give it"),
        (("zones", 0, "common_end_date"), {"month": 2, "day": 29}, "zones[0].common_end_date.day: is not a day"),
        (("zones", 0, "colour"), "red", "zones[0].colour: is not a field here"),
        (("tariffs", 0, "co2_bands", 1, "up_to"), None, "tariffs[0].co2_bands: only the last band has no up_to"),
        (("tariffs", 0, "co2_bands", 2, "up_to"), 50, "tariffs[0].co2_bands: give the bands' up_to in increasing"),
        (("tariffs", 0, "types", "temporary", "lengths"), [1], "tariffs[0].types.temporary.lengths[0]"),
        (("tariffs", 0, "length_percent", 3), None, "tariffs[0].length_percent[3]: Input should be a valid integer"),
        (("tariffs", 1, "types", "visitor"), {"price": 5}, "tariffs[1].types.visitor: visitor permits are a free"),
        (
            ("zones", 2, "permit_types"),
            ["resident", "visitor", "business", "carer"],
            "zones[2].permit_types: tariff outer has no price",
        ),
    ],
)
def test_a_mistake_is_named_by_its_place_in_the_file(zones_data, path, value, expected):
    target = zones_data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert expected in _problems(zones_data)


def test_a_removed_field_is_reported_missing(zones_data):
    del zones_data["zones"][0]["cancellation"]
    assert "zones.yaml: zones[0].cancellation: is missing; add it" in _problems(zones_data)


def test_a_list_of_failing_items_is_not_also_called_too_short(zones_data):
    zones_data["zones"][1]["controlled_hours"][0]["end"] = "08:00"
    assert _problems(zones_data).count("\n") == 0  # one problem, one line


def test_a_tariff_length_without_a_percentage_is_refused(zones_data):
    del zones_data["tariffs"][1]["length_percent"][3]
    assert "tariffs[1].types.resident.lengths: add length_percent for [3] months" in _problems(zones_data)


def test_an_address_level_must_name_something(zones_data):
    zones_data["zones"][0]["addresses"] = {}
    assert "zones[0].addresses: list at least one UPRN, postcode or street" in _problems(zones_data)


def test_a_file_that_is_not_yaml_names_itself(tmp_path: Path):
    broken = tmp_path / "zones.yaml"
    broken.write_text("zones: [unclosed\n", encoding="utf-8")
    with pytest.raises(ZonesError, match=r"^zones.yaml: not valid YAML"):
        load_zones(broken)


def test_every_address_the_zones_name_is_one_the_local_address_lookup_knows(zones):
    records = [
        (a["UPRN"], postcode, a["THOROUGHFARE_NAME"])
        for postcode, e in gazetteer().items()
        for a in e.get("addresses", [])
    ]
    for zone in zones.zones:
        for uprn in zone.addresses.uprns:
            assert any(r[0] == uprn for r in records), (zone.code, uprn)
        for postcode in zone.addresses.postcodes:
            assert any(r[1] == postcode for r in records), (zone.code, postcode)
        for street in zone.addresses.streets:
            assert any(r[2] == street for r in records), (zone.code, street)
