"""The enforcement look-up: what a civil enforcement officer's device is told about a mark in a zone, at a moment.

One Query of the Permits table's `by-vrm` index (`PermitsStore.by_vrm`), then, in this order:

1. `valid`: an active permit for the mark in the zone whose London dates include today;
2. `visitor-session`: a visitor session for the mark in the zone running at that moment;
   `carer-session`: else a carer session (a carer permit covering the carer's vehicle, permits.carer_sessions)
   for the mark in the zone running at that moment, with its `permit_id` and `session_id`;
3. `expired`: the mark's latest permit in the zone has passed its last day (active or expired, not revoked or
   cancelled), with `expired_on` (its last day) and `in_grace` (still inside the zone's grace period, `grace_days`);
4. `valid-in-another-zone`: an active permit for the mark, valid today, in another zone (`other_zone`);
5. `no-permit`: nothing above (a revoked, cancelled or surrendered permit: moved into another zone; one not valid
   yet, or none at all).

The answer names the permit or session id and the zone, never the household, the resident or the vehicle's
details: nothing personal beyond the mark the officer typed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from permits.store import CarerSession, Permit, PermitsStore, Status, VisitorSession
from permits.validity import Standing, Term, standing
from permits.vrm import parse_vrm
from permits.zones import ZonesFile


class Outcome(StrEnum):
    VALID = "valid"
    VISITOR_SESSION = "visitor-session"
    CARER_SESSION = "carer-session"
    EXPIRED = "expired"
    VALID_IN_ANOTHER_ZONE = "valid-in-another-zone"
    NO_PERMIT = "no-permit"


class UnknownZone(ValueError):
    pass


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    vrm: str
    zone: str
    checked_at: datetime
    permit_id: str = ""
    session_id: str = ""
    valid_to: date | None = None
    session_ends: datetime | None = None
    expired_on: date | None = None
    in_grace: bool | None = None
    other_zone: str = ""

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "vrm": self.vrm,
            "zone": self.zone,
            "answer": str(self.outcome),
            "checked_at": self.checked_at.isoformat(),
        }
        if self.permit_id:
            body["permit_id"] = self.permit_id
        if self.session_id:
            body["session_id"] = self.session_id
        if self.valid_to is not None:
            body["valid_to"] = self.valid_to.isoformat()
        if self.session_ends is not None:
            body["session_ends"] = self.session_ends.isoformat()
        if self.expired_on is not None:
            body["expired_on"] = self.expired_on.isoformat()
            body["in_grace"] = self.in_grace
        if self.other_zone:
            body["other_zone"] = self.other_zone
        return body


def _standing(permit: Permit, moment: datetime, grace_days: int) -> Standing:
    return standing(Term(permit.valid_from, permit.valid_to, 0), moment, grace_days)


def check(store: PermitsStore, zones: ZonesFile, vrm: str, zone_code: str, moment: datetime) -> Answer:
    """The answer for `vrm` in `zone_code` at `moment` (aware); `InvalidVrm` or `UnknownZone` for bad input."""
    mark = parse_vrm(vrm).value
    codes = {zone.code for zone in zones.zones}
    if zone_code not in codes:
        raise UnknownZone(f"No zone {zone_code!r}; the zones are {sorted(codes)}.")
    zone = zones.zone(zone_code)
    permits, sessions, carers = store.lookup(mark)
    # A revoked, cancelled or surrendered permit is not a permit at all: never "expired", whatever its dates.
    ended = (Status.REVOKED, Status.CANCELLED, Status.SURRENDERED)
    here = [p for p in permits if p.zone == zone_code and p.status not in ended]
    base = Answer(Outcome.NO_PERMIT, mark, zone_code, moment)
    for permit in here:
        if permit.status is Status.ACTIVE and _standing(permit, moment, zone.grace_days) is Standing.VALID:
            return replace(base, outcome=Outcome.VALID, permit_id=permit.permit_id, valid_to=permit.valid_to)
    running = [s for s in sessions if s.zone == zone_code and s.start <= moment < s.end]
    if running:
        session: VisitorSession = max(running, key=lambda s: s.end)
        return replace(base, outcome=Outcome.VISITOR_SESSION, session_id=session.session_id, session_ends=session.end)
    covering = [s for s in carers if s.zone == zone_code and s.start <= moment < s.end]
    if covering:
        carer: CarerSession = max(covering, key=lambda s: s.end)
        return replace(
            base, outcome=Outcome.CARER_SESSION, permit_id=carer.permit_id, session_id=carer.session_id,
            session_ends=carer.end,
        )  # fmt: skip
    # Past its last day by its dates, or ended as expired by the daily job (permits.schedule_job) whatever they say.
    lapsed = [
        p
        for p in here
        if p.status is Status.EXPIRED or _standing(p, moment, zone.grace_days) in (Standing.IN_GRACE, Standing.EXPIRED)
    ]
    if lapsed:
        latest = max(lapsed, key=lambda p: p.valid_to)
        in_grace = _standing(latest, moment, zone.grace_days) is Standing.IN_GRACE
        return replace(
            base, outcome=Outcome.EXPIRED, permit_id=latest.permit_id, expired_on=latest.valid_to, in_grace=in_grace
        )
    for permit in permits:
        if (
            permit.zone != zone_code
            and permit.status is Status.ACTIVE
            and _standing(permit, moment, 0) is Standing.VALID
        ):
            return replace(
                base, outcome=Outcome.VALID_IN_ANOTHER_ZONE, permit_id=permit.permit_id, other_zone=permit.zone
            )
    return base
