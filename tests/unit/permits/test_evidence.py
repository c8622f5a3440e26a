"""Evidence of residency and keepership: the zones file's `evidence` per zone and type (each mistake refused with its
place named), and an application's evidence checked against it (permits.evidence)."""

from __future__ import annotations

import pytest

from permits.evidence import (
    AWAITING,
    DECLARATIONS,
    DECLARED,
    MAX_UPLOAD_BYTES,
    InvalidEvidence,
    checked,
    describe,
    needed,
)
from permits.zones import PermitType, ZonesError, parse_zones

pytestmark = pytest.mark.unit

UPLOAD = {"upload_id": "a" * 22, "filename": "hire agreement.pdf", "content_type": "application/pdf", "size_bytes": 900}


def test_the_shipped_file_asks_evidence_in_zone_d_only(zones):
    station = zones.zone("D")
    assert needed(station, PermitType.TEMPORARY) == {"residency": "declaration", "keepership": "upload"}
    assert needed(station, PermitType.BUSINESS) == {"keepership": "upload"}
    assert needed(station, PermitType.RESIDENT) == {}
    assert all(needed(z, k) == {} for z in zones.zones if z.code != "D" for k in z.permit_types)


def test_the_zone_offer_describes_what_is_asked_in_words_with_the_upload_limits(zones):
    described = describe(zones.zone("D"))
    assert set(described) == {"temporary", "business"}
    residency, keepership = described["temporary"]
    assert (residency["kind"], residency["method"], residency["words"]) == (
        "residency", "declaration", DECLARATIONS["residency"],
    )  # fmt: skip
    assert keepership["method"] == "upload"
    assert keepership["accept"] == ["pdf", "jpg", "png"]
    assert keepership["max_bytes"] == MAX_UPLOAD_BYTES
    assert describe(zones.zone("A")) == {}


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        ({"visitor": {"residency": "declaration"}}, "zones[1].evidence.visitor: evidence is asked for types applied"),
        ({"business": {"residency": "upload"}}, "zones[1].evidence.business: the zone does not offer this type"),
        ({"resident": {"residency": "photo"}}, "zones[1].evidence.resident.residency"),
        ({"resident": {"address": "upload"}}, "zones[1].evidence.resident.address: is not a field here"),
        ({"lorry": {"residency": "upload"}}, "zones[1].evidence.lorry"),
    ],
)
def test_a_mistake_in_a_zones_evidence_is_named_by_its_place(zones_data, evidence, expected):
    zones_data["zones"][1]["evidence"] = evidence  # zone B: resident, visitor, carer, temporary
    with pytest.raises(ZonesError) as caught:
        parse_zones(zones_data)
    assert expected in str(caught.value)


def test_declarations_only_are_declared_with_the_words_kept(zones):
    station = zones.zone("D")
    stored, status = checked(
        station, PermitType.TEMPORARY, {"residency": {"declared": True}, "keepership": {"upload": UPLOAD}}
    )
    assert status == AWAITING
    assert stored[0] == {"kind": "residency", "method": "declaration", "words": DECLARATIONS["residency"]}
    assert stored[1]["key"] == f"uploads/parking-permit/{UPLOAD['upload_id']}"
    assert stored[1]["filename"] == "hire agreement.pdf"
    assert checked(station, PermitType.RESIDENT, None) == ([], "")


def test_a_zone_asking_declarations_only_is_declared(zones_data):
    zones_data["zones"][1]["evidence"] = {"resident": {"residency": "declaration", "keepership": "declaration"}}
    zone = parse_zones(zones_data).zone("B")
    given = {"residency": {"declared": True}, "keepership": {"declared": True}, "extra": {"declared": True}}
    stored, status = checked(zone, PermitType.RESIDENT, given)
    assert status == DECLARED
    assert [e["kind"] for e in stored] == ["residency", "keepership"]  # what was not asked is not kept


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (None, "evidence:"),
        ({"keepership": {"upload": UPLOAD}}, "evidence.residency:"),
        ({"residency": {"declared": "yes"}, "keepership": {"upload": UPLOAD}}, "evidence.residency:"),
        ({"residency": {"declared": True}, "keepership": {"declared": True}}, "evidence.keepership:"),
        ({"residency": {"declared": True}, "keepership": {"upload": {**UPLOAD, "upload_id": "../x"}}}, "upload_id"),
        (
            {"residency": {"declared": True}, "keepership": {"upload": {**UPLOAD, "content_type": "text/html"}}},
            "content_type",
        ),
        ({"residency": {"declared": True}, "keepership": {"upload": {**UPLOAD, "size_bytes": 0}}}, "size_bytes"),
        (
            {"residency": {"declared": True}, "keepership": {"upload": {**UPLOAD, "size_bytes": MAX_UPLOAD_BYTES + 1}}},
            "size_bytes",
        ),
        ({"residency": {"declared": True}, "keepership": {"upload": {**UPLOAD, "filename": " "}}}, "filename"),
    ],
)
def test_evidence_not_answering_the_zone_is_refused_naming_the_field(zones, given, field):
    with pytest.raises(InvalidEvidence, match=field.replace(".", r"\.")):
        checked(zones.zone("D"), PermitType.TEMPORARY, given)
