"""The parking permit journey's answers, as plain functions the pages (permit_pages.py) use: which step comes next,
each step's posted answer checked, and the application the permits function is sent.

A permit journey is a draft like a service's (web/drafts.py: server-side, its id only in the cookie, 28 days), of
the service id `parking-permit`, whose `answers` hold:

- `address`: the address the lookup found (UPRN, lines, postcode, the street as OS Places spells it);
- `zone`: the address's zone as the permits function describes it (its types, lengths and prices);
- `permit`: `kind` and `months`, one of the zone's offers;
- `vrm`: the mark normalised (`vrm`) and as printed (`display`), checked by the permits function;
- `email`: where the permit's messages go;
- `declare`: true once the permits function said DVLA is down (`DeclarationNeeded`), and `declared_vehicle`: the
  make, colour, fuel, and CO2 / engine size if known, from the declare step;
- `evidence`: per evidence kind the zone asks of the permit type (the zone's `evidence`, permits.evidence),
  `{"declared": true}` or `{"upload": {upload_id, filename, content_type, size_bytes}}` once the file, scanned clean,
  is copied to the uploads bucket (web/permit_evidence_pages.py);
- `application`: the application the function made on "Get your price" (reference, price, reasons, dates).

Once the application is made the draft's `reference` is set, and the answers are no longer changed: the resident
pays for that application, or starts a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.contact import normalise_email

PERMITS_PATH = "/permits"
PERMIT_SERVICE_ID = "parking-permit"  # the draft's service id, and the order's at payments (docs/decisions/0010)
SERVICE_NAME = "Apply for a parking permit"
STEPS = ("address", "permit", "vehicle", "email")
ANSWER_OF = {"vehicle": "vrm", "declare": "declared_vehicle"}  # a step's answer, where not named as the step
FUELS = (  # the fuels the permits function takes in a declaration (permits.application.DECLARED_FUELS)
    ("PETROL", "Petrol"),
    ("DIESEL", "Diesel"),
    ("ELECTRICITY", "Electric"),
    ("HYBRID ELECTRIC", "Hybrid electric"),
    ("GAS", "Gas"),
    ("OTHER", "Other"),
)
MAKE_MAX, COLOUR_MAX, CO2_MAX, ENGINE_MAX = 40, 30, 1000, 10000
# Where a refusal sends the resident to change their answer (None: nothing they can change here).
REFUSAL_STEP = {
    "AddressOutsideZones": "address",
    "HouseholdLimitReached": None,
    "PermitTypeNotOffered": "permit",
    "VrmAlreadyPermitted": "vehicle",
    "VehicleMarkedForExport": "vehicle",
    "VehicleNotKnown": "vehicle",
}
REFUSAL_HEADINGS = {
    "AddressOutsideZones": "This address is not in a permit parking zone",
    "HouseholdLimitReached": "Your household has all the permits it can have in this zone",
    "PermitTypeNotOffered": "This permit is not available in your zone",
    "VrmAlreadyPermitted": "This vehicle already has a permit in this zone",
    "VehicleMarkedForExport": "This vehicle cannot have a permit",
    "VehicleNotKnown": "We could not find this vehicle",
}
CHANGE_LINKS = {
    "address": "Choose a different address",
    "permit": "Choose a different permit",
    "vehicle": "Change the vehicle registration number",
}

CARER_VEHICLE = "Not tied to one vehicle: once the permit is issued, you cover your carer's vehicle from its link"
Errors = list[dict[str, str]]  # the error summary's {href, message}, in page order


def step_url(step: str, *, change: bool = False) -> str:
    return f"{PERMITS_PATH}/{step}" + ("?change=1" if change else "")


def carer(answers: Mapping[str, Any]) -> bool:
    """A carer permit is chosen: it is not tied to one vehicle, so the vehicle step is not asked."""
    return (answers.get("permit") or {}).get("kind") == "carer"


def answered(answers: Mapping[str, Any], step: str) -> bool:
    if step == "vehicle" and carer(answers):
        return True
    if step == "address":
        return bool(answers.get("address")) and bool(answers.get("zone"))
    return bool(answers.get(ANSWER_OF.get(step, step)))


def evidence_asked(answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the zone asks of the chosen permit (its evidence: kind, method, name, words, accept, max_bytes)."""
    kind = (answers.get("permit") or {}).get("kind", "")
    return list(((answers.get("zone") or {}).get("evidence") or {}).get(kind, []))


def evidence_answered(answers: Mapping[str, Any]) -> bool:
    given = answers.get("evidence") or {}
    return all(("declared" if e["method"] == "declaration" else "upload") in (given.get(e["kind"]) or {})
               for e in evidence_asked(answers))  # fmt: skip


def next_step_url(answers: Mapping[str, Any]) -> str:
    """The first step not answered yet, the evidence the zone asks, the declaration when DVLA asked for one, else
    check your answers."""
    for step in STEPS:
        if not answered(answers, step):
            return step_url(step)
    if not evidence_answered(answers):
        return step_url("evidence")
    if answers.get("declare") and not answers.get("declared_vehicle"):
        return step_url("declare")
    return step_url("check-answers")


def permit_options(zone: Mapping[str, Any]) -> list[dict[str, str]]:
    """The zone's permits as radio options: `<kind>-<months>`, its name and length, the price before the vehicle."""
    options = []
    for offered in zone.get("types", []):
        for length in offered.get("lengths", []):
            months = int(length["months"])
            hint = f"{length['amount']}"
            if offered.get("by_vehicle"):
                hint += ", then adjusted for your vehicle's emissions"
            if offered.get("per_household"):
                hint += " and your household's other permits"
            options.append(
                {
                    "value": f"{offered['kind']}-{months}",
                    "label": f"{offered['name']}, {months} months",
                    "hint": hint,
                }
            )
    return options


