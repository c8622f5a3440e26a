"""The Permits table: issued permits and visitor sessions, with the two guards that make issuing safe under races.

One table, keyed by `pk` and `sk` (strings):

| item | pk | sk | what |
| --- | --- | --- | --- |
| a permit | `PERMIT#<id>` | `PERMIT` | id, VRM (none for a carer permit), zone, type, dates, status, household (UPRN) |
| a visitor session | `SESSION#<id>` | `SESSION` | id, VRM, zone, start/end (UTC, ISO), household |
| a carer session | `CARER_SESSION#<id>` | `CARER_SESSION` | id, its permit's id, the carer's VRM, zone, start/end |
| the VRM guard | `ACTIVE#<zone>#<vrm>` | `GUARD` | the one active permit for that mark in that zone |
| the household counter | `HOUSEHOLD#<uprn>#<zone>` | `COUNT` | how many active limit-counting permits it holds |
| an application | `APPLICATION#<reference>` | `APPLICATION` | permits.application: pending payment, then issued |

A permit issued for an application (permits.issuing) keeps its `reference`, by which the permit messages ask for
the resident's contact details.

Four indexes, never a Scan: `by-vrm` (partition `vrm`: a mark's permits and sessions in every zone, what the
enforcement look-up reads), `by-household` (partition `household`, sort `zone`), `by-change` (partition
`feed_month`, the UTC month of a permit's or session's latest change, sort `feed_at`, `<changed at>#<id>`: what the
devices' offline feed pages through, `permits.feed`) and `by-due` (partition `due_on`, a London date, sort `pk`,
keys only: the unpaid applications and issued permits with a step on that day, `permits.schedule`). Guards and
counters carry none of these attributes, so they are in no index.

`issue` is one transaction: the permit (new id), the VRM guard (absent, else `VrmAlreadyPermitted`) and, for a type
that counts towards the household's limit, the counter (below the zone's limit, else `HouseholdLimitReached`). Any
refusal writes nothing. `end` (revoked, expired or cancelled) is one transaction too: the status changes only from
active, the guard goes (only if it is this permit's) and the counter comes down. The household key is a UPRN, never
a name. A visitor session is kept two years after it ends (the TTL `expires_at`); permits are not expired by TTL.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from permits import store_handover, store_renewal
from permits.eligibility import HouseholdLimitReached, VrmAlreadyPermitted
from permits.store_handover import counter_key as _counter_key
from permits.store_handover import guard_key as _guard_key
from permits.store_handover import release
from permits.vrm import parse_vrm
from permits.zones import PermitType

BY_VRM = "by-vrm"  # stacks/permits_stack.py
BY_HOUSEHOLD = "by-household"  # stacks/permits_stack.py
BY_CHANGE = "by-change"  # stacks/permits_stack.py
PERMIT = "PERMIT"
SESSION = "SESSION"
CARER_SESSION = "CARER_SESSION"  # a carer's vehicle covered by a carer permit (permits.carer_sessions)
SESSION_RETENTION = timedelta(days=2 * 365)  # a session is kept two years after it ends (TTL `expires_at`)


class Status(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"
    CANCELLED = "cancelled"  # ended early by the resident (permits.changes), refunded by the zone's rule
    SURRENDERED = "surrendered"  # given up for a new permit in another zone (permits.moving: moves_store)


class PermitExists(ValueError):
    """A permit with this id was written already (a repeated issue): nothing was changed."""


class PermitNotActive(ValueError):
    """The permit does not exist or is no longer active: nothing was changed."""


class ApplicationNotPending(ValueError):
    """The application the permit was for is no longer pending payment (cancelled meanwhile): nothing was written."""


@dataclass(frozen=True)
class Permit:
    permit_id: str
    vrm: str
    zone: str
    kind: PermitType
    valid_from: date
    valid_to: date
    status: Status
    household: str  # a UPRN
    counts_towards_limit: bool
    reference: str = ""  # the application it was issued for (permits.issuing)
    renewed_by: str = ""  # the permit that renews it (holding its VRM guard and household place: `issue`'s `renews`)
    renews: str = ""  # the permit it took the guard and place over from (permits.store_renewal)
    carer_session: str = ""  # a carer permit's running (or last) session's id (permits.carer_sessions)
    carer_session_end: str = ""  # when that session ends (UTC, ISO)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Permit:
        return cls(
            permit_id=str(item["permit_id"]),
            vrm=str(item.get("vrm", "")),  # a carer permit has none (and so is in no `by-vrm` partition)
            zone=str(item["zone"]),
            kind=PermitType(str(item["kind"])),
            valid_from=date.fromisoformat(str(item["valid_from"])),
            valid_to=date.fromisoformat(str(item["valid_to"])),
            status=Status(str(item["status"])),
            household=str(item["household"]),
            counts_towards_limit=bool(item.get("counts_towards_limit", False)),
            reference=str(item.get("reference", "")),
            renewed_by=str(item.get("renewed_by", "")),
            renews=str(item.get("renews", "")),
            carer_session=str(item.get("carer_session", "")),
            carer_session_end=str(item.get("carer_session_end", "")),
        )


@dataclass(frozen=True)
class VisitorSession:
    session_id: str
    vrm: str
    zone: str
    start: datetime  # aware
    end: datetime  # aware
    household: str

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> VisitorSession:
        return cls(
            session_id=str(item["session_id"]),
            vrm=str(item["vrm"]),
            zone=str(item["zone"]),
            start=datetime.fromisoformat(str(item["start"])),
            end=datetime.fromisoformat(str(item["end"])),
            household=str(item["household"]),
        )


@dataclass(frozen=True)
class CarerSession:
    """A carer's vehicle covered by a household's carer permit, in the permit's zone, from `start` to `end`."""

    session_id: str
    permit_id: str
    vrm: str
    zone: str
    start: datetime  # aware
    end: datetime  # aware; set to the moment it was ended, if ended early

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> CarerSession:
        return cls(
            session_id=str(item["session_id"]),
            permit_id=str(item["permit_id"]),
            vrm=str(item["vrm"]),
            zone=str(item["zone"]),
            start=datetime.fromisoformat(str(item["start"])),
            end=datetime.fromisoformat(str(item["end"])),
        )


