"""Property-based tests (hypothesis): the ID validator, the attendance day codes, the excellent quota.

Kept fast: 100-200 examples each, no deadline; only the grid save touches the database.
"""

import datetime
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import translation
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from appraisal import rules as appraisal_rules
from appraisal.models import Appraisal, Grade
from assignments import attendance, workcalendar
from assignments.models import Assignment, AttendanceRecord, AttendanceSheet, Policy
from assignments.models.attendance import CODES
from cadres import idcard


@pytest.fixture(autouse=True)
def english():
    """The messages are asserted in English (the msgids)."""
    with translation.override("en"):
        yield


FAST = settings(max_examples=200, deadline=None)
FULLWIDTH = {ord("0") + i: 0xFF10 + i for i in range(10)} | {ord("X"): 0xFF38}

# --- the ID number (GB 11643) --------------------------------------------------------------------
birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date.today())
# A real province code (the first two digits), then any four digits of prefecture and county.
areas = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(sorted(idcard.PROVINCE_CODES)),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
)
orders = st.integers(min_value=0, max_value=999)


@st.composite
def id_numbers(draw):
    birth, area, order = draw(birth_dates), draw(areas), draw(orders)
    first17 = f"{area}{birth:%Y%m%d}{order:03d}"
    return first17 + idcard.check_digit(first17), birth, "M" if order % 2 else "F"


@FAST
@given(id_numbers())
def test_any_seventeen_digits_with_their_computed_check_character_validate(case):
    number, birth, gender = case
    assert idcard.parse(number) == (birth, gender)


@FAST
@given(id_numbers(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_changing_any_one_digit_is_caught(case, position, shift):
    number = case[0]
    digit = str((int(number[position]) + shift) % 10)
    changed = number[:position] + digit + number[position + 1 :]
    with pytest.raises(idcard.IdNumberError):
        idcard.parse(changed)


@FAST
@given(id_numbers(), st.sampled_from("0123456789X"))
def test_any_other_check_character_is_refused_and_the_right_one_named(case, wrong):
    number = case[0]
    assume(wrong != number[-1])
    with pytest.raises(idcard.IdNumberError, match=f"should be {number[-1]}, not {wrong}"):
        idcard.parse(number[:-1] + wrong)


@FAST
@given(id_numbers(), st.booleans())
def test_full_width_digits_are_normalized_by_normalize_and_refused_by_parse(case, lower_x):
    number = case[0]
    wide = number.translate(FULLWIDTH)
    if lower_x:
        wide = wide.replace("\uff38", "\uff58")  # full-width small x
    assert idcard.normalize(wide) == number
    assert idcard.normalize(f" {number[:6]} {number[6:]}\u200b".lower()) == number
    with pytest.raises(idcard.IdNumberError, match="only hold the digits 0–9"):
        idcard.parse(wide)


@FAST
@given(st.text(max_size=24))
def test_any_text_is_either_an_id_number_or_refused_with_a_message(value):
    """Never another exception (²、٣ and friends pass str.isdigit but are not digits of an ID)."""
    try:
        birth, gender = idcard.parse(idcard.normalize(value))
    except idcard.IdNumberError as exc:
        assert str(exc)
    else:
        number = idcard.normalize(value)
        assert len(number) == 18 and number.isascii() and gender in ("M", "F")
        assert number[6:14] == f"{birth:%Y%m%d}"


@FAST
@given(
    areas, orders, st.integers(1900, datetime.date.today().year - 1), st.integers(1, 12), st.integers(1, 31)
)
def test_the_birth_date_is_read_from_characters_7_to_14_or_refused(area, order, year, month, day):
    first17 = f"{area}{year:04d}{month:02d}{day:02d}{order:03d}"
    number = first17 + idcard.check_digit(first17)
    try:
        real = datetime.date(year, month, day)
    except ValueError:
        with pytest.raises(idcard.IdNumberError, match="not a valid birth date"):
            idcard.parse(number)
    else:
        assert idcard.parse(number)[0] == real


@FAST
@given(st.integers(0, 99), st.from_regex(r"[0-9]{4}", fullmatch=True), birth_dates, orders)
def test_an_id_number_is_accepted_only_under_a_real_province_code(two, rest, birth, order):
    first17 = f"{two:02d}{rest}{birth:%Y%m%d}{order:03d}"
    number = first17 + idcard.check_digit(first17)
    if f"{two:02d}" in idcard.PROVINCE_CODES:
        assert idcard.parse(number)[0] == birth
    else:
        with pytest.raises(idcard.IdNumberError, match=f"first two digits {two:02d} .*not a province code"):
            idcard.parse(number)


@FAST
@given(areas, orders, st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2999, 12, 31)))
def test_an_id_number_is_accepted_only_with_a_birth_date_from_1900_to_today(area, order, birth):
    first17 = f"{area}{birth:%Y%m%d}{order:03d}"
    number = first17 + idcard.check_digit(first17)
    if datetime.date(1900, 1, 1) <= birth <= datetime.date.today():
        assert idcard.parse(number)[0] == birth
    else:
        with pytest.raises(idcard.IdNumberError, match="between 1900-01-01 and today"):
            idcard.parse(number)


