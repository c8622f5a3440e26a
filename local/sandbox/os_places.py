"""A stand-in for Ordnance Survey's OS Places API (postcode search), offline, over a small fictional gazetteer.

Served by the local cloud at `/sandbox/os-places/search/places/v1/postcode` (a function whose environment names
`OS_PLACES_BASE_URL` is pointed at `<local address>/sandbox/os-places`), so the web's real client
(`functions/web/addresses.py`) runs against it. It answers as OS Places does:

- `?postcode=` a full postcode, or the start of one down to the sector (`ME15 6`), any case and spacing;
  `dataset` (DPA only), `maxresults` (1-100, default 100), `offset`, `output_srs` (`WGS84` adds `LAT`/`LNG`);
- 200 `{"header": {...totalresults...}, "results": [{"DPA": {...}}]}`, with no `results` key when nothing matches;
- 400 `{"error": {"statuscode": 400, "message": ...}}` for a postcode it cannot search by;
- 401 `{"fault": ...}` without an API key (header `key` or query `key`): any non-empty key is accepted.

The addresses are in `os_places_gazetteer.json` (invented streets at real Maidstone postcodes; UPRNs 9990000xxxxx).
A postcode there with `status` answers that status instead (`ME15 9ZZ`: 503, the service down), one with `delay_s`
answers that late (`ME15 9ZY`: 5 s, longer than the web waits).
"""

from __future__ import annotations

import json
import re
import time
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local.sandbox.loopback import Reply, json_reply

PREFIX = "/sandbox/os-places"
POSTCODE_PATH = "/search/places/v1/postcode"
GAZETTEER = Path(__file__).with_name("os_places_gazetteer.json")
MAX_RESULTS = 100
_SEARCHABLE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9]([A-Z]{0,2})$")  # at least the sector: ME156, ME156JQ


@cache
def gazetteer() -> dict[str, dict[str, Any]]:
    """Postcode -> its entry, from the data file."""
    data: dict[str, dict[str, Any]] = json.loads(GAZETTEER.read_text())["postcodes"]
    return data


def _error(status: int, message: str) -> Reply:
    return json_reply(status, {"error": {"statuscode": status, "message": message}})


def _dpa(record: dict[str, Any], postcode: str, entry: dict[str, Any], index: int, wgs84: bool) -> dict[str, Any]:
    parts = [
        record.get(name, "")
        for name in (
            "ORGANISATION_NAME",
            "SUB_BUILDING_NAME",
            "BUILDING_NAME",
            "BUILDING_NUMBER",
            "DEPENDENT_THOROUGHFARE_NAME",
            "THOROUGHFARE_NAME",
            "DEPENDENT_LOCALITY",
            "POST_TOWN",
        )
    ]
    dpa = {
        **record,
        "UDPRN": str(int(record["UPRN"]) % 100_000_000),
        "ADDRESS": ", ".join([p for p in parts if p] + [postcode]),
        "POSTCODE": postcode,
        "RPC": "1",
        "STATUS": "APPROVED",
        "LOGICAL_STATUS_CODE": "1",
        "CLASSIFICATION_CODE": "CR08" if record.get("ORGANISATION_NAME") else "RD04",
        "LOCAL_CUSTODIAN_CODE": 2235,
        "LOCAL_CUSTODIAN_CODE_DESCRIPTION": "MAIDSTONE",
        "POSTAL_ADDRESS_CODE": "D",
        "LANGUAGE": "EN",
        "MATCH": 1.0,
        "MATCH_DESCRIPTION": "EXACT",
    }
    if wgs84 and "lat" in entry:
        dpa["LAT"] = round(entry["lat"] + index * 0.0001, 6)
        dpa["LNG"] = round(entry["lng"] + index * 0.0001, 6)
    return dpa


def search(query: dict[str, list[str]]) -> Reply:
    """`GET /search/places/v1/postcode` with its query parameters (the key already checked)."""
    given = (query.get("postcode") or [""])[0]
    compact = re.sub(r"\s+", "", given).upper()
    if not _SEARCHABLE.match(compact):
        return _error(
            400,
            "Requested postcode must contain a minimum of the sector plus 1 digit of the district e.g. SO1. "
            f"Requested postcode was {given}",
        )
    dataset = (query.get("dataset") or ["DPA"])[0].upper()
    if dataset != "DPA":
        return _error(400, f"Requested dataset {dataset} is not available in this stand-in: use DPA")
    try:
        limit = int((query.get("maxresults") or [str(MAX_RESULTS)])[0])
        offset = int((query.get("offset") or ["0"])[0])
    except ValueError:
        return _error(400, "maxresults and offset must be whole numbers")
    if not 1 <= limit <= MAX_RESULTS or offset < 0:
        return _error(400, f"maxresults must be 1 to {MAX_RESULTS} and offset 0 or more")
    wgs84 = (query.get("output_srs") or [""])[0].upper() in ("WGS84", "EPSG:4326")
    found: list[dict[str, Any]] = []
    for postcode, entry in sorted(gazetteer().items()):
        if not postcode.replace(" ", "").startswith(compact):
            continue
        if "status" in entry:
            return _error(int(entry["status"]), "The service is unavailable (simulated by the local stand-in)")
        time.sleep(float(entry.get("delay_s", 0)))
        found += [_dpa(r, postcode, entry, i, wgs84) for i, r in enumerate(entry.get("addresses", []))]
    header = {
        "uri": f"https://api.os.uk/search/places/v1/postcode?postcode={given}",
        "query": f"postcode={given}",
        "offset": offset,
        "totalresults": len(found),
        "format": "JSON",
        "dataset": "DPA",
        "lr": "EN,CY",
        "maxresults": limit,
        "epoch": "117",
        "lastupdate": "2026-01-01",
        "output_srs": "WGS84" if wgs84 else "EPSG:27700",
    }
    page = found[offset : offset + limit]
    return json_reply(200, {"header": header, "results": [{"DPA": d} for d in page]} if page else {"header": header})


def handle(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
    """Serve one request to the stand-in (`path` with or without `/sandbox/os-places` in front)."""
    url = urlsplit(path)
    route = url.path.removeprefix(PREFIX)
    if route != POSTCODE_PATH:
        return _error(404, f"Not a resource of the OS Places stand-in: {route} (try {PREFIX}{POSTCODE_PATH})")
    if method not in ("GET", "HEAD"):
        return _error(405, "Use GET")
    query = parse_qs(url.query, keep_blank_values=True)
    key = next((v for k, v in headers.items() if k.lower() == "key"), "") or (query.get("key") or [""])[0]
    if not key.strip():
        return json_reply(
            401,
            {
                "fault": {
                    "faultstring": "Failed to resolve API Key variable request.header.key",
                    "detail": {"errorcode": "steps.oauth.v2.FailedToResolveAPIKey"},
                }
            },
        )
    return search(query)