def utc_text(moment: datetime) -> str:
    """An instant as stored for comparison in conditions: UTC, to the second (`2027-06-08T09:00:00+00:00`)."""
    return _aware(moment).astimezone(UTC).isoformat(timespec="seconds")


def end_carer_session_action(table: str, session_id: str, now: datetime) -> dict[str, Any]:
    """A transaction's action ending a running carer session at `now` (its new end in the devices' feed)."""
    stamp = feed_stamp(now, session_id)
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": f"{CARER_SESSION}#{session_id}", "sk": CARER_SESSION},
            "UpdateExpression": "SET #end = :now, ended_at = :now, feed_month = :month, feed_at = :at",
            "ConditionExpression": "#end > :now",
            "ExpressionAttributeNames": {"#end": "end"},
            "ExpressionAttributeValues": {
                ":now": utc_text(now),
                ":month": stamp["feed_month"],
                ":at": stamp["feed_at"],
            },
        }
    }


def put_new(table: Any, item: dict[str, Any]) -> bool:
    """Put a record whose key must be new (an application, a change, a move); False when that key exists (nothing
    overwritten)."""
    from botocore.exceptions import ClientError

    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _uprn(household: str) -> str:
    if not household.isdigit() or not 1 <= len(household) <= 12:
        raise ValueError("The household key must be a UPRN (1 to 12 digits).")
    return household