# --- day codes ------------------------------------------------------------------------------------
FEB = datetime.date(2026, 2, 1)
ALL_MONTH = Assignment(start_date=datetime.date(2025, 3, 1), planned_end_date=datetime.date(2027, 2, 28))
SERVING_CODES = "PBLHA"


@FAST
@given(st.text(alphabet=SERVING_CODES, min_size=28, max_size=28))
def test_any_string_of_serving_codes_for_the_whole_month_is_accepted(days):
    assert attendance.validate_row(1, "甲", days, ALL_MONTH, FEB, 28) == []


@FAST
@given(
    st.text(alphabet=SERVING_CODES, min_size=28, max_size=28),
    st.integers(0, 27),
    st.characters(exclude_characters=CODES),
)
def test_any_other_character_is_refused_naming_the_row_and_the_day(days, index, bad):
    days = days[:index] + bad + days[index + 1 :]
    problems = attendance.validate_row(3, "甲", days, ALL_MONTH, FEB, 28)
    assert len(problems) == 1
    assert "Row 3 (甲)" in problems[0] and f"day {index + 1}:" in problems[0] and bad in problems[0]


@FAST
@given(st.text(alphabet=SERVING_CODES + "-", max_size=40))
def test_a_row_of_the_wrong_length_is_refused_with_both_lengths(days):
    assume(len(days) != 28)
    (problem,) = attendance.validate_row(1, "甲", days, ALL_MONTH, FEB, 28)
    assert f"{len(days)} day marks for a month of 28 days" in problem


@FAST
@given(st.integers(2, 27), st.text(alphabet=SERVING_CODES, min_size=28, max_size=28))
def test_days_outside_the_term_must_be_dash_and_days_inside_must_not(start_day, days):
    a = Assignment(start_date=FEB.replace(day=start_day), planned_end_date=datetime.date(2028, 1, 31))
    before = start_day - 1
    ok = "-" * before + days[before:]
    assert attendance.validate_row(1, "甲", ok, a, FEB, 28) == []
    problems = attendance.validate_row(1, "甲", days, a, FEB, 28)
    assert len(problems) == before  # every day before the start is named
    assert all("outside the assignment" in p for p in problems)


@pytest.fixture
def open_sheet(make_village, make_cadre, dispatch, tree, personas):
    a = dispatch(make_cadre(), make_village())
    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=FEB)
    return sheet, a, personas["clerk"]


# What may be true of each day of February 2026 without leave: a working day P, B or A, a rest day
# also H (the grid refuses L without approved leave and H on a working day).
FEB_MASK = attendance.calendar_mask(workcalendar.month_calendar(2026, 2))
TRUE_DAYS = st.tuples(*[st.sampled_from("PBA" if m == "W" else "PBAH") for m in FEB_MASK]).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    days=TRUE_DAYS,
    lower=st.lists(st.booleans(), min_size=28, max_size=28),
    pad=st.sampled_from(["", " ", "\t", "  \n", "\u3000"]),
)
def test_saving_the_grid_ignores_case_and_surrounding_blanks_and_round_trips(open_sheet, days, lower, pad):
    sheet, a, clerk = open_sheet
    sheet.refresh_from_db()
    messy = pad + "".join(c.lower() if low else c for c, low in zip(days, lower, strict=True)) + pad
    attendance.save_grid(sheet, {a.pk: messy}, sheet.version, clerk)
    record = AttendanceRecord.objects.get(sheet=sheet, assignment=a)
    assert record.days == days
    assert record.present_days == days.count("P") + days.count("B")  # the default policy counts B


# --- the excellent quota ----------------------------------------------------------------------------
ratios = st.decimals(min_value=Decimal("0.000"), max_value=Decimal("1.000"), places=3)


