"""The working-day calendar: official holidays and 调休 from chinesecalendar, fallback, county overrides.

Dates are literals taken from chinesecalendar 1.11.0 (the State Council notices for 2025 and 2026), so
a wrong mapping shows up here instead of being re-derived from the package. No database needed.
"""

import subprocess
import sys
from datetime import date
from pathlib import Path

import chinese_calendar
import pytest

from assignments.workcalendar import Day, month_calendar, year_supported


def kinds(mc):
    return {d.date: (d.kind, d.name) for d in mc.days}


def test_spring_festival_2026():
    mc = month_calendar(2026, 2)
    assert (mc.official, mc.source) == (True, "chinesecalendar")
    k = kinds(mc)
    # 2月15日（腊月廿八）至23日放假，共9天
    for n in range(15, 24):
        assert k[date(2026, 2, n)] == ("holiday", "春节"), n
    assert mc.day(17).name == "春节"
    # 2月14日（周六）、2月28日（周六）上班
    assert k[date(2026, 2, 14)] == ("adjusted_workday", "春节")
    assert k[date(2026, 2, 28)] == ("adjusted_workday", "春节")
    assert mc.day(14).is_working_day and not mc.day(14).is_rest
    assert mc.day(16).is_rest and not mc.day(16).is_working_day
    # An ordinary weekend and weekday of the same month.
    assert k[date(2026, 2, 7)] == ("weekend", "")
    assert k[date(2026, 2, 10)] == ("workday", "")


def test_national_day_and_mid_autumn_2025():
    k = {**kinds(month_calendar(2025, 9)), **kinds(month_calendar(2025, 10))}
    # 10月1日至8日放假调休，共8天；10月6日 is 中秋 itself.
    for n in (1, 2, 3, 4, 5, 7, 8):
        assert k[date(2025, 10, n)] == ("holiday", "国庆节"), n
    assert k[date(2025, 10, 6)] == ("holiday", "中秋节")
    # 9月28日（周日）、10月11日（周六）上班
    assert k[date(2025, 9, 28)] == ("adjusted_workday", "国庆节")
    assert k[date(2025, 10, 11)] == ("adjusted_workday", "国庆节")
    assert k[date(2025, 10, 9)] == ("workday", "")


def test_national_day_2026_and_separate_mid_autumn():
    k = {**kinds(month_calendar(2026, 9)), **kinds(month_calendar(2026, 10))}
    for n in (25, 26, 27):
        assert k[date(2026, 9, n)] == ("holiday", "中秋节"), n
    for n in range(1, 8):
        assert k[date(2026, 10, n)] == ("holiday", "国庆节"), n
    assert k[date(2026, 9, 20)] == ("adjusted_workday", "国庆节")  # Sunday
    assert k[date(2026, 10, 10)] == ("adjusted_workday", "国庆节")  # Saturday


def test_working_and_rest_day_counts():
    feb = month_calendar(2026, 2)
    # 20 weekdays − 6 holiday weekdays (16–20, 23) + 2 调休 Saturdays = 16; 28 − 16 = 12.
    assert (len(feb.days), feb.working_days, feb.rest_days) == (28, 16, 12)
    oct25 = month_calendar(2025, 10)
    assert (oct25.working_days, oct25.rest_days) == (18, 13)
    fallback = month_calendar(2027, 2)  # starts on a Monday: 4 full weeks
    assert (fallback.working_days, fallback.rest_days) == (20, 8)


def test_package_raises_not_implemented_outside_its_years():
    # The fallback catches exactly this; pinned so a package upgrade that changes it is noticed.
    for year in (2027, 2003):
        with pytest.raises(NotImplementedError):
            chinese_calendar.get_holiday_detail(date(year, 1, 1))


def test_next_year_falls_back_to_weekends():
    # chinesecalendar 1.11.0 stops at 2026; upgrading the pin means moving this test a year on.
    assert year_supported(2026) and not year_supported(2027) and not year_supported(2003)
    mc = month_calendar(2027, 2)
    assert (mc.official, mc.source) == (False, "weekends only")
    assert len(mc.days) == 28
    assert mc.day(6) == Day(date(2027, 2, 6), "weekend")  # Saturday (春节 2027 is not known)
    assert mc.day(8) == Day(date(2027, 2, 8), "workday")  # Monday
    assert {d.kind for d in mc.days} == {"weekend", "workday"}
    old = month_calendar(2003, 1)
    assert (old.official, old.source, old.day(4).kind) == (False, "weekends only", "weekend")


def test_county_overrides_a_year_the_package_lacks():
    overrides = {
        date(2027, 2, 8): ("holiday", "春节"),  # Monday
        date(2027, 2, 14): ("adjusted_workday", "春节"),  # Sunday
        date(2028, 1, 1): ("holiday", "元旦"),  # another year: ignored for 2027
    }
    mc = month_calendar(2027, 2, overrides)
    assert (mc.official, mc.source) == (True, "county")
    assert mc.day(8) == Day(date(2027, 2, 8), "holiday", "春节")
    assert mc.day(14) == Day(date(2027, 2, 14), "adjusted_workday", "春节")
    assert mc.day(14).is_working_day
    assert mc.day(13).kind == "weekend"  # the rest still follows weekends
    assert (mc.working_days, mc.rest_days) == (20, 8)  # one weekday off, one Sunday on
    # The county has entered 2027, so a month with no holidays is official too.
    march = month_calendar(2027, 3, overrides)
    assert (march.official, march.source) == (True, "county")
    assert month_calendar(2027, 3).official is False


def test_overrides_win_over_the_package():
    overrides = {
        date(2026, 2, 17): ("workday", ""),
        date(2026, 3, 2): ("holiday", "县定假日"),
        date(2026, 2, 28): ("weekend", ""),
    }
    mc = month_calendar(2026, 2, overrides)
    assert (mc.official, mc.source) == (True, "chinesecalendar")
    assert mc.day(17) == Day(date(2026, 2, 17), "workday", "")
    assert mc.day(28).kind == "weekend"
    assert mc.day(16).kind == "holiday"  # untouched days keep the package's answer
    assert month_calendar(2026, 3, overrides).day(2) == Day(date(2026, 3, 2), "holiday", "县定假日")
    # The cached package data was not changed by the overrides.
    assert month_calendar(2026, 2).day(17).kind == "holiday"


def test_bad_input_fails_loudly():
    mc = month_calendar(2026, 2)
    for n in (0, -1, 29):
        with pytest.raises(ValueError):
            mc.day(n)
    with pytest.raises(ValueError):
        month_calendar(2026, 13)
    with pytest.raises(ValueError):
        month_calendar(2027, 1, {date(2027, 1, 1): ("day_off", "元旦")})


def test_module_does_not_import_django():
    # Kept Django-free so it is reusable outside the web app; checked in a clean interpreter.
    code = "import sys, assignments.workcalendar; sys.exit('django' in sys.modules)"
    root = Path(__file__).resolve().parent.parent
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0