def session_item(session: VisitorSession, **more: Any) -> dict[str, Any]:
    """A visitor session's item (with `more` attributes: the wallet's, permits.wallet_store)."""
    return {
        "pk": f"SESSION#{session.session_id}",
        "sk": SESSION,
        "record": SESSION,
        "session_id": session.session_id,
        "vrm": session.vrm,
        "zone": session.zone,
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "household": session.household,
        "expires_at": int((session.end + SESSION_RETENTION).timestamp()),
        **feed_stamp(datetime.now(UTC), session.session_id),
        **more,
    }


def feed_stamp(moment: datetime, record_id: str) -> dict[str, str]:
    """Where a change sits in the offline feed (`by-change`): its UTC month, then its time and the record's id."""
    at = _aware(moment).astimezone(UTC)
    return {"feed_month": f"{at:%Y-%m}", "feed_at": f"{at.isoformat(timespec='microseconds')}#{record_id}"}


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return moment


def _refusal(
    reasons: list[str], permit_id: str, mark: str, zone: str, reference: str, limit: int, *, renewing: bool
) -> None:
    """Raise what refused an issue's transaction; return only when a renewal's takeover of the permit it renews
    failed (that permit ended or was renewed meanwhile)."""
    failed = [r == "ConditionalCheckFailed" for r in reasons]
    if failed and failed[0]:
        raise PermitExists(f"Permit {permit_id} exists already.")
    if reference and failed and failed[-1]:
        raise ApplicationNotPending(f"Application {reference} is no longer pending payment.")
    if len(failed) > 1 and failed[1]:
        raise VrmAlreadyPermitted(f"{mark} already has an active permit in zone {zone}.")
    if len(failed) > 2 and failed[2]:
        if renewing:
            return
        raise HouseholdLimitReached(f"This household already holds {limit} permit(s) in zone {zone}, the most it may.")
    raise RuntimeError(f"The permit was not written: {reasons}")