def _quota(grades, allows, min_ratio, max_ratio=None):
    appraisals = [Appraisal(pk=i + 1, grade=g) for i, g in enumerate(grades)]
    facts = {
        a.pk: appraisal_rules.Facts(cap=Grade.EXCELLENT if ok else Grade.COMPETENT)
        for a, ok in zip(appraisals, allows, strict=True)
    }
    policy = Policy(excellent_min_ratio=min_ratio, excellent_max_ratio=max_ratio)
    return appraisal_rules.quota(appraisals, facts, policy)


grades = st.sampled_from([Grade.EXCELLENT, Grade.COMPETENT, Grade.BASIC, Grade.INCOMPETENT, Grade.UNGRADED])


@st.composite
def rounds(draw, max_size=80):
    g = draw(st.lists(grades, max_size=max_size))
    allows = draw(st.lists(st.booleans(), min_size=len(g), max_size=len(g)))
    return g, allows


@FAST
@given(rounds(), ratios)
def test_the_minimum_is_the_smallest_count_reaching_the_ratio_of_those_graded(r, ratio):
    g, allows = r
    q = _quota(g, allows, ratio)
    n = sum(1 for x in g if x != Grade.UNGRADED)
    assert q.graded == n
    assert q.min_needed == math.ceil(Fraction(ratio) * n)  # exact arithmetic, no float
    assert 0 <= q.min_needed <= n  # never more than those graded
    if n:
        assert Fraction(q.min_needed, n) >= Fraction(ratio)
        assert q.min_needed == 0 or Fraction(q.min_needed - 1, n) < Fraction(ratio)


@FAST
@given(st.integers(0, 500))
def test_thirty_percent_of_those_graded_rounds_up(n):
    q = _quota([Grade.COMPETENT] * n, [True] * n, Decimal("0.300"))
    assert q.min_needed == -(-3 * n // 10)  # POLICY.md: 不低于30% — 23 people → 7
    assert q.min_needed * 10 >= 3 * n


@FAST
@given(st.integers(0, 300), ratios, ratios)
def test_the_quota_grows_with_the_number_graded_and_with_the_ratio(n, r1, r2):
    low, high = sorted([r1, r2])
    base = _quota([Grade.COMPETENT] * n, [True] * n, low)
    assert _quota([Grade.COMPETENT] * (n + 1), [True] * (n + 1), low).min_needed >= base.min_needed
    assert _quota([Grade.COMPETENT] * n, [True] * n, high).min_needed >= base.min_needed


@FAST
@given(rounds(), ratios, ratios)
def test_the_maximum_is_rounded_down_unless_below_the_minimum_and_ok_means_within_both_bounds(r, r1, r2):
    g, allows = r
    low, high = sorted([r1, r2])
    assume(high > 0)
    q = _quota(g, allows, low, high)
    n = q.graded
    # Rounded down, unless rounding leaves no whole number above the minimum: then the minimum prevails.
    assert q.max_allowed == max(math.floor(Fraction(high) * n), q.min_needed) <= n
    assert q.min_needed <= q.max_allowed
    assert q.ok == (q.min_needed <= q.excellent <= q.max_allowed)
    assert q.impossible == (q.eligible < q.min_needed)
    # A round closes when the quota is met, or when the caps force a shortfall and everyone who may be
    # excellent is rated so (the shortfall is then recorded on the round).
    forced = q.capped_short and q.eligible <= q.excellent <= q.max_allowed
    assert q.closable == (q.ok or forced) == (not q.problems())


@FAST
@given(rounds(), ratios)
def test_the_counts_never_exceed_those_graded_and_ungraded_people_do_not_count(r, ratio):
    g, allows = r
    q = _quota(g, allows, ratio)
    assert q.excellent <= q.graded and q.eligible <= q.graded
    more = _quota([*g, Grade.UNGRADED], [*allows, True], ratio)
    assert (more.graded, more.min_needed, more.excellent) == (q.graded, q.min_needed, q.excellent)


def test_a_round_of_seven_between_30_and_35_percent_closes_with_three_excellent():
    # 30 % of 7 is 2.1 → at least 3; 35 % of 7 is 2.45 → at most 2 when rounded down. The ratios agree,
    # only the rounding crosses them: the minimum prevails, so three excellent close the round.
    three = [Grade.EXCELLENT] * 3 + [Grade.COMPETENT] * 4
    q = _quota(three, [True] * 7, Decimal("0.300"), Decimal("0.350"))
    assert (q.min_needed, q.max_allowed) == (3, 3) and q.ok and not q.problems()
    assert not _quota(three[1:] + [Grade.COMPETENT], [True] * 7, Decimal("0.300"), Decimal("0.350")).ok
