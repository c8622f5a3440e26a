"""A stand-in for DVLA's Vehicle Enquiry Service (VES) API, offline, with a few fictional vehicles.

To be served by the local cloud at `/sandbox/dvla/vehicle-enquiry/v1/vehicles` (the permits adapter's base URL set
to `<local address>/sandbox/dvla`), so `functions/permits/adapters/dvla.py` runs against it. It answers as the
published description ("Vehicle Enquiry API", OpenAPI 1.2.0) says:

- `POST` with `x-api-key` and a JSON body `{"registrationNumber": "..."}`: 200 and the vehicle's details (fields
  DVLA holds nothing for are left out, as VES does);
- 400 for a body that is not that (not JSON, no or a non-string `registrationNumber`, not 1-7 letters and digits),
  404 for a mark it has no vehicle for, each as `{"errors": [{"status", "code", "title", "detail"}]}`;
- 403 `{"message": "Forbidden"}` (the gateway's answer) without the key, or with another one;
- 405 for any other method. Stricter than DVLA, to catch a client's mistakes: a query string is refused (400), so a
  mark can never travel in a URL.

The accepted key is `LOCAL_API_KEY` unless a `DvlaSandbox` is given others. Marks that simulate failures:
`SV19DWN` and `SV24DCL` (the declared change's local test alone) answer 503, `ER19ROR` 500, `RL19LMT` 429 (with
`Retry-After: 1`), `SL19SLW` 5 s late (longer than the adapter waits). `DvlaSandbox.requests` counts the
requests served (retries show there).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from local.sandbox.loopback import Reply, json_reply

PREFIX = "/sandbox/dvla"
VEHICLES_PATH = "/vehicle-enquiry/v1/vehicles"
LOCAL_API_KEY = "local-dvla-key"  # not a secret: the stand-in's only key
MAX_BODY_BYTES = 1024
_MARK = re.compile(r"^[A-Z0-9]{1,7}$")

_TAXED_AND_TESTED = {
    "taxStatus": "Taxed", "taxDueDate": "2027-05-01", "motStatus": "Valid", "motExpiryDate": "2027-03-14",
}  # fmt: skip

VEHICLES: dict[str, dict[str, Any]] = {
    "LB19PTR": {  # petrol
        "make": "FORD", "colour": "BLUE", "fuelType": "PETROL", "co2Emissions": 128, "engineCapacity": 1498,
        "yearOfManufacture": 2019, "monthOfFirstRegistration": "2019-04", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", "euroStatus": "EURO 6", "revenueWeight": 1850,
        "dateOfLastV5CIssued": "2023-06-02", **_TAXED_AND_TESTED,
    },
    "KX68DSL": {  # diesel
        "make": "VOLKSWAGEN", "colour": "SILVER", "fuelType": "DIESEL", "co2Emissions": 142, "engineCapacity": 1968,
        "yearOfManufacture": 2018, "monthOfFirstRegistration": "2018-09", "markedForExport": False,
        "realDrivingEmissions": "1", "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "EV71ELC": {  # electric: no engine capacity
        "make": "NISSAN", "colour": "WHITE", "fuelType": "ELECTRICITY", "co2Emissions": 0,
        "yearOfManufacture": 2021, "monthOfFirstRegistration": "2021-11", "markedForExport": False,
        "taxStatus": "Taxed", "taxDueDate": "2027-11-01", "motStatus": "No details held by DVLA",
    },
    "MX20EXP": {  # marked for export
        "make": "TOYOTA", "colour": "RED", "fuelType": "HYBRID ELECTRIC", "co2Emissions": 89, "engineCapacity": 1798,
        "yearOfManufacture": 2020, "monthOfFirstRegistration": "2020-03", "markedForExport": True,
        "taxStatus": "Untaxed", "motStatus": "Valid", "motExpiryDate": "2026-12-20",
    },
    "L123OLD": {  # registered before CO2 figures were recorded: engine size only
        "make": "ROVER", "colour": "GREEN", "fuelType": "PETROL", "engineCapacity": 1796,
        "yearOfManufacture": 1994, "monthOfFirstDvlaRegistration": "1994-02", "markedForExport": False,
        "taxStatus": "SORN", "motStatus": "Not valid", "motExpiryDate": "2025-08-31",
    },
    "BW70STF": {  # petrol, for the staff console's browser test alone (each local test issues marks of its own)
        "make": "VAUXHALL", "colour": "GREY", "fuelType": "PETROL", "co2Emissions": 119, "engineCapacity": 1199,
        "yearOfManufacture": 2020, "monthOfFirstRegistration": "2020-10", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "CY24EVD": {  # petrol, a courtesy car, for the permit evidence's local test alone (zone D, its hire agreement)
        "make": "SKODA", "colour": "GREY", "fuelType": "PETROL", "co2Emissions": 118, "engineCapacity": 999,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-05", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "RE24EVD": {  # petrol, a courtesy car, for the local test of a zone D renewal carrying its evidence alone
        "make": "SKODA", "colour": "WHITE", "fuelType": "PETROL", "co2Emissions": 118, "engineCapacity": 999,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-06", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "AD24MTO": {  # petrol, for the local test of a permit staff apply for by phone (paid by MOTO) alone
        "make": "KIA", "colour": "GREEN", "fuelType": "PETROL", "co2Emissions": 121, "engineCapacity": 1353,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-03", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    # The permit manage tests alone (local, then browser): a diesel, changed to a cheaper petrol car, then cancelled.
    "RN21WAL": {  # petrol, for the renewal's local test alone
        "make": "SKODA", "colour": "BLACK", "fuelType": "PETROL", "co2Emissions": 124, "engineCapacity": 999,
        "yearOfManufacture": 2021, "monthOfFirstRegistration": "2021-03", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "HV21OLD": {  # petrol, for the hand-over's local test alone: its permit and renewal, then changed to HV21EVN
        "make": "SKODA", "colour": "SILVER", "fuelType": "PETROL", "co2Emissions": 124, "engineCapacity": 999,
        "yearOfManufacture": 2021, "monthOfFirstRegistration": "2021-06", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "FR24EVC": {  # electric, for the free permits' local test alone
        "make": "KIA", "colour": "WHITE", "fuelType": "ELECTRICITY", "co2Emissions": 0,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-06", "markedForExport": False,
        "taxStatus": "Taxed", "taxDueDate": "2027-06-01", "motStatus": "No details held by DVLA",
    },
    "HV21EVN": {  # electric, for the hand-over's local test alone
        "make": "NISSAN", "colour": "BLUE", "fuelType": "ELECTRICITY", "co2Emissions": 0,
        "yearOfManufacture": 2021, "monthOfFirstRegistration": "2021-09", "markedForExport": False,
        "taxStatus": "Taxed", "taxDueDate": "2027-09-01", "motStatus": "No details held by DVLA",
    },
    "HC21CNL": {  # petrol, for the hand-over's local test alone: its permit cancelled, its renewal kept
        "make": "FORD", "colour": "BLACK", "fuelType": "PETROL", "co2Emissions": 124, "engineCapacity": 999,
        "yearOfManufacture": 2021, "monthOfFirstRegistration": "2021-07", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "RW23PGS": {  # petrol, for the renewal pages' local test alone
        "make": "VAUXHALL", "colour": "GREY", "fuelType": "PETROL", "co2Emissions": 118, "engineCapacity": 1199,
        "yearOfManufacture": 2023, "monthOfFirstRegistration": "2023-05", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "MV24ZNE": {  # petrol, for the local test of moving into another zone alone
        "make": "KIA", "colour": "GREEN", "fuelType": "PETROL", "co2Emissions": 124, "engineCapacity": 998,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-03", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "MB24MOV": {  # petrol, for the move's browser test alone
        "make": "KIA", "colour": "BLUE", "fuelType": "PETROL", "co2Emissions": 124, "engineCapacity": 998,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-03", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "JN24SFN": {  # petrol, for the permit journey's local test alone (the state machine)
        "make": "TOYOTA", "colour": "RED", "fuelType": "PETROL", "co2Emissions": 110, "engineCapacity": 1490,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-02", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "RB24PGS": {  # petrol, for the renewal pages' browser test alone
        "make": "VAUXHALL", "colour": "WHITE", "fuelType": "PETROL", "co2Emissions": 118, "engineCapacity": 1199,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-05", "markedForExport": False,
        "typeApproval": "M1", "wheelplan": "2 AXLE RIGID BODY", **_TAXED_AND_TESTED,
    },
    "MN22DSL": {
        "make": "SKODA", "colour": "BLUE", "fuelType": "DIESEL", "co2Emissions": 150, "engineCapacity": 1968,
        "yearOfManufacture": 2022, "monthOfFirstRegistration": "2022-04", "markedForExport": False,
        **_TAXED_AND_TESTED,
    },
    "MN22PTL": {
        "make": "FORD", "colour": "RED", "fuelType": "PETROL", "co2Emissions": 95, "engineCapacity": 999,
        "yearOfManufacture": 2022, "monthOfFirstRegistration": "2022-05", "markedForExport": False,
        **_TAXED_AND_TESTED,
    },
    "MB23DSL": {
        "make": "SKODA", "colour": "BLACK", "fuelType": "DIESEL", "co2Emissions": 150, "engineCapacity": 1968,
        "yearOfManufacture": 2023, "monthOfFirstRegistration": "2023-04", "markedForExport": False,
        **_TAXED_AND_TESTED,
    },
    "MB23PTL": {
        "make": "FORD", "colour": "WHITE", "fuelType": "PETROL", "co2Emissions": 95, "engineCapacity": 999,
        "yearOfManufacture": 2023, "monthOfFirstRegistration": "2023-05", "markedForExport": False,
        **_TAXED_AND_TESTED,
    },
    "VP24PRM": {  # petrol, for the visitor pages' local test alone (its permit opens the visitor wallet)
        "make": "KIA", "colour": "GREEN", "fuelType": "PETROL", "co2Emissions": 118, "engineCapacity": 998,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-03", "markedForExport": False,
        **_TAXED_AND_TESTED,
    },
    "DV24DCL": {  # petrol, for the declared change of vehicle's local test alone (changed to SV24DCL, declared)
        "make": "VAUXHALL", "colour": "SILVER", "fuelType": "PETROL", "co2Emissions": 128, "engineCapacity": 1199,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-02", "markedForExport": False,
        **_TAXED_AND_TESTED,
    },
    "BV24WLT": {  # petrol, for the visitor wallet's browser test alone
        "make": "PEUGEOT", "colour": "SILVER", "fuelType": "PETROL", "co2Emissions": 110, "engineCapacity": 1199,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-02", "markedForExport": False,
        **_TAXED_AND_TESTED,
    },
    "BA24APP": {  # petrol, for the console's apply-for-a-resident browser test alone (never paid: declined)
        "make": "TOYOTA", "colour": "BLUE", "fuelType": "PETROL", "co2Emissions": 105, "engineCapacity": 1490,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-04", "markedForExport": False,
        **_TAXED_AND_TESTED,
    },
    "RV24RFD": {  # petrol, for the staff revocation's refund local test alone
        "make": "NISSAN", "colour": "RED", "fuelType": "PETROL", "co2Emissions": 120, "engineCapacity": 1197,
        "yearOfManufacture": 2024, "monthOfFirstRegistration": "2024-01", "markedForExport": False,
        **_TAXED_AND_TESTED,
    },
}  # fmt: skip
FAILURES: dict[str, tuple[int, str, str]] = {
    "SV19DWN": (503, "Service Unavailable", "The service is unavailable (simulated by the local stand-in)"),
    "SV24DCL": (503, "Service Unavailable", "The service is unavailable (simulated by the local stand-in)"),
    "ER19ROR": (500, "Internal Server Error", "An error occurred (simulated by the local stand-in)"),
    "RL19LMT": (429, "Too Many Requests", "Too many requests (simulated by the local stand-in)"),
}
SLOW = {"SL19SLW": 5.0}


def _error(status: int, title: str, detail: str, extra: dict[str, str] | None = None) -> Reply:
    entry = {"status": str(status), "code": str(status), "title": title, "detail": detail}
    return json_reply(status, {"errors": [entry]}, extra)


class DvlaSandbox:
    """The stand-in: its vehicles, the keys it accepts, and how many requests it has served."""

    def __init__(self, *, api_keys: Iterable[str] = (LOCAL_API_KEY,), base_url: str = "") -> None:
        self.api_keys = frozenset(api_keys)
        self.base_url = base_url  # where it is served, for whoever serves it to fill in
        self.requests = 0
        self._lock = threading.Lock()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        """Serve one request (`path` with or without `/sandbox/dvla` in front)."""
        with self._lock:
            self.requests += 1
        url = urlsplit(path)
        if url.path.removeprefix(PREFIX) != VEHICLES_PATH:
            return _error(404, "Not Found", f"Not a resource of the DVLA stand-in (try {PREFIX}{VEHICLES_PATH})")
        if method != "POST":
            return _error(405, "Method Not Allowed", "Use POST", {"Allow": "POST"})
        key = next((v for k, v in headers.items() if k.lower() == "x-api-key"), "")
        if key not in self.api_keys:
            return json_reply(403, {"message": "Forbidden"})
        if url.query:
            return _error(400, "Bad Request", "Send the registration number in the body, never in the URL")
        mark = _registration_number(body)
        if mark is None:
            return _error(400, "Bad Request", "Invalid format for field - vehicle registration number")
        return self._vehicle(mark)

    @staticmethod
    def _vehicle(mark: str) -> Reply:
        if mark in FAILURES:
            status, title, detail = FAILURES[mark]
            return _error(status, title, detail, {"Retry-After": "1"} if status == 429 else None)
        time.sleep(SLOW.get(mark, 0.0))
        details = VEHICLES.get(mark)
        if details is None:
            return _error(404, "Vehicle Not Found", "Record for vehicle not found")
        return json_reply(200, {"registrationNumber": mark, **details})


def _registration_number(body: bytes) -> str | None:
    """The normalised mark in a request body, or None if the body is not `{"registrationNumber": "..."}`."""
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return None
    value = data.get("registrationNumber") if isinstance(data, dict) else None
    if not isinstance(value, str):
        return None
    mark = re.sub(r"\s+", "", value).upper()
    return mark if _MARK.match(mark) else None


_DEFAULT = DvlaSandbox()


def handle(method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
    """The local cloud's entry point, like `local.sandbox.os_places.handle`."""
    return _DEFAULT.handle(method, path, headers, body)
