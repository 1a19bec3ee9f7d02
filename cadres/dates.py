"""Whole years between dates, the way Chinese personnel rules count them (周岁, 党龄, 工龄)."""

import datetime


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` later; 29 February falls on 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 3, 1)


def term_end(start: datetime.date, years: int) -> datetime.date:
    """The last day of a term of ``years`` from ``start``: the day before the anniversary, so a
    successor (or a second term) starts on the anniversary itself (2025-03-01 + 2 → 2027-02-28)."""
    return add_years(start, years) - datetime.timedelta(days=1)


def years_between(start: datetime.date, end: datetime.date) -> int:
    """Completed years from ``start`` to ``end``: the anniversary itself completes the year."""
    years = end.year - start.year
    if add_years(start, years) > end:
        years -= 1
    return years
