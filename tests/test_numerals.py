"""Amounts in Chinese capital numerals (大写金额) for the allowance form's total (issue 15, item 5)."""

from decimal import Decimal

import pytest

from excel.numerals import amount_capitals, integer_capitals


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        (0, "零元整"),
        (10, "壹拾元整"),
        (20, "贰拾元整"),
        (100.5, "壹佰元伍角整"),
        (1001, "壹仟零壹元整"),
        (100000, "壹拾万元整"),
        (0.05, "伍分"),
        (0.5, "伍角整"),
        (10010.01, "壹万零壹拾元零壹分"),
        (12345.67, "壹万贰仟叁佰肆拾伍元陆角柒分"),
        (1680.32, "壹仟陆佰捌拾元叁角贰分"),
        (Decimal("420.00"), "肆佰贰拾元整"),
        (100010000, "壹亿零壹万元整"),
        (100000001, "壹亿零壹元整"),
        (110000000, "壹亿壹仟万元整"),
        (2000001000, "贰拾亿零壹仟元整"),
        (10**12, "壹万亿元整"),
        (
            Decimal("9999999999999999.99"),
            "玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
        ),
        (-3.2, "负叁元贰角整"),
    ],
)
def test_an_amount_is_written_in_capitals_by_the_payment_form_rules(amount, capitals):
    assert amount_capitals(amount) == capitals


def test_an_amount_is_rounded_half_up_to_the_fen():
    assert amount_capitals(Decimal("0.005")) == "壹分"
    assert amount_capitals(Decimal("0.004")) == "零元整"
    assert amount_capitals(Decimal("9.995")) == "壹拾元整"


def test_zeros_inside_a_whole_number_read_as_one_ling_and_trailing_zeros_not_at_all():
    assert integer_capitals(0) == "零"
    assert integer_capitals(1010) == "壹仟零壹拾"
    assert integer_capitals(10001) == "壹万零壹"
    assert integer_capitals(101000) == "壹拾万壹仟"
    assert integer_capitals(1000100) == "壹佰万零壹佰"


def test_an_amount_past_wan_yi_is_refused():
    with pytest.raises(ValueError, match="too large"):
        amount_capitals(10**16)
