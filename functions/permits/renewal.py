"""Renewing a permit, pre-filled: what the renewal of an issued application's permit would be, for the web to show.

`renewal(store, zones, reference, today)` answers `{"status", "body"}` (the PermitApplications function's
`{"action": "renewal", "reference"}`):

- 200: the current permit's address (its UPRN: the application keeps no address lines, the web finds them by
  UPRN with its address lookup), kind, months and mark, and the renewal's `start` (the day after the permit's last
  day, or today when it has lapsed), its validity and its price with the reasons (`permits.quotes`, as applying
  prices it: the household's other permits in force on that day, the vehicle as DVLA gave it when applied for);
- `evidence` (only in a zone asking evidence of the type: permits.evidence): `carried_forward` true, with `from`
  and `status`, when the current application's evidence was verified or declared and answers what is asked now;
  otherwise false with what is `asked`, sent as on applying;
- 404: no such application; 409 (`reason`): not issued (`not-issued`), the permit revoked (`revoked`), the type no
  longer offered in the zone (`not-offered`), or too early (`too-early`, with `renewable_from`: a permit may be
  bought to start at most `MAX_START_AHEAD` ahead).

It writes nothing: the resident applies for the renewal as for any permit, with these answers.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from permits import evidence
from permits.application import ISSUED, MAX_START_AHEAD, Application, active_permits
from permits.pricing import PriceError, VehicleFacts, pounds
from permits.quotes import quote
from permits.store import PermitsStore, Status
from permits.zones import PermitType, Tariff, Zone, ZonesFile


def renewal_months(tariff: Tariff, application: Application, *, common_end: bool) -> int:
    """The length the renewal is offered for: the current permit's months as the lengths on sale go (the shortest
    at least as long, else the longest); in a zone where every permit ends on one date, 12 when on sale."""
    lengths = sorted(tariff.types[application.kind].lengths)
    if common_end and 12 in lengths:
        return 12
    return next((n for n in lengths if n >= application.months), lengths[-1])


def _refused(status: int, reason: str, detail: str, **more: Any) -> dict[str, Any]:
    return {"status": status, "body": {"reason": reason, "detail": detail, **more}}


def renewal(store: PermitsStore, zones: ZonesFile, reference: str, today: date) -> dict[str, Any]:
    item = store.get_application(reference)
    if item is None:
        return {"status": 404, "body": {"detail": "There is no application with this reference."}}
    application = Application.from_item(item)
    permit = store.get(application.permit_id) if application.status == ISSUED and application.permit_id else None
    if permit is None:
        return _refused(409, "not-issued", "This application has no permit to renew.")
    if permit.status is Status.REVOKED:
        return _refused(409, "revoked", "This permit was cancelled, so it cannot be renewed: apply for a new one.")
    if permit.kind is PermitType.CARER:  # not renewed in place (permits.carer_sessions): a new one is applied for
        return _refused(409, "carer", "A carer permit is renewed by applying for a new one, to start when this ends.")
    zone = zones.zone(permit.zone)
    if not zone.offers(permit.kind):
        return _refused(409, "not-offered", f"{zone.name} no longer offers {permit.kind.value} permits.")
    start = max(permit.valid_to + timedelta(days=1), today)
    if start > today + MAX_START_AHEAD:
        renewable_from = start - MAX_START_AHEAD
        return _refused(
            409,
            "too-early",
            f"This permit can be renewed from {renewable_from:%-d %B %Y}.",
            renewable_from=renewable_from.isoformat(),
        )
    tariff = zones.tariff_of(zone)
    rule = tariff.types[permit.kind]
    others = [p for p in store.household_permits(permit.household, zone.code) if p.permit_id != permit.permit_id]
    counted = sum(1 for p in active_permits(others, start) if (r := tariff.types.get(p.kind)) and r.per_household)
    vehicle = dict(item.get("vehicle") or {})
    facts = VehicleFacts(
        co2_g_km=int(vehicle["co2_g_km"]) if vehicle.get("co2_g_km") is not None else None,
        engine_cc=int(vehicle["engine_cc"]) if vehicle.get("engine_cc") is not None else None,
        fuel=str(vehicle["fuel"]) if vehicle.get("fuel") else None,
    )
    months = renewal_months(tariff, application, common_end=zone.common_end_date is not None)
    try:
        priced = quote(
            zone,
            tariff,
            permit.kind,
            months,
            start,
            household_permits=counted if rule.per_household else 0,
            vehicle=facts,
        )
    except PriceError as error:
        return _refused(409, "not-offered", str(error))
    answer = evidence_of_renewal(zone, permit.kind, item)
    return {
        "status": 200,
        "body": {
            **({"evidence": answer} if answer else {}),
            "renews": application.reference,
            "permit_id": permit.permit_id,
            "address": {"uprn": permit.household},
            "zone": permit.zone,
            "kind": str(permit.kind),
            "months": months,
            "vrm": permit.vrm,
            "start": start.isoformat(),
            "valid_from": priced.permit.valid_from.isoformat(),
            "valid_to": priced.permit.valid_to.isoformat(),
            "amount_pence": priced.price.pence,
            "amount": pounds(priced.price.pence),
            "reasons": list(priced.price.reasons),
        },
    }


def evidence_of_renewal(zone: Zone, kind: PermitType, current: dict[str, Any]) -> dict[str, Any]:
    """What the renewal's evidence will be, in a zone that asks it ({} when it asks none): `carried_forward` true
    (from the current application, verified or declared: applying for the renewal with `renews` or `evidence_from`
    and no `evidence` carries it) or false with what is `asked` (permits.evidence.describe), to send as applying."""
    if not evidence.needed(zone, kind):
        return {}
    found = evidence.carried(zone, kind, current)
    if found is not None:
        return {"carried_forward": True, "from": str(current["reference"]), "status": found[1]}
    return {"carried_forward": False, "asked": evidence.describe(zone)[str(kind)]}
