"""Carer permits' sessions: a household's carer permit covers one carer's (or agency's) vehicle at a time, in the
permit's zone, while they attend.

A carer permit is applied for, priced and paid like the others but with no vehicle (`permits.application`); the
permit has no mark, so it is in no `by-vrm` partition and holds no VRM guard. While it is in force (active, today
one of its London days) its holder starts a session for the carer's mark (`start`): from now, for at most the zone's
`carer_session_hours`, never past the end of the permit's last day. The rules:

- one vehicle at a time: the permit item holds its running session (`carer_session`, `carer_session_end`); a start
  while one runs is `SessionRunning` (end that one first). The session and the permit are written in one
  transaction under that condition, so two starts racing cannot both pass;
- only in the permit's zone: a session asked for another zone is `SessionOutsideZone`;
- only around controlled hours: a session in which no minute is controlled (`visitors.controlled_minutes`) is
  `OutsideControlledHours` (no permit is needed then);
- only while the permit is in force: `PermitNotInForce` (not yet started, past its last day, revoked, expired or
  cancelled). Ending the permit (`PermitsStore.end`) ends its running session in the same transaction.

`end` stops a running session now (its `end` set to now, with a new feed position, so the enforcement look-up and
the devices' feed stop accepting the mark). Every refusal writes nothing. A session item (`CARER_SESSION#<id>`)
holds the session and permit ids, the mark, the zone and the times, never the household; it is kept two years after
its end (TTL). The enforcement look-up answers `carer-session` for the mark in the zone while it runs.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from permits.store import (
    CARER_SESSION,
    SESSION_RETENTION,
    CarerSession,
    Permit,
    PermitsStore,
    Status,
    end_carer_session_action,
    feed_stamp,
    utc_text,
)
from permits.validity import Standing, Term, standing
from permits.visitors import controlled_minutes
from permits.vrm import parse_vrm
from permits.zones import PermitType, Zone, ZonesFile
from shared.calendar import LONDON


class CarerError(ValueError):
    """A refusal the resident can act on (422); nothing was written."""


class PermitNotInForce(CarerError):
    pass


class SessionOutsideZone(CarerError):
    pass


class OutsideControlledHours(CarerError):
    pass


class SessionRunning(CarerError):
    pass


class SessionNotRunning(CarerError):
    pass


class InvalidCarerRequest(ValueError):
    """A malformed field (400): the message names it. Nothing is written."""


class NoSuchCarerSession(ValueError):
    """No carer session with that id on this permit (404). Nothing is written."""


def _key(session_id: str) -> dict[str, str]:
    return {"pk": f"{CARER_SESSION}#{session_id}", "sk": CARER_SESSION}


def _clock_text(moment: datetime) -> str:
    return f"{moment.astimezone(LONDON):%H:%M on %-d %B}"


def last_moment(permit: Permit) -> datetime:
    """The end of the permit's last London day (midnight after it), as an aware instant."""
    return datetime.combine(permit.valid_to + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)


