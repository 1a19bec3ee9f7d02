"""Amounts in Chinese capital numerals (大写金额), as a payment form writes its total.

The rules are those of the People's Bank's 《正确填写票据和结算凭证的基本规定》:

- digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟 within a group of four, groups 万 亿 万亿;
- ten is 壹拾 (a leading 拾 alone could be altered); zeros inside the number are one 零 for each run
  (1001 → 壹仟零壹, 10010 → 壹万零壹拾), zeros at the end of a group or of the yuan are not written
  (100000 → 壹拾万);
- 元, then 角 and 分; an amount ending at 元 or 角 ends in 整 (100.50 → 壹佰元伍角整); with 分 no 整;
- when 角 is zero but 分 is not, 零 stands between 元 and 分 (10010.01 → 壹万零壹拾元零壹分); an
  amount under one yuan starts with its 角 or 分 (0.05 → 伍分); nothing at all is 零元整;
- a negative amount is prefixed 负; amounts are rounded half up to the 分.
"""

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ((1000, "仟"), (100, "佰"), (10, "拾"), (1, ""))
_GROUPS = ("", "万", "亿", "万亿")
LIMIT = 10**16  # 万亿 is the largest group named


def _group(g):
    """1..9999 without leading zeros; one 零 for each run of zeros inside."""
    out, gap = "", False
    for place, unit in _PLACES:
        d = g // place % 10
        if d == 0:
            gap = bool(out)
            continue
        if gap:
            out += "零"
        out += DIGITS[d] + unit
        gap = False
    return out


def integer_capitals(n):
    """A whole number ≥ 0 in capitals, without 元: 10010 → 壹万零壹拾."""
    if n == 0:
        return "零"
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, gap = "", False
    for idx in reversed(range(len(groups))):
        g = groups[idx]
        if g == 0:
            gap = True
            continue
        if out and (gap or g < 1000):  # zeros between two groups read as one 零
            out += "零"
        out += _group(g) + _GROUPS[idx]
        gap = False
    return out


def amount_capitals(amount):
    """A money amount (yuan, any number type) in capitals: 12345.67 → 壹万贰仟叁佰肆拾伍元陆角柒分."""
    fen_total = int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    sign = "负" if fen_total < 0 else ""
    fen_total = abs(fen_total)
    if fen_total >= LIMIT * 100:
        raise ValueError(f"{amount} is too large for capital numerals (at most 万亿 yuan)")
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    out = integer_capitals(yuan) + "元" if yuan else ""
    if jiao:
        out += DIGITS[jiao] + "角"
    elif fen and yuan:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    else:
        out += "整"
    return sign + out
