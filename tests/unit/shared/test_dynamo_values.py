from decimal import Decimal

from shared.dynamo_values import plain


def test_whole_decimals_become_ints_and_others_floats_through_dicts_and_lists():
    value = {"count": Decimal("3"), "co2": Decimal("119.5"), "parts": [Decimal("10"), {"n": Decimal("0.25")}], 7: "x"}
    assert plain(value) == {"count": 3, "co2": 119.5, "parts": [10, {"n": 0.25}], "7": "x"}
    assert isinstance(plain(Decimal("3")), int)
    assert isinstance(plain(Decimal("3.5")), float)


def test_other_values_are_left_as_they_are():
    assert plain("AB12CDE") == "AB12CDE"
    assert plain(None) is None
    assert plain(True) is True
