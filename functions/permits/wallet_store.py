"""The visitor wallet, stored: one item per household, zone and year in the Permits table, spent by sessions.

| item | pk | sk | what |
| --- | --- | --- | --- |
| a wallet | `WALLET#<uprn>#<zone>#<year>` | `WALLET` | `unit`, `allowance`, `used`, `left`, `adjusted`, `adjustments` |

(`unit` is `minutes` or `days`; `adjustments` are the staff's changes, each with who, when and why.)

The wallet carries none of the indexes' attributes (no `household`, `vrm`, `zone`, `feed_month`, `due_on`), so it is in
no index; it is read and written by its key only. Its year is the London calendar year of the session's start (a
day session's date). A wallet not written yet holds the zone's whole allowance (`permits.zones`
`visitor_allowance`); the first session or adjustment writes it.

The rules are `permits.visitors.Wallet`'s (controlled minutes, whole days, cancelling until midnight before); this
module stores their outcome. Starting a session is ONE transaction: the session item (`permits.store`
`session_item`, plus `wallet`, `used` and, for a day, `day`) put under `attribute_not_exists(pk)`, and the wallet's
`left` lowered under `left >= :needed` (or the wallet absent, when the zone's allowance covers it, checked before).
Two sessions racing for the last of a balance cannot both pass; a refusal writes nothing. Cancelling a day gives it
back in one transaction too: the session's `end` set to its `start` (so the enforcement look-up and the devices' feed
never accept it again), `cancelled_at`, a new feed position, and the wallet's `left` raised.

Who the resident is, and that the UPRN is theirs and in the zone, is the caller's to have checked (the web, the
console): these actions take the UPRN as given.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from permits.store import BY_HOUSEHOLD, PermitsStore, VisitorSession, feed_stamp, session_item
from permits.visitors import NoAllowanceLeft, NotCancellable, Session, VisitorError, Wallet
from permits.vrm import parse_vrm
from permits.zones import Zone, ZonesFile
from shared.calendar import LONDON

WALLET = "WALLET"
REASON_MAX = 500
WALLET_RETENTION_YEARS = 3  # a wallet is kept (TTL) until three years after its year ends
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidWalletRequest(ValueError):
    """A malformed field: the message names it. Nothing is written."""


class NoSuchSession(ValueError):
    """No visitor session with that id for that household. Nothing is written."""


@dataclass(frozen=True)
class Balance:
    uprn: str
    zone: str
    year: int
    unit: str  # minutes (an hours wallet) or days
    allowance: int
    used: int
    left: int
    adjusted: int
    description: str

    def body(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _uprn(value: Any) -> str:
    text = str(value or "").strip()
    if not text.isdigit() or not 1 <= len(text) <= 12:
        raise InvalidWalletRequest("uprn: the household's UPRN (1 to 12 digits).")
    return text


def wallet_key(uprn: str, zone: str, year: int) -> dict[str, str]:
    return {"pk": f"WALLET#{uprn}#{zone}#{year}", "sk": WALLET}


def _year(moment: datetime) -> int:
    return moment.astimezone(LONDON).year


class WalletStore:
    """Households' visitor wallets in the Permits table (`table`: a boto3 Table)."""

    def __init__(self, table: Any, zones: ZonesFile) -> None:
        self._table, self._zones = table, zones
        self._name = table.name
        self._client = table.meta.client
        self._store = PermitsStore(table)

    # -- reading ----------------------------------------------------------------------------------------------------
    def zone(self, code: Any) -> Zone:
        codes = {zone.code for zone in self._zones.zones}
        if code not in codes:
            raise InvalidWalletRequest(f"zone: one of {sorted(codes)}.")
        zone = self._zones.zone(str(code))
        if zone.visitor_allowance is None:
            raise VisitorError(f"{zone.name} does not have visitor permits")
        return zone

    def _item(self, uprn: str, zone: str, year: int) -> dict[str, Any] | None:
        found = self._table.get_item(Key=wallet_key(uprn, zone, year), ConsistentRead=True).get("Item")
        return dict(found) if found else None

    def _wallet(self, zone: Zone, item: dict[str, Any] | None) -> Wallet:
        """`permits.visitors.Wallet` holding the stored balance (what is spent as one session), for its rules."""
        wallet = Wallet.for_zone(zone)
        if item is None:
            return wallet
        spent = wallet.total - int(item["left"])  # negative when staff added more than was used
        return replace(wallet, sessions=(Session("stored", "", _EPOCH, _EPOCH, spent),))

    def balance(self, uprn: Any, zone_code: Any, *, now: datetime, year: int | None = None) -> Balance:
        household, zone = _uprn(uprn), self.zone(zone_code)
        year = year or _year(now)
        item = self._item(household, zone.code, year)
        wallet = self._wallet(zone, item)
        return Balance(
            uprn=household,
            zone=zone.code,
            year=year,
            unit="minutes" if wallet.allowance.unit == "hours" else "days",
            allowance=int(item["allowance"]) if item else wallet.total,
            used=int(item["used"]) if item else 0,
            left=wallet.balance,
            adjusted=int(item.get("adjusted", 0)) if item else 0,
            description=wallet.describe_balance(),
        )

    def sessions(self, uprn: Any, zone_code: Any, *, year: int, now: datetime) -> list[dict[str, Any]]:
        """The household's visitor sessions in the zone whose wallet is `year`'s, newest first (the `by-household`
        index holds sessions as it holds permits): what the resident's visitor page lists."""
        household, zone = _uprn(uprn), self.zone(zone_code)
        found = self._store._query(
            BY_HOUSEHOLD, "household = :h AND #zone = :z", {":h": household, ":z": zone.code}, {"#zone": "zone"}
        )
        wallet_pk = wallet_key(household, zone.code, year)["pk"]
        listed = []
        for item in found:
            if item.get("record") != "SESSION" or item.get("wallet") != wallet_pk:
                continue
            start, cancelled = datetime.fromisoformat(str(item["start"])), "cancelled_at" in item
            listed.append({
                "id": str(item["session_id"]), "vrm": str(item["vrm"]), "start": str(item["start"]),
                "end": str(item["end"]), "day": str(item.get("day") or ""), "cancelled": cancelled,
                "cancellable": bool(item.get("day")) and not cancelled and now < start,
            })  # fmt: skip
        return sorted(listed, key=lambda s: s["start"], reverse=True)

    # -- spending ---------------------------------------------------------------------------------------------------
    def start(
        self,
        uprn: Any,
        zone_code: Any,
        vrm: Any,
        *,
        now: datetime,
        start: datetime | None = None,
        hours: float | None = None,
        day: date | None = None,
    ) -> tuple[VisitorSession, Balance]:
        """A session for `vrm`: from `start` for `hours` (an hours zone) or on London date `day` (a days zone).
        Raises `InvalidWalletRequest`, `VisitorError` (`OutsideControlledHours`, `NoAllowanceLeft`, ...) having
        written nothing."""
        household, zone = _uprn(uprn), self.zone(zone_code)
        if not isinstance(vrm, str):
            raise InvalidWalletRequest("vrm: the visitor's registration mark.")
        mark = parse_vrm(vrm).value
        wallet_unit = zone.visitor_allowance.unit if zone.visitor_allowance else ""
        if wallet_unit == "days":
            if day is None:
                raise InvalidWalletRequest(f"day: visitor permits in {zone.name} are whole days (a date).")
            wallet = self._wallet(zone, self._item(household, zone.code, day.year))
            _, session = wallet.start_day(mark, day, now=now)
            year = day.year
        else:
            if start is None or hours is None:
                raise InvalidWalletRequest(f"start, hours: visitor permits in {zone.name} are by the hour.")
            year = _year(start)
            wallet = self._wallet(zone, self._item(household, zone.code, year))
            _, session = wallet.start_hours(mark, start, start + timedelta(hours=hours), now=now)
        stored = VisitorSession(uuid.uuid4().hex, mark, zone.code, session.start, session.end, household)
        key = wallet_key(household, zone.code, year)
        extra: dict[str, Any] = {"wallet": key["pk"], "used": session.used}
        if session.day is not None:
            extra["day"] = session.day.isoformat()
        actions = [
            {
                "Put": {
                    "TableName": self._name,
                    "Item": session_item(stored, **extra),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._name,
                    "Key": key,
                    "UpdateExpression": "SET #left = if_not_exists(#left, :total) - :n, #used = if_not_exists(#used,"
                    " :zero) + :n, #allowance = if_not_exists(#allowance, :total), #unit = :unit, #year = :year,"
                    " expires_at = :expires",
                    "ConditionExpression": "attribute_not_exists(#left) OR #left >= :n",
                    "ExpressionAttributeNames": _NAMES,
                    "ExpressionAttributeValues": {
                        ":n": session.used,
                        ":zero": 0,
                        ":total": wallet.total,
                        ":unit": "minutes" if wallet_unit == "hours" else "days",
                        ":year": year,
                        ":expires": _expires(year),
                    },
                }
            },
        ]
        if self._store._transact(actions) is not None:
            raise NoAllowanceLeft("Your visitor balance changed meanwhile and no longer covers this session")
        return stored, self.balance(household, zone.code, now=now, year=year)

    def cancel(self, uprn: Any, session_id: Any, *, now: datetime) -> tuple[VisitorSession, Balance]:
        """Cancel a day session until midnight before its day (`NotCancellable` otherwise), the day given back."""
        household = _uprn(uprn)
        ident = str(session_id or "").strip()
        if not ident or len(ident) > 64:
            raise InvalidWalletRequest("session_id: the visitor session's id.")
        item = self._table.get_item(Key={"pk": f"SESSION#{ident}", "sk": "SESSION"}, ConsistentRead=True).get("Item")
        if not item or item.get("household") != household:
            raise NoSuchSession("There is no visitor session with this id for this household.")
        if "cancelled_at" in item:
            raise NotCancellable("This visitor day is cancelled already")
        found = VisitorSession.from_item(dict(item))
        zone = self.zone(found.zone)
        day = date.fromisoformat(str(item["day"])) if item.get("day") else None
        rules = Wallet.for_zone(zone)
        rules = replace(rules, sessions=(Session(ident, found.vrm, found.start, found.end, 1, day=day),))
        rules.cancel_day(ident, now=now)  # NotCancellable: an hours session, or too late
        stamp = feed_stamp(datetime.now(UTC), ident)
        used = int(item.get("used", 1))
        actions = [
            {
                "Update": {
                    "TableName": self._name,
                    "Key": {"pk": f"SESSION#{ident}", "sk": "SESSION"},
                    "UpdateExpression": "SET #end = #start, cancelled_at = :now, feed_month = :month, feed_at = :at",
                    "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(cancelled_at)",
                    "ExpressionAttributeNames": {"#end": "end", "#start": "start"},
                    "ExpressionAttributeValues": {
                        ":now": now.astimezone(UTC).isoformat(),
                        ":month": stamp["feed_month"],
                        ":at": stamp["feed_at"],
                    },
                }
            },
            {
                "Update": {
                    "TableName": self._name,
                    "Key": {"pk": str(item["wallet"]), "sk": WALLET},
                    "UpdateExpression": "SET #left = #left + :n, #used = #used - :n",
                    "ConditionExpression": "attribute_exists(#left)",
                    "ExpressionAttributeNames": {"#left": "left", "#used": "used"},
                    "ExpressionAttributeValues": {":n": used},
                }
            },
        ]
        if self._store._transact(actions) is not None:
            raise NotCancellable("This visitor day changed meanwhile (cancelled already): nothing was changed")
        cancelled = replace(found, end=found.start)
        assert day is not None
        return cancelled, self.balance(household, zone.code, now=now, year=day.year)

    # -- staff ------------------------------------------------------------------------------------------------------
    def adjust(self, uprn: Any, zone_code: Any, change: Any, *, reason: Any, staff: str, now: datetime) -> Balance:
        """Staff change this year's balance by `change` whole hours or days (the zone's unit), with why; a lowering
        below nothing is `NoAllowanceLeft`, having written nothing."""
        household, zone = _uprn(uprn), self.zone(zone_code)
        if isinstance(change, bool) or not isinstance(change, int) or change == 0 or abs(change) > 10_000:
            raise InvalidWalletRequest("change: a whole number of hours or days, not 0 (less than 0 takes away).")
        why = str(reason or "").strip()
        if not why or len(why) > REASON_MAX:
            raise InvalidWalletRequest(f"reason: why the balance is changed ({REASON_MAX} characters or fewer).")
        year = _year(now)
        wallet = Wallet.for_zone(zone)
        hours = wallet.allowance.unit == "hours"
        units = change * 60 if hours else change
        item = self._item(household, zone.code, year)
        if item is None and wallet.total + units < 0:
            raise NoAllowanceLeft("That would take away more than is left this year")
        entry = {"change": units, "reason": why, "staff": staff, "at": now.astimezone(UTC).isoformat()}
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key=wallet_key(household, zone.code, year),
                UpdateExpression="SET #left = if_not_exists(#left, :total) + :n, #used = if_not_exists(#used, :zero),"
                " #allowance = if_not_exists(#allowance, :total), #unit = :unit, #year = :year, expires_at = :expires,"
                " adjusted = if_not_exists(adjusted, :zero) + :n,"
                " adjustments = list_append(if_not_exists(adjustments, :none), :entry)",
                ConditionExpression="attribute_not_exists(#left) OR #left >= :needed",
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues={
                    ":n": units,
                    ":zero": 0,
                    ":total": wallet.total,
                    ":unit": "minutes" if hours else "days",
                    ":year": year,
                    ":expires": _expires(year),
                    ":none": [],
                    ":entry": [entry],
                    ":needed": max(0, -units),
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise NoAllowanceLeft("That would take away more than is left this year") from None
            raise
        return self.balance(household, zone.code, now=now, year=year)

    def adjustments(self, uprn: Any, zone_code: Any, *, year: int) -> list[dict[str, Any]]:
        item = self._item(_uprn(uprn), self.zone(zone_code).code, year)
        return list(item.get("adjustments", [])) if item else []


_NAMES = {"#left": "left", "#used": "used", "#allowance": "allowance", "#unit": "unit", "#year": "year"}


def _expires(year: int) -> int:
    return int(datetime(year + 1 + WALLET_RETENTION_YEARS, 1, 1, tzinfo=UTC).timestamp())
