"""Human-friendly request references, like ``7KXM-3RAH``, that residents read out over the phone.

The alphabet drops every character that is easily confused with another when read, written or heard:
0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, U/V and G (like 6 when handwritten). With I, O and U gone, accidental
words are also rarer. That leaves 20 characters; 7 random characters give 20**7 (1.28 billion) references.

The eighth character is a Luhn mod N check character (N = 20; Luhn mod N needs an even N, or doubling
stops being a permutation and some single-character errors go unnoticed). It catches every
single-character error and every swap of two adjacent different characters except the swap of the first
and last characters of the alphabet (``3`` and ``Y``), so a mistyped reference is almost always rejected
before any look-up.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

ALPHABET: str = "34679ACEFHJKMNPRTWXY"

_N = len(ALPHABET)  # must be even for Luhn mod N
_INDEX = {char: index for index, char in enumerate(ALPHABET)}
_PAYLOAD_LENGTH = 7
_LENGTH = _PAYLOAD_LENGTH + 1
# What a resident may type between characters: spaces and any kind of dash.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _check_character(payload: str) -> str:
    """Luhn mod N: double every second code point from the right, fold back into base N and sum."""
    total = 0
    factor = 2
    for char in reversed(payload):
        addend = factor * _INDEX[char]
        total += addend // _N + addend % _N
        factor = 3 - factor
    return ALPHABET[(_N - total % _N) % _N]


def _format(compact: str) -> str:
    return f"{compact[:4]}-{compact[4:]}"


def new_reference(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A new random reference, ``XXXX-XXXX``; ``randbelow`` is injectable so tests can be deterministic."""
    payload = "".join(ALPHABET[randbelow(_N)] for _ in range(_PAYLOAD_LENGTH))
    return _format(payload + _check_character(payload))


def normalise_reference(text: str) -> str | None:
    """The canonical ``XXXX-XXXX`` for what a resident typed, or None if it is not a valid reference.

    Case, spaces and hyphens (missing, extra or typographic) are forgiven; a wrong length, a character
    outside the alphabet or a bad check character are not.
    """
    compact = _SEPARATORS.sub("", text).upper()
    if len(compact) != _LENGTH or any(char not in _INDEX for char in compact):
        return None
    payload, check = compact[:_PAYLOAD_LENGTH], compact[_PAYLOAD_LENGTH:]
    if _check_character(payload) != check:
        return None
    return _format(compact)


def is_valid_reference(text: str) -> bool:
    """Whether ``text`` is (or a resident's spelling of) a valid reference."""
    return normalise_reference(text) is not None
