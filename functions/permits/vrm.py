"""UK vehicle registration marks (VRMs): normalisation and validation of the formats DVLA and DVA (Northern
Ireland) issue.

A mark is normalised to upper case with no spaces (`ab12 cde` -> `AB12CDE`), the form stored, sent to DVLA and
looked up by enforcement. Formats, in the order they are tried:

- current (since September 2001): two letters, a two-digit age identifier, three letters (`AB51 CDE`); the age
  identifier is the year (`02`-`49`, March) or the year + 50 (`51`-`99`, September), so `00`, `01` and `50` are not
  issued yet; I and Q are never used, nor Z in the first two letters;
- prefix (1983-2001): a year letter, 1-999, three letters (`A123 BCD`);
- suffix (1963-1983): three letters, 1-999, a year letter (`ABC 123D`); year letters are never I, O, Q, U or Z;
- Northern Ireland: 1-3 letters whose last two include I or Z (Irish codes), then 1-9999 (`AIZ 1234`, `IA 1`);
- dateless (before 1963): 1-3 letters then 1-9999, or 1-9999 then 1-3 letters (`ABC 1`, `1234 AB`).

A mark of a format DVLA no longer issues is still valid: old vehicles keep their marks and marks are transferred.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

MAX_LENGTH = 7  # no UK mark is longer


class VrmStyle(Enum):
    CURRENT = "current"
    PREFIX = "prefix"
    SUFFIX = "suffix"
    NORTHERN_IRELAND = "northern-ireland"
    DATELESS = "dateless"


_YEAR_LETTER = "[A-HJ-NPR-TV-Y]"  # not I, O, Q, U, Z
_NUMBER = "[1-9][0-9]{0,2}"  # 1-999, no leading zero
_PATTERNS: tuple[tuple[VrmStyle, re.Pattern[str]], ...] = (
    (VrmStyle.CURRENT, re.compile(r"^[A-HJ-PR-Y]{2}(0[2-9]|[1-4][0-9]|5[1-9]|[6-9][0-9])[A-HJ-PR-Z]{3}$")),
    (VrmStyle.PREFIX, re.compile(rf"^{_YEAR_LETTER}{_NUMBER}[A-HJ-PR-Z]{{3}}$")),
    (VrmStyle.SUFFIX, re.compile(rf"^[A-HJ-PR-Z]{{3}}{_NUMBER}{_YEAR_LETTER}$")),
    (VrmStyle.NORTHERN_IRELAND, re.compile(r"^[A-Z]?(I[A-Z]|[A-Z]Z)[1-9][0-9]{0,3}$")),
    (VrmStyle.DATELESS, re.compile(r"^([A-Z]{1,3}[1-9][0-9]{0,3}|[1-9][0-9]{0,3}[A-Z]{1,3})$")),
)
_SPACES = re.compile(r"\s+")


class InvalidVrm(ValueError):
    """Not a UK registration mark; the message says what a resident should check."""


@dataclass(frozen=True)
class Vrm:
    value: str  # normalised: upper case, no spaces
    style: VrmStyle

    def __str__(self) -> str:
        return self.value

    @property
    def display(self) -> str:
        """As printed on a plate: current marks as `AB12 CDE`, others with a space between letters and digits."""
        if self.style is VrmStyle.CURRENT:
            return f"{self.value[:4]} {self.value[4:]}"
        if self.style is VrmStyle.SUFFIX:
            return f"{self.value[:3]} {self.value[3:]}"
        if self.style is VrmStyle.PREFIX:
            return f"{self.value[:-3]} {self.value[-3:]}"
        split = re.match(r"^([A-Z]+|[0-9]+)(.*)$", self.value)
        return f"{split[1]} {split[2]}" if split else self.value


def normalise_vrm(text: str) -> str:
    """Upper case with every space removed (not validated: see `parse_vrm`)."""
    return _SPACES.sub("", text).upper()


def parse_vrm(text: str) -> Vrm:
    """The mark in `text`, normalised and classified; `InvalidVrm` if it is not a UK format."""
    value = normalise_vrm(text)
    if not value:
        raise InvalidVrm("Enter the vehicle's registration number, for example AB12 CDE")
    if len(value) > MAX_LENGTH or not value.isascii() or not value.isalnum():
        raise InvalidVrm("A registration number has up to 7 letters and numbers, for example AB12 CDE")
    for style, pattern in _PATTERNS:
        if pattern.match(value):
            return Vrm(value, style)
    raise InvalidVrm("This is not a UK registration number: check it against the vehicle's log book (V5C)")


def is_valid_vrm(text: str) -> bool:
    try:
        parse_vrm(text)
    except InvalidVrm:
        return False
    return True
