"""The council's parking zones and their rules, as data (`functions/permits/data/zones.yaml`), validated on load.

A zone lists the addresses in it (UPRNs, postcodes, streets: the most precise match wins), its controlled hours
(Europe/London wall-clock times; bank holidays free unless the zone says otherwise), the permit types it offers,
the tariff that prices them (`permits.pricing`), the most permits a household may hold, whether every permit ends
on one date each year, the grace period after expiry, the visitor allowance and the cancellation rule. A broken file
raises `ZonesError`, one line per problem, each naming the place in the file (`zones[1].controlled_hours[0].end`).
"""

from __future__ import annotations

from datetime import date, time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from shared.definition_base import DefinitionModel, Text, definition_problem
from shared.definition_errors import causes

ZONES_FILE = Path(__file__).with_name("data") / "zones.yaml"
LENGTHS = (3, 6, 12)  # months a permit can be bought for

Pence = Annotated[int, Field(ge=0)]


class PermitType(StrEnum):
    RESIDENT = "resident"
    VISITOR = "visitor"
    BUSINESS = "business"
    CARER = "carer"
    TEMPORARY = "temporary"  # a temporary vehicle, such as a courtesy car while the resident's is repaired


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def weekday(self) -> int:
        """As `date.weekday()`: Monday 0."""
        return list(Weekday).index(self)


# --- tariffs ---------------------------------------------------------------------------------------------------


class Band(DefinitionModel):
    """A price band: vehicles up to `up_to` (g/km of CO2, or cc of engine) pay `percent` of the base price; the last
    band of a list has no `up_to` and takes everything above."""

    name: Text
    up_to: Annotated[int, Field(ge=0)] | None = None
    percent: Annotated[int, Field(ge=0, le=1000)]


def _check_bands(bands: tuple[Band, ...], field: str) -> None:
    limits = [b.up_to for b in bands[:-1] if b.up_to is not None]
    if len(limits) != len(bands) - 1 or bands[-1].up_to is not None:
        raise definition_problem(field, "only the last band has no up_to (it takes everything above the one before)")
    if limits != sorted(set(limits)):
        raise definition_problem(field, "give the bands' up_to in increasing order, each once")


class TypePrice(DefinitionModel):
    price: Pence  # for 12 months
    lengths: tuple[Literal[3, 6, 12], ...] = (3, 6, 12)
    by_vehicle: bool = False  # the CO2 or engine-size band and the diesel surcharge apply
    per_household: bool = False  # counts towards the household's limit and its nth-permit price


class Tariff(DefinitionModel):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
    types: dict[PermitType, TypePrice]
    length_percent: dict[int, Annotated[int, Field(ge=1, le=100)]]  # months -> percent of the 12-month price
    nth_permit_percent: Annotated[tuple[Annotated[int, Field(ge=0, le=1000)], ...], Field(min_length=1)]
    co2_bands: Annotated[tuple[Band, ...], Field(min_length=1)]  # g/km
    engine_bands: Annotated[tuple[Band, ...], Field(min_length=1)]  # cc, where DVLA has no CO2 figure
    diesel_surcharge: Pence = 0  # for 12 months, scaled by length like the price

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not set(self.length_percent) <= set(LENGTHS):
            raise definition_problem("length_percent", f"give months out of {list(LENGTHS)} only")
        _check_bands(self.co2_bands, "co2_bands")
        _check_bands(self.engine_bands, "engine_bands")
        if PermitType.VISITOR in self.types:
            raise definition_problem(
                "types.visitor", "visitor permits are a free allowance (zones[].visitor_allowance)"
            )
        carer = self.types.get(PermitType.CARER)
        if carer is not None and (carer.by_vehicle or carer.per_household):
            raise definition_problem(
                "types.carer", "a carer permit is not tied to a vehicle or counted in the household's limit"
            )
        for kind, rule in self.types.items():
            missing = [n for n in rule.lengths if n not in self.length_percent]
            if missing:
                raise definition_problem(f"types.{kind.value}.lengths", f"add length_percent for {missing} months")
        return self


# --- zones -----------------------------------------------------------------------------------------------------