class PermitsStore:
    """Permits and visitor sessions in the Permits table; `table` is a boto3 Table (shared.aws.table(name))."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self._name = table.name
        self._client = table.meta.client

    # -- permits --------------------------------------------------------------------------------------------------
    def issue(
        self,
        *,
        vrm: str,
        zone: str,
        kind: PermitType,
        valid_from: date,
        valid_to: date,
        household: str,
        household_limit: int,
        counts_towards_limit: bool,
        permit_id: str | None = None,
        reference: str = "",
        due_on: str | None = None,
        renews: str | None = None,
        application_status: str = "pending-payment",
    ) -> Permit:
        """Write an active permit, or raise (`VrmAlreadyPermitted`, `HouseholdLimitReached`) having written nothing.
        With `reference` (the application's, kept on the permit) that application must still be `pending-payment`
        (`ApplicationNotPending` otherwise: cancelled meanwhile), or `application_status` when given (a paid application
        held for its evidence, permits.evidence); `due_on` is its first scheduled step (by-due).
        `renews` (the id of an active permit of the same mark, zone and household, permits.renewing): the new permit
        takes over that one's VRM guard and household place (`renewed_by` set on it, the counter unchanged), so the
        old one's end leaves both to it; that permit no longer active (ended meanwhile), it is issued as any other."""
        carer = kind is PermitType.CARER  # not tied to a vehicle: no mark, no VRM guard (permits.carer_sessions)
        if carer and (vrm or renews or counts_towards_limit):
            raise ValueError("A carer permit has no mark, is not renewed in place and does not count to the limit.")
        mark = "" if carer else parse_vrm(vrm).value
        if valid_to < valid_from:
            raise ValueError("A permit cannot end before it starts.")
        if household_limit < 1:
            raise ValueError("A household limit is at least 1.")
        permit = Permit(
            permit_id=permit_id or uuid.uuid4().hex,
            vrm=mark,
            zone=zone,
            kind=kind,
            valid_from=valid_from,
            valid_to=valid_to,
            status=Status.ACTIVE,
            household=_uprn(household),
            counts_towards_limit=counts_towards_limit,
            reference=reference,
        )
        item = {
            "pk": f"PERMIT#{permit.permit_id}",
            "sk": PERMIT,
            "record": PERMIT,
            "permit_id": permit.permit_id,
            **({"vrm": mark} if mark else {}),
            "zone": zone,
            "kind": str(kind),
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat(),
            "status": str(Status.ACTIVE),
            "household": permit.household,
            "counts_towards_limit": counts_towards_limit,
            **({"reference": reference} if reference else {}),
            **feed_stamp(datetime.now(UTC), permit.permit_id),
            **({"due_on": due_on} if due_on else {}),
        }
        renewed = store_renewal.renewable(self.get(renews) if renews else None, mark, zone, permit.household)
        guard: dict[str, Any] = {
            "TableName": self._name,
            "Item": {**_guard_key(zone, mark), "permit_id": permit.permit_id},
            "ConditionExpression": "attribute_not_exists(pk)",
            **(store_renewal.guard_condition(renewed.permit_id) if renewed is not None else {}),
        }
        actions: list[dict[str, Any]] = [
            {"Put": {"TableName": self._name, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
            *([] if carer else [{"Put": guard}]),
        ]
        if renewed is not None:  # replaces, not adds: the household's place passes to the renewal (counter unchanged)
            item["renews"] = renewed.permit_id
            actions.append(store_renewal.takeover(self._name, renewed.permit_id, permit.permit_id))
        elif counts_towards_limit:
            actions.append(
                {
                    "Update": {
                        "TableName": self._name,
                        "Key": _counter_key(permit.household, zone),
                        "UpdateExpression": "ADD active :one",
                        "ConditionExpression": "attribute_not_exists(active) OR active < :limit",
                        "ExpressionAttributeValues": {":one": 1, ":limit": household_limit},
                    }
                }
            )
        if reference:
            actions.append(
                {
                    "ConditionCheck": {
                        "TableName": self._name,
                        "Key": {"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"},
                        "ConditionExpression": "#status = :pending",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {":pending": application_status},
                    }
                }
            )
        reasons = self._transact(actions)
        if reasons is not None:
            _refusal(reasons, permit.permit_id, mark, zone, reference, household_limit, renewing=renewed is not None)
            # the renewed permit ended (or was renewed) meanwhile: issued as any other, under the guard and counter
            return self.issue(
                vrm=vrm, zone=zone, kind=kind, valid_from=valid_from, valid_to=valid_to, household=household,
                household_limit=household_limit, counts_towards_limit=counts_towards_limit, permit_id=permit_id,
                reference=reference, due_on=due_on, application_status=application_status,
            )  # fmt: skip
        return permit

    def get(self, permit_id: str) -> Permit | None:
        found = self._table.get_item(Key={"pk": f"PERMIT#{permit_id}", "sk": PERMIT}).get("Item")
        return Permit.from_item(found) if found else None

    def end(
        self,
        permit_id: str,
        status: Status,
        *,
        due_on: str | None = None,
        outbox: str | None = None,
        also: tuple[dict[str, Any], ...] = (),
        attributes: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> Permit:
        """Revoke, expire or cancel an active permit: its VRM guard released and its household counter lowered, at
        once; a renewed permit (`renewed_by`) leaves both to its renewal, which holds them. Its scheduled steps go
        (`due_on` removed); with `due_on`, only if that is still its next step's day (the daily job's expiry,
        `PermitNotActive` otherwise). `outbox` (an event's envelope, shared.outbox) and
        `attributes` (who ended it and why) are stored on the permit and the `also` actions (e.g. the application
        marked) run, in the same transaction."""
        if status is Status.ACTIVE:
            raise ValueError("A permit ends as revoked, expired or cancelled.")
        permit = self.get(permit_id)
        if permit is None or permit.status is not Status.ACTIVE:
            raise PermitNotActive(f"Permit {permit_id} is not active.")
        # The devices' feed carries the end, so an offline device stops accepting the permit.
        now = at or datetime.now(UTC)  # `at`: the moment it ends (a test's clock; the real one otherwise)
        stamp = feed_stamp(now, permit_id)
        more = dict(attributes or {})
        if {"pk", "sk", "status", "feed_month", "feed_at", "due_on"} & set(more):
            raise ValueError("`attributes` cannot set the permit's key, status, feed position or schedule.")
        sets = "".join(f", #a{i} = :a{i}" for i in range(len(more)))
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._name,
                    "Key": {"pk": f"PERMIT#{permit_id}", "sk": PERMIT},
                    "UpdateExpression": "SET #status = :ended, feed_month = :month, feed_at = :at"
                    + (", outbox = :outbox" if outbox else "")
                    + sets
                    + " REMOVE due_on",
                    "ConditionExpression": "#status = :active"
                    + (" AND due_on = :due" if due_on else "")
                    + (" AND renewed_by = :by" if permit.renewed_by else " AND attribute_not_exists(renewed_by)"),
                    "ExpressionAttributeNames": {"#status": "status", **{f"#a{i}": n for i, n in enumerate(more)}},
                    "ExpressionAttributeValues": {
                        ":ended": str(status),
                        ":active": str(Status.ACTIVE),
                        ":month": stamp["feed_month"],
                        ":at": stamp["feed_at"],
                        **({":due": due_on} if due_on else {}),
                        **({":by": permit.renewed_by} if permit.renewed_by else {}),
                        **({":outbox": outbox} if outbox else {}),
                        **{f":a{i}": v for i, v in enumerate(more.values())},
                    },
                }
            },
        ]
        if permit.carer_session and datetime.fromisoformat(permit.carer_session_end) > now:  # its carer session ends
            actions.append(end_carer_session_action(self._name, permit.carer_session, now))
        renews = permit.renews or str((self.get_application(permit.reference) or {}).get("renews_permit_id") or "")
        renewed = store_handover.handing_back(permit, self.get(renews) if renews else None)
        if renewed is not None:  # a renewal ended while the permit it renews is in force: both go back to that one
            actions.extend(store_handover.hand_back(self._name, permit, renewed))
        elif (
            not permit.renewed_by and permit.vrm
        ):  # a renewed permit's guard and place are its renewal's now; a carer permit has none
            actions.extend(release(self._name, permit))
        reasons = self._transact([*actions, *also])
        if reasons is not None:
            raise PermitNotActive(f"Permit {permit_id} changed while it was being ended: nothing was changed.")
        return Permit(**{**permit.__dict__, "status": status})

    def household_permits(self, household: str, zone: str | None = None) -> list[Permit]:
        condition = "household = :h" + (" AND #zone = :z" if zone else "")
        values: dict[str, Any] = {":h": _uprn(household)}
        names = {}
        if zone:
            values[":z"] = zone
            names["#zone"] = "zone"
        items = self._query(BY_HOUSEHOLD, condition, values, names)
        return [Permit.from_item(item) for item in items if item.get("record") == PERMIT]

    # -- applications (permits.application) ----------------------------------------------------------------------
    def put_application(self, item: dict[str, Any]) -> bool:
        """Write a new application; False when one with its reference exists (nothing is overwritten)."""
        return put_new(self._table, item)

    def move_application(
        self, reference: str, *, expected: str, status: str, evidence: str | None = None, **fields: Any
    ) -> bool:
        """The application from `expected` to `status` with `fields` set, under that condition (and, with `evidence`,
        its `evidence_status` being that: permits.evidence); False otherwise.
        Its scheduled steps end (`due_on` removed): it is no longer an unpaid application."""
        from botocore.exceptions import ClientError

        names = {"#status": "status", **{f"#f{i}": name for i, name in enumerate(fields)}}
        values = {":status": status, ":expected": expected, **{f":f{i}": v for i, v in enumerate(fields.values())}}
        condition = "#status = :expected"
        if evidence is not None:
            names["#evidence"], values[":evidence"] = "evidence_status", evidence
            condition += " AND #evidence = :evidence"
        sets = ", ".join(["#status = :status", *(f"#f{i} = :f{i}" for i in range(len(fields)))])
        try:
            self._table.update_item(
                Key={"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"},
                UpdateExpression=f"SET {sets} REMOVE due_on",
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_application(self, reference: str) -> dict[str, Any] | None:
        found = self._table.get_item(Key={"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"}).get("Item")
        return dict(found) if found else None

    # -- visitor sessions -------------------------------------------------------------------------------------------
    def start_session(
        self, *, vrm: str, zone: str, start: datetime, end: datetime, household: str, session_id: str | None = None
    ) -> VisitorSession:
        """Store a visitor session as given (the wallet, `permits.visitors`, decides whether it may start; the
        resident's sessions are started by `permits.wallet_store`, with the wallet's balance in one transaction)."""
        if _aware(end) <= _aware(start):
            raise ValueError("A session must end after it starts.")
        session = VisitorSession(
            session_id=session_id or uuid.uuid4().hex,
            vrm=parse_vrm(vrm).value,
            zone=zone,
            start=start,
            end=end,
            household=_uprn(household),
        )
        self._table.put_item(Item=session_item(session), ConditionExpression="attribute_not_exists(pk)")
        return session

    # -- by mark (the enforcement look-up) --------------------------------------------------------------------------
    def by_vrm(self, vrm: str) -> tuple[list[Permit], list[VisitorSession]]:
        """Every permit and visitor session of a mark, in every zone: one Query of the `by-vrm` index."""
        permits, sessions, _ = self.lookup(vrm)
        return permits, sessions

    def lookup(self, vrm: str) -> tuple[list[Permit], list[VisitorSession], list[CarerSession]]:
        """Every permit, visitor session and carer session of a mark, in every zone: one Query of `by-vrm`."""
        items = self._query(BY_VRM, "vrm = :v", {":v": parse_vrm(vrm).value}, {})
        permits = [Permit.from_item(i) for i in items if i.get("record") == PERMIT]
        sessions = [VisitorSession.from_item(i) for i in items if i.get("record") == SESSION]
        carers = [CarerSession.from_item(i) for i in items if i.get("record") == CARER_SESSION]
        return permits, sessions, carers

    # -- by change (the devices' offline feed) -----------------------------------------------------------------------
    def changes(self, month: str, *, after: str = "", limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` permits and sessions last changed in `month` (UTC, `YYYY-MM`) after the feed position
        `after` (a `feed_at`), oldest first: one Query page of `by-change`; True if the month has more."""
        request: dict[str, Any] = {
            "IndexName": BY_CHANGE,
            "KeyConditionExpression": "feed_month = :month" + (" AND feed_at > :after" if after else ""),
            "ExpressionAttributeValues": {":month": month, **({":after": after} if after else {})},
            "Limit": limit,
        }
        page = self._table.query(**request)
        return list(page.get("Items", [])), "LastEvaluatedKey" in page

    def _query(self, index: str, condition: str, values: dict[str, Any], names: dict[str, str]) -> list[Any]:
        items: list[Any] = []
        request: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            request["ExpressionAttributeNames"] = names
        while True:
            page = self._table.query(**request)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _transact(self, actions: list[dict[str, Any]]) -> list[str] | None:
        """Run the transaction through the resource's client (which serialises Python values); the codes of the
        actions' conditions (`None` for those that passed) when it was cancelled."""
        from botocore.exceptions import ClientError

        try:
            self._client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            return [str(r.get("Code", "None")) for r in error.response.get("CancellationReasons", [])]
        return None