def chosen_permit(zone: Mapping[str, Any], value: str) -> dict[str, Any] | None:
    """The option posted, if the zone offers it: {kind, months, label}."""
    for option in permit_options(zone):
        if option["value"] == value:
            kind, _, months = value.rpartition("-")
            return {"kind": kind, "months": int(months), "label": option["label"]}
    return None


def check_email(text: str) -> tuple[str | None, Errors]:
    if not text.strip():
        return None, [{"href": "email", "message": "Enter your email address"}]
    email = normalise_email(text)
    if email is None:
        return None, [
            {"href": "email", "message": "Enter an email address in the correct format, like name@example.com"}
        ]
    return email, []


def _whole(text: str, top: int) -> int | str | None:
    """A whole number from 0 to `top`, None when blank, or the text back when it is not one."""
    stripped = text.strip().replace(",", "")
    if not stripped:
        return None
    if not stripped.isdigit() or int(stripped) > top:
        return text
    return int(stripped)


def check_declaration(form: Mapping[str, str]) -> tuple[dict[str, Any] | None, Errors]:
    """The declared make, colour, fuel and (optional) CO2 and engine size, checked as the permits function does."""
    errors: Errors = []
    make, colour, fuel = (" ".join(form.get(k, "").split()) for k in ("make", "colour", "fuel"))
    if not make or len(make) > MAKE_MAX:
        errors.append({"href": "make", "message": f"Enter the vehicle's make, up to {MAKE_MAX} characters"})
    if not colour or len(colour) > COLOUR_MAX:
        errors.append({"href": "colour", "message": f"Enter the vehicle's colour, up to {COLOUR_MAX} characters"})
    if fuel not in {value for value, _ in FUELS}:
        errors.append({"href": "fuel", "message": "Select the vehicle's fuel"})
    co2, engine = _whole(form.get("co2", ""), CO2_MAX), _whole(form.get("engine", ""), ENGINE_MAX)
    if isinstance(co2, str):
        errors.append({"href": "co2", "message": f"CO2 emissions must be a whole number of g/km from 0 to {CO2_MAX}"})
    if isinstance(engine, str):
        errors.append({"href": "engine", "message": f"Engine size must be a whole number of cc from 0 to {ENGINE_MAX}"})
    if errors:
        return None, errors
    declared: dict[str, Any] = {"make": make, "colour": colour, "fuel": fuel}
    if co2 is not None:
        declared["co2_g_km"] = co2
    if engine is not None:
        declared["engine_cc"] = engine
    return declared, []


def application(answers: Mapping[str, Any]) -> dict[str, Any]:
    """What the permits function's `apply` is sent: the address as the lookup found it, the permit, the mark, the
    resident's email, and the declaration when DVLA could not be asked."""
    address = answers["address"]
    sent: dict[str, Any] = {
        "address": {"uprn": address["uprn"], "postcode": address["postcode"], "street": address.get("street", "")},
        "kind": answers["permit"]["kind"],
        "months": int(answers["permit"]["months"]),
        "contact": {"email": answers["email"]},  # where the permit's messages go (the notifications service)
    }
    if carer(answers):  # no mark: its sessions name the carer's (permits.carer_sessions)
        return sent
    sent["vrm"] = answers["vrm"]["vrm"]
    if answers.get("declared_vehicle"):
        sent["declared_vehicle"] = dict(answers["declared_vehicle"])
    asked = evidence_asked(answers)
    if asked:
        given = answers.get("evidence") or {}
        sent["evidence"] = {e["kind"]: dict(given.get(e["kind"]) or {}) for e in asked}
    return sent


def fuel_label(value: str) -> str:
    return dict(FUELS).get(value, value.title())


def answer_rows(answers: Mapping[str, Any], *, changeable: bool) -> list[dict[str, Any]]:
    """Check your answers: each row's label, lines and (while changeable) where to change it."""
    address, zone = answers.get("address") or {}, answers.get("zone") or {}
    address_lines = [address.get(k) for k in ("line1", "line2", "town", "postcode")]
    permit, vrm = answers.get("permit") or {}, answers.get("vrm") or {}
    rows: list[dict[str, Any]] = [
        {"label": "Address", "lines": [line for line in address_lines if line], "step": "address"},
        {
            "label": "Parking zone",
            "lines": [f"{zone.get('name', '')} (zone {zone.get('code', '')})"],
            "step": "address",
        },
        {"label": "Permit", "lines": [permit.get("label", "")], "step": "permit"},
        {"label": "Vehicle registration number", "lines": [vrm.get("display", "")], "step": "vehicle"}
        if not carer(answers)
        else {"label": "Vehicle", "lines": [CARER_VEHICLE], "step": "permit"},
        {"label": "Email address", "lines": [answers.get("email", "")], "step": "email"},
    ]
    declared = answers.get("declared_vehicle")
    if declared:
        lines = [declared["make"], declared["colour"], fuel_label(declared["fuel"])]
        if declared.get("co2_g_km") is not None:
            lines.append(f"CO2 emissions {declared['co2_g_km']} g/km")
        if declared.get("engine_cc") is not None:
            lines.append(f"Engine size {declared['engine_cc']:,} cc")
        rows.append({"label": "Vehicle details you declared", "lines": lines, "step": "declare"})
    given = answers.get("evidence") or {}
    for asked in evidence_asked(answers):
        entry = given.get(asked["kind"]) or {}
        shown = "You declared this" if entry.get("declared") else (entry.get("upload") or {}).get("filename", "")
        rows.append({"label": asked["name"], "lines": [shown], "step": "evidence"})
    for row in rows:
        row["href"] = step_url(str(row["step"]), change=True) if changeable else ""
    return rows