class Addresses(DefinitionModel):
    uprns: tuple[Annotated[str, Field(pattern=r"^[0-9]{1,12}$")], ...] = ()
    postcodes: tuple[Annotated[str, Field(pattern=r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$")], ...] = ()
    streets: tuple[Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9 .'-]*$")], ...] = ()  # as OS Places spells them

    @model_validator(mode="after")
    def _some(self) -> Self:
        if not (self.uprns or self.postcodes or self.streets):
            raise definition_problem("", "list at least one UPRN, postcode or street")
        return self


class ControlledPeriod(DefinitionModel):
    days: Annotated[tuple[Weekday, ...], Field(min_length=1)]
    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        if isinstance(value, int):  # YAML 1.1 reads 08:00 unquoted as sexagesimal 480
            raise definition_problem("", 'quote times, e.g. "08:00"')
        return value

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.end <= self.start:
            raise definition_problem("end", "must be after start (a period cannot run past midnight: split it in two)")
        return self


class VisitorAllowance(DefinitionModel):
    unit: Literal["hours", "days"]
    per_year: Annotated[int, Field(ge=1, le=8784)]  # per household per permit year


class Cancellation(DefinitionModel):
    admin_fee: Pence
    refund: Literal["whole-months", "none"]


class EndDate(DefinitionModel):
    """Every permit in the zone ends on this day of the year (a 3- or 6-month permit too, at its first one)."""

    month: Annotated[int, Field(ge=1, le=12)]
    day: Annotated[int, Field(ge=1, le=31)]

    @model_validator(mode="after")
    def _real(self) -> Self:
        try:
            date(2023, self.month, self.day)  # not a leap year: 29 February is not a date every year
        except ValueError:
            raise definition_problem("day", "is not a day of that month in every year") from None
        return self


class EvidenceRule(DefinitionModel):
    """What a permit type in a zone asks the resident to show: for each of residency (they live at the address) and
    keepership (they keep the vehicle), `declaration` (a tick box with the zone's words) or `upload` (a document
    staff check before the permit is issued: permits.evidence). A kind left out is not asked for."""

    residency: Literal["declaration", "upload"] | None = None
    keepership: Literal["declaration", "upload"] | None = None


class Zone(DefinitionModel):
    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{0,3}$")]
    name: Text
    addresses: Addresses
    controlled_hours: Annotated[tuple[ControlledPeriod, ...], Field(min_length=1)]
    bank_holidays_controlled: bool = False
    permit_types: Annotated[tuple[PermitType, ...], Field(min_length=1)]
    tariff: str
    max_permits_per_household: Annotated[int, Field(ge=1, le=10)]
    common_end_date: EndDate | None = None
    grace_days: Annotated[int, Field(ge=0, le=60)] = 0
    visitor_allowance: VisitorAllowance | None = None
    # A carer session's longest run, in hours (permits.carer_sessions): given exactly when the zone has carer permits
    carer_session_hours: Annotated[int, Field(ge=1, le=24)] | None = None
    cancellation: Cancellation
    # Per permit type applied for with a vehicle: the evidence it needs (permits.evidence); a type left out needs none.
    evidence: dict[PermitType, EvidenceRule] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _visitors(self) -> Self:
        if (PermitType.VISITOR in self.permit_types) != (self.visitor_allowance is not None):
            raise definition_problem("visitor_allowance", "give it exactly when permit_types includes visitor")
        if (PermitType.CARER in self.permit_types) != (self.carer_session_hours is not None):
            raise definition_problem("carer_session_hours", "give it exactly when permit_types includes carer")
        for kind in self.evidence:
            if kind not in self.permit_types:
                raise definition_problem(f"evidence.{kind.value}", "the zone does not offer this type; remove it")
            if kind in (PermitType.VISITOR, PermitType.CARER):
                raise definition_problem(
                    f"evidence.{kind.value}", "evidence is asked for types applied for with a vehicle only"
                )
        return self

    def offers(self, kind: PermitType) -> bool:
        return kind in self.permit_types


class ZonesFile(DefinitionModel):
    council: Text
    tariffs: Annotated[tuple[Tariff, ...], Field(min_length=1)]
    zones: Annotated[tuple[Zone, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _references(self) -> Self:
        tariffs = {t.id: t for t in self.tariffs}
        if len(tariffs) != len(self.tariffs):
            raise definition_problem("tariffs", "two tariffs have the same id")
        seen: dict[str, dict[str, str]] = {"uprns": {}, "postcodes": {}, "streets": {}}
        codes: set[str] = set()
        for i, zone in enumerate(self.zones):
            if zone.code in codes:
                raise definition_problem(f"zones[{i}].code", f"{zone.code} is already another zone's code")
            codes.add(zone.code)
            tariff = tariffs.get(zone.tariff)
            if tariff is None:
                raise definition_problem(
                    f"zones[{i}].tariff", f"no tariff has id {zone.tariff!r}; use one of {list(tariffs)}"
                )
            for kind in zone.permit_types:
                if kind is not PermitType.VISITOR and kind not in tariff.types:
                    raise definition_problem(
                        f"zones[{i}].permit_types", f"tariff {tariff.id} has no price for {kind.value}"
                    )
            for level, owners in seen.items():
                for value in getattr(zone.addresses, level):
                    if value in owners:
                        raise definition_problem(
                            f"zones[{i}].addresses.{level}", f"{value} is already in zone {owners[value]}"
                        )
                    owners[value] = zone.code
        return self

    def zone(self, code: str) -> Zone:
        for zone in self.zones:
            if zone.code == code:
                return zone
        raise KeyError(code)

    def tariff_of(self, zone: Zone) -> Tariff:
        return next(t for t in self.tariffs if t.id == zone.tariff)


# --- loading ---------------------------------------------------------------------------------------------------


class ZonesError(ValueError):
    """The zones file is broken; each line names the file, the place in it and the fix."""


def _place(loc: tuple[int | str, ...], extra: str = "") -> str:
    out = ""
    for part in (*loc, *([extra] if extra else [])):
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "union[")) or str(part) in {"int", "none", "constrained-int"}:
            continue  # pydantic names the branch of a union it tried; the file has no such level
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _describe(error: Any) -> str:
    ctx = error.get("ctx") or {}
    if error["type"] == "definition":
        return f"{_place(tuple(error['loc']), ctx.get('field', ''))}: {ctx['problem']}"
    shown = repr(error.get("input"))
    shown = shown if len(shown) <= 60 else f"{shown[:57]}..."
    if error["type"] == "missing":
        return f"{_place(tuple(error['loc']))}: is missing; add it"
    if error["type"] == "extra_forbidden":
        return f"{_place(tuple(error['loc']))}: is not a field here; remove it or check its spelling"
    return f"{_place(tuple(error['loc']))}: {error['msg']} (got {shown})"


def parse_zones(data: object, *, source: str = "zones.yaml") -> ZonesFile:
    try:
        return ZonesFile.model_validate(data)
    except ValidationError as error:
        raise ZonesError("\n".join(f"{source}: {_describe(e)}" for e in causes(error))) from None


@lru_cache(maxsize=4)
def load_zones(path: Path = ZONES_FILE) -> ZonesFile:
    """The zones file, validated; cached: read once per process."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ZonesError(f"{path.name}: not valid YAML ({error}); fix the syntax") from None
    return parse_zones(data, source=path.name)