class CarerSessions:
    """Carer permits' sessions in the Permits table (`table`: a boto3 Table)."""

    def __init__(self, table: Any, zones: ZonesFile) -> None:
        self._table, self._zones = table, zones
        self._name = table.name
        self._store = PermitsStore(table)

    def permit(self, permit_id: str) -> Permit:
        """The carer permit with this id, whatever its standing; `PermitNotInForce` when there is none."""
        found = self._store.get(permit_id) if permit_id else None
        if found is None or found.kind is not PermitType.CARER:
            raise PermitNotInForce("This is not a carer permit.")
        return found

    def zone_of(self, permit: Permit) -> Zone:
        return self._zones.zone(permit.zone)

    def in_force(self, permit: Permit, now: datetime) -> bool:
        term = Term(permit.valid_from, permit.valid_to, 0)
        return permit.status is Status.ACTIVE and standing(term, now, 0) is Standing.VALID

    def current(self, permit: Permit, now: datetime) -> CarerSession | None:
        """The permit's running session, if one runs at `now`."""
        if not permit.carer_session or datetime.fromisoformat(permit.carer_session_end) <= now:
            return None
        found = self._table.get_item(Key=_key(permit.carer_session), ConsistentRead=True).get("Item")
        return CarerSession.from_item(dict(found)) if found else None

    def start(self, permit_id: str, vrm: Any, *, hours: Any, now: datetime, zone: Any = None) -> CarerSession:
        """A session for the carer's `vrm` from `now` for `hours`; raises `InvalidCarerRequest`, `InvalidVrm` or a
        `CarerError` having written nothing."""
        permit = self.permit(permit_id)
        permit_zone = self.zone_of(permit)
        if zone not in (None, "") and str(zone).strip().upper() != permit.zone:
            raise SessionOutsideZone(
                f"This carer permit is for {permit_zone.name} (zone {permit.zone}): it covers a carer's vehicle "
                "there only."
            )
        if not isinstance(vrm, str) or not vrm.strip():
            raise InvalidCarerRequest("vrm: the carer's vehicle registration mark.")
        mark = parse_vrm(vrm)
        most = permit_zone.carer_session_hours or 0
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= most:
            raise InvalidCarerRequest(f"hours: a whole number of hours from 1 to {most}.")
        if not self.in_force(permit, now):
            raise PermitNotInForce("This carer permit is not in force now, so it cannot cover a carer's vehicle.")
        running = self.current(permit, now)
        if running is not None:
            raise SessionRunning(
                f"A carer's vehicle ({running.vrm}) is covered until {_clock_text(running.end)}: end that session "
                "first (the permit covers one vehicle at a time)."
            )
        end = min(now + timedelta(hours=hours), last_moment(permit))
        if controlled_minutes(permit_zone, now, end) == 0:
            raise OutsideControlledHours(
                f"No minute of that time is in {permit_zone.name}'s controlled hours, so no permit is needed then."
            )
        session = CarerSession(uuid.uuid4().hex, permit.permit_id, mark.value, permit.zone, now, end)
        item = {
            **_key(session.session_id),
            "record": CARER_SESSION,
            "session_id": session.session_id,
            "permit_id": session.permit_id,
            "vrm": session.vrm,
            "zone": session.zone,
            "start": utc_text(now),
            "end": utc_text(end),
            "expires_at": int((end + SESSION_RETENTION).timestamp()),
            **feed_stamp(now, session.session_id),
        }
        actions = [
            {"Put": {"TableName": self._name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
            {
                "Update": {
                    "TableName": self._name,
                    "Key": {"pk": f"PERMIT#{permit.permit_id}", "sk": "PERMIT"},
                    "UpdateExpression": "SET carer_session = :id, carer_session_end = :end",
                    "ConditionExpression": "#status = :active AND (attribute_not_exists(carer_session_end) OR "
                    "carer_session_end <= :now)",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":id": session.session_id,
                        ":end": utc_text(end),
                        ":active": str(Status.ACTIVE),
                        ":now": utc_text(now),
                    },
                }
            },
        ]
        if self._store._transact(actions) is not None:
            if self.permit(permit_id).status is not Status.ACTIVE:
                raise PermitNotInForce("This carer permit ended meanwhile: nothing was started.")
            raise SessionRunning("Another session was started meanwhile: end it first (one vehicle at a time).")
        return CarerSession(session.session_id, session.permit_id, session.vrm, session.zone,
                            datetime.fromisoformat(utc_text(now)), datetime.fromisoformat(utc_text(end)))  # fmt: skip

    def end(self, permit_id: str, session_id: Any, *, now: datetime) -> CarerSession:
        """End the permit's running session now; `NoSuchCarerSession` or `SessionNotRunning` having written nothing."""
        permit = self.permit(permit_id)
        ident = str(session_id or "").strip()
        if not ident or len(ident) > 64:
            raise InvalidCarerRequest("session_id: the carer session's id.")
        found = self._table.get_item(Key=_key(ident), ConsistentRead=True).get("Item")
        if not found or found.get("permit_id") != permit.permit_id:
            raise NoSuchCarerSession("There is no carer session with this id on this permit.")
        session = CarerSession.from_item(dict(found))
        if session.end <= now:
            raise SessionNotRunning(f"This session ended at {_clock_text(session.end)}.")
        actions = [
            end_carer_session_action(self._name, ident, now),
            {
                "Update": {
                    "TableName": self._name,
                    "Key": {"pk": f"PERMIT#{permit.permit_id}", "sk": "PERMIT"},
                    "UpdateExpression": "REMOVE carer_session, carer_session_end",
                    "ConditionExpression": "carer_session = :id",
                    "ExpressionAttributeValues": {":id": ident},
                }
            },
        ]
        if self._store._transact(actions) is not None:
            raise SessionNotRunning("This session ended meanwhile: nothing was changed.")
        return CarerSession(session.session_id, session.permit_id, session.vrm, session.zone, session.start,
                            datetime.fromisoformat(utc_text(now)))  # fmt: skip
