"""What DVLA's Vehicle Enquiry Service (VES) API answers, typed, and what can go wrong, one exception per outcome.

VES ("Vehicle Enquiry API", OpenAPI 1.2.0) answers `POST /vehicle-enquiry/v1/vehicles` with a vehicle's details,
or an error status with `{"errors": [{"status", "code", "title", "detail"}]}`. The caller acts on the exception:

- `InvalidRegistration` (400): the mark was refused: ask the resident to check it;
- `VehicleNotFound` (404): DVLA holds no vehicle with that mark: ask the resident to check it;
- `DvlaAuthenticationFailed` (401/403): the key is wrong, expired or revoked: `alarm`, a person must act;
- `DvlaUnavailable` (429 beyond the budget, 5xx, a timeout, no connection, a status or an answer VES does not
  give, such as a redirect): the
  service is down for now: let the resident declare the vehicle's details and have staff verify them later.

Messages carry DVLA's status, code and title, never the key or the registration mark.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from permits.pricing import VehicleFacts


class Vehicle(BaseModel):
    """A vehicle as VES describes it; fields VES leaves out (it omits what it does not hold) are None."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    registration_number: str = Field(min_length=1)
    make: str | None = None
    colour: str | None = None
    fuel_type: str | None = None  # PETROL, DIESEL, ELECTRICITY, HYBRID ELECTRIC, ...
    co2_emissions: int | None = Field(default=None, ge=0)  # g/km
    engine_capacity: int | None = Field(default=None, ge=0)  # cc
    tax_status: str | None = None  # Taxed, Untaxed, SORN, Not Taxed for on Road Use
    tax_due_date: date | None = None
    art_end_date: date | None = None
    mot_status: str | None = None  # Valid, Not valid, No details held by DVLA, No results returned
    mot_expiry_date: date | None = None
    marked_for_export: bool | None = None
    year_of_manufacture: int | None = None
    month_of_first_registration: str | None = None  # YYYY-MM
    month_of_first_dvla_registration: str | None = None
    type_approval: str | None = None
    wheelplan: str | None = None
    revenue_weight: int | None = None
    euro_status: str | None = None
    real_driving_emissions: str | None = None
    date_of_last_v5c_issued: date | None = Field(default=None, alias="dateOfLastV5CIssued")
    automated_vehicle: bool | None = None

    def facts(self) -> VehicleFacts:
        """What pricing uses: the CO2 figure, else the engine size, and the fuel."""
        return VehicleFacts(co2_g_km=self.co2_emissions, engine_cc=self.engine_capacity, fuel=self.fuel_type)


class DvlaError(Exception):
    """VES refused or could not answer an enquiry."""

    alarm = False  # a person must fix something (the key) before any enquiry can work
    declare_instead = False  # the resident may declare the details for staff to verify later

    def __init__(self, code: str, title: str = "", *, status: int | None = None, detail: str = "") -> None:
        super().__init__(f"{code}: {title}" if title else code)
        self.code, self.title, self.status, self.detail = code, title, status, detail


class InvalidRegistration(DvlaError):
    """400: VES refused the registration mark (or the request)."""


class VehicleNotFound(DvlaError):
    """404: no vehicle has that registration mark."""


class DvlaAuthenticationFailed(DvlaError):
    """401 or 403: the API key is missing, wrong, expired or revoked."""

    alarm = True


class DvlaUnavailable(DvlaError):
    """VES could not answer within the budget: declare the details now, staff verify them later."""

    declare_instead = True


class DvlaRateLimited(DvlaUnavailable):
    """429, still refused when the budget ran out."""


_BY_STATUS: dict[int, type[DvlaError]] = {
    400: InvalidRegistration,
    401: DvlaAuthenticationFailed,
    403: DvlaAuthenticationFailed,
    404: VehicleNotFound,
    429: DvlaRateLimited,
}


def error_for(status: int, body: Mapping[str, Any] | None) -> DvlaError:
    """The exception for an error answer: by status; DVLA's first `errors` entry gives the code and title."""
    first: Mapping[str, Any] = {}
    errors = body.get("errors") if body else None
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        first = errors[0]
    elif body and isinstance(body.get("message"), str):  # the API gateway's own refusals: {"message": "Forbidden"}
        first = {"title": body["message"]}
    kind = _BY_STATUS.get(status, DvlaUnavailable)  # a 5xx, or an answer VES does not give (a redirect, a 415)
    code = str(first.get("code") or status)
    return kind(code, str(first.get("title") or ""), status=status, detail=str(first.get("detail") or "")[:200])
