"""A carer permit's sessions through the permit's signed manage link (the resident web's carer pages), actions of the
PermitApplications function (`permits.carer_sessions`). The link names an application; its permit is the one the
sessions are for, so the web never holds a permit id or a UPRN.

`{"action": "carer-permit", "token"}` -> 200 `reference`, `permit_id`, `zone`, `zone_name`, `valid_from`,
`valid_to`, `in_force`, `max_hours`, `session` (the running one: `id`, `vrm`, `zone`, `start`, `end`; or null).
`{"action": "start-carer-session", "token", "vrm", "hours", "zone"?}` -> 201 `{"session"}`.
`{"action": "end-carer-session", "token", "session_id"}` -> 200 `{"session"}` (its `end` now).
404 a bad, expired or unknown link, or no such session on the permit; 422 with `refusal`: `NotACarerPermit`,
`PermitNotInForce` (not issued, not yet started, past its last day, revoked, expired, cancelled),
`SessionOutsideZone`, `OutsideControlledHours`, `SessionRunning`, `SessionNotRunning`; 400 a malformed field
(`vrm`, `hours`, `session_id`). Every refusal writes nothing; the mark is never logged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from permits.carer_sessions import (
    CarerError,
    CarerSessions,
    InvalidCarerRequest,
    NoSuchCarerSession,
    PermitNotInForce,
)
from permits.store import CarerSession
from permits.vrm import InvalidVrm
from permits.zones import PermitType
from shared.observability import logger

CARER_ACTIONS = frozenset({"carer-permit", "start-carer-session", "end-carer-session"})


def _error(status: int, detail: str, **more: Any) -> dict[str, Any]:
    return {"status": status, "body": {"detail": detail, **more}}


def session_body(session: CarerSession | None) -> dict[str, Any] | None:
    if session is None:
        return None
    return {"id": session.session_id, "vrm": session.vrm, "zone": session.zone,
            "start": session.start.isoformat(), "end": session.end.isoformat()}  # fmt: skip


def carer_by_link(
    event: dict[str, Any],
    reference_of: Callable[[str], str | None],
    application_of: Callable[[str], Any],
    sessions: CarerSessions,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dict[str, Any]:
    reference = reference_of(str(event.get("token") or ""))
    found = application_of(reference) if reference else None
    if found is None:
        return _error(404, "This link does not work.")
    if found.kind is not PermitType.CARER:
        return _error(422, "This is not a carer permit.", refusal="NotACarerPermit")
    now, action = clock(), event.get("action")
    try:
        if found.status != "issued" or not found.permit_id:
            raise PermitNotInForce("This carer permit is not in force.")
        permit = sessions.permit(found.permit_id)
        if action == "carer-permit":
            zone = sessions.zone_of(permit)
            return {"status": 200, "body": {
                "reference": found.reference, "permit_id": permit.permit_id, "zone": permit.zone,
                "zone_name": zone.name, "valid_from": permit.valid_from.isoformat(),
                "valid_to": permit.valid_to.isoformat(), "in_force": sessions.in_force(permit, now),
                "max_hours": zone.carer_session_hours, "session": session_body(sessions.current(permit, now)),
            }}  # fmt: skip
        if action == "start-carer-session":
            started = sessions.start(
                permit.permit_id, event.get("vrm"), hours=event.get("hours"), now=now, zone=event.get("zone")
            )
            logger.info("Carer session started", extra={"session_id": started.session_id, "zone": started.zone})
            return {"status": 201, "body": {"session": session_body(started)}}
        ended = sessions.end(permit.permit_id, event.get("session_id"), now=now)
        logger.info("Carer session ended", extra={"session_id": ended.session_id})
        return {"status": 200, "body": {"session": session_body(ended)}}
    except (InvalidCarerRequest, InvalidVrm) as error:
        return _error(400, str(error))
    except NoSuchCarerSession as error:
        return _error(404, str(error))
    except CarerError as error:
        logger.info("Carer session refused", extra={"refusal": type(error).__name__})
        return _error(422, str(error), refusal=type(error).__name__)
