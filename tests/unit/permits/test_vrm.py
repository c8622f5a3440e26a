"""Registration marks: each UK format accepted and classified, normalisation, and refusals; with properties over
generated marks of every format."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permits.vrm import MAX_LENGTH, InvalidVrm, VrmStyle, is_valid_vrm, normalise_vrm, parse_vrm

pytestmark = pytest.mark.unit

NOT_IQ = "ABCDEFGHJKLMNOPRSTUVWXYZ"
NOT_IQZ = NOT_IQ.replace("Z", "")
YEAR_LETTERS = "ABCDEFGHJKLMNPRSTVWXY"


@pytest.mark.parametrize(
    ("given_text", "value", "style", "display"),
    [
        ("ab51 cde", "AB51CDE", VrmStyle.CURRENT, "AB51 CDE"),
        ("  LR26 XYZ ", "LR26XYZ", VrmStyle.CURRENT, "LR26 XYZ"),
        ("A123 BCD", "A123BCD", VrmStyle.PREFIX, "A123 BCD"),
        ("ABC 123D", "ABC123D", VrmStyle.SUFFIX, "ABC 123D"),
        ("AIZ 1234", "AIZ1234", VrmStyle.NORTHERN_IRELAND, "AIZ 1234"),
        ("ia 1", "IA1", VrmStyle.NORTHERN_IRELAND, "IA 1"),
        ("ABC 1", "ABC1", VrmStyle.DATELESS, "ABC 1"),
        ("1234 AB", "1234AB", VrmStyle.DATELESS, "1234 AB"),
        ("A 1", "A1", VrmStyle.DATELESS, "A 1"),
    ],
)
def test_each_format_is_recognised(given_text, value, style, display):
    vrm = parse_vrm(given_text)
    assert (vrm.value, vrm.style, vrm.display, str(vrm)) == (value, style, display, value)


@pytest.mark.parametrize(
    "text",
    [
        "AB01CDE",  # age identifier 01 was never issued
        "AB50CDE",  # nor 50 (it means 2050)
        "AB00CDE",
        "QB12CDE",  # Q is never a memory tag letter
        "AB12CQE",  # nor a random letter
        "I123ABC",  # I is never a year letter
        "ABC123U",
        "A0123BC",  # a leading zero
        "ABCD123",  # four letters then digits is no format
        "AB12CDEF",  # too long
        "AB-12",  # punctuation
        "ÅB12CDE",  # not ASCII
        "1234",  # digits only
        "ABC",  # letters only
    ],
)
def test_what_is_not_a_uk_mark_is_refused(text):
    with pytest.raises(InvalidVrm):
        parse_vrm(text)
    assert not is_valid_vrm(text)


def test_an_empty_mark_asks_for_one():
    with pytest.raises(InvalidVrm, match="Enter the vehicle"):
        parse_vrm("   ")


def _marks() -> st.SearchStrategy[tuple[str, VrmStyle]]:
    age = st.sampled_from([f"{n:02d}" for n in range(2, 100) if n != 50])
    number = st.integers(1, 999).map(str)
    three = st.text(NOT_IQ, min_size=3, max_size=3)
    current = st.tuples(st.text(NOT_IQZ, min_size=2, max_size=2), age, three).map(lambda t: "".join(t))
    prefix = st.tuples(st.sampled_from(YEAR_LETTERS), number, three).map(lambda t: "".join(t))
    suffix = st.tuples(three, number, st.sampled_from(YEAR_LETTERS)).map(lambda t: "".join(t))
    ni_code = st.one_of(st.sampled_from(NOT_IQ).map(lambda c: "I" + c), st.sampled_from(NOT_IQ).map(lambda c: c + "Z"))
    ni = st.tuples(st.text(string.ascii_uppercase, max_size=1), ni_code, st.integers(1, 9999).map(str)).map(
        lambda t: "".join(t)
    )
    gb_letters = st.text("ABCDEFGHJKLMNOPRSTUVWXY", min_size=1, max_size=3)  # no I or Z: those are Irish codes
    dateless = st.one_of(
        st.tuples(gb_letters, st.integers(1, 9999).map(str)).map(lambda t: "".join(t)),
        st.tuples(st.integers(1, 9999).map(str), gb_letters).map(lambda t: "".join(t)),
    ).filter(lambda m: len(m) <= MAX_LENGTH)
    return st.one_of(
        current.map(lambda m: (m, VrmStyle.CURRENT)),
        prefix.map(lambda m: (m, VrmStyle.PREFIX)),
        suffix.map(lambda m: (m, VrmStyle.SUFFIX)),
        ni.map(lambda m: (m, VrmStyle.NORTHERN_IRELAND)),
        dateless.map(lambda m: (m, VrmStyle.DATELESS)),
    )


def _as_typed(mark: str, spaces: list[int], lower: list[bool]) -> str:
    """The mark as a person might type it: some letters in lower case, spaces here and there."""
    out = ""
    for i, char in enumerate(mark):
        out += " " * spaces[i % len(spaces)] + (char.lower() if lower[i % len(lower)] else char)
    return out + " "


@given(
    _marks(),
    st.lists(st.integers(0, 2), min_size=1, max_size=7),
    st.lists(st.booleans(), min_size=1, max_size=7),
)
def test_every_generated_mark_is_accepted_however_it_is_typed(mark_style, spaces, lower):
    mark, style = mark_style
    vrm = parse_vrm(_as_typed(mark, spaces, lower))
    assert vrm.value == mark
    if style is not VrmStyle.DATELESS:  # a dateless mark can look like a prefix or suffix one (A1ABC is prefix)
        assert vrm.style is style
    assert parse_vrm(vrm.display) == vrm  # the printed form reads back as the same mark


@given(st.text())
def test_normalising_is_idempotent_and_leaves_no_spaces_or_lower_case(text):
    once = normalise_vrm(text)
    assert normalise_vrm(once) == once
    assert not any(c.isspace() for c in once)


@given(st.text(min_size=1))
def test_an_accepted_mark_is_short_ascii_upper_alphanumeric(text):
    if is_valid_vrm(text):
        value = parse_vrm(text).value
        assert len(value) <= MAX_LENGTH
        assert all(c in string.ascii_uppercase + string.digits for c in value)
