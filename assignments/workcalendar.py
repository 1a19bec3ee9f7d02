"""China's working-day calendar for the attendance grid (考勤表) and "除节假日外" day counts.

Statutory holidays and 调休 working days come from the PyPI package ``chinesecalendar`` — never a
hand-typed list. The package only knows the years up to its release (1.11.0: 2004–2026) and raises
``NotImplementedError`` for any other year; such a year falls back to plain weekends, unless a county
has entered the year's holidays and 调休 days itself (``overrides``), which also win over the package.

Pure Python on purpose: no Django import, so it is cheap to test and reusable from views, reports and
management commands alike.
"""

import calendar
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar

WORKDAY = "workday"
WEEKEND = "weekend"
HOLIDAY = "holiday"  # statutory holiday, including the weekdays taken off in lieu
ADJUSTED_WORKDAY = "adjusted_workday"  # 调休上班: a Saturday/Sunday worked to bridge a holiday
KINDS = (WORKDAY, WEEKEND, HOLIDAY, ADJUSTED_WORKDAY)
WORKING_KINDS = frozenset({WORKDAY, ADJUSTED_WORKDAY})

SOURCE_PACKAGE = "chinesecalendar"
SOURCE_COUNTY = "county"
SOURCE_WEEKENDS = "weekends only"

# get_holiday_detail() returns the Holiday enum's English value; the grid shows the usual Chinese
# names (the enum's own .chinese drops the 节 of 清明/端午/中秋). Order matters for combined names.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",  # 2015 one-off; the package's name is too long for a cell
}
_NAME_ORDER = list(HOLIDAY_NAMES.values())


@dataclass(frozen=True, slots=True)
class Day:
    date: datetime.date
    kind: str
    name: str = ""  # the holiday's Chinese name, also on its 调休 working days

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown day kind {self.kind!r}; expected one of {KINDS}")

    @property
    def is_working_day(self) -> bool:
        return self.kind in WORKING_KINDS

    @property
    def is_rest(self) -> bool:
        return self.kind not in WORKING_KINDS


@dataclass(frozen=True)
class MonthCalendar:
    year: int
    month: int
    days: list[Day]
    official: bool  # False: only weekends are known, the page must say the schedule is missing
    source: str  # SOURCE_PACKAGE, SOURCE_COUNTY or SOURCE_WEEKENDS

    @property
    def working_days(self) -> int:
        return sum(1 for d in self.days if d.is_working_day)

    @property
    def rest_days(self) -> int:
        return len(self.days) - self.working_days

    def day(self, n: int) -> Day:
        """Day ``n`` of the month, 1-based (a plain index would silently accept 0 and negatives)."""
        if not 1 <= n <= len(self.days):
            raise ValueError(f"{self.year}-{self.month:02d} has no day {n}")
        return self.days[n - 1]


def holiday_name(english: str | None) -> str:
    """Chinese name for a chinesecalendar holiday; handles a combined "A, B" name just in case."""
    if not english:
        return ""
    parts = [p.strip() for p in english.split(",") if p.strip()]
    names = []
    for part in parts:
        name = HOLIDAY_NAMES.get(part)
        if name is None:  # e.g. the one-off 2015 anniversary: use the package's own Chinese name
            try:
                name = chinese_calendar.Holiday(part).chinese
            except ValueError:
                name = part
        if name not in names:
            names.append(name)
    names.sort(key=lambda n: _NAME_ORDER.index(n) if n in _NAME_ORDER else len(_NAME_ORDER))
    return "/".join(names)


@lru_cache(maxsize=256)  # bounded, so a caller looping over many years cannot grow it forever
def year_supported(year: int) -> bool:
    """Whether chinesecalendar has the State Council's schedule for ``year`` (one probe, cached)."""
    try:
        chinese_calendar.get_holiday_detail(datetime.date(year, 1, 1))
    except NotImplementedError:  # what the package raises outside its years (2027, < 2004)
        return False
    return True


def _weekend_kind(date: datetime.date) -> str:
    return WEEKEND if date.weekday() >= 5 else WORKDAY


@lru_cache(maxsize=32)  # ~365 Days a year; a grid only ever looks at a few years
def _package_year(year: int) -> tuple[tuple[Day, ...], ...] | None:
    """All days of a supported year, one tuple per month; None if the package lacks the year.

    Cached per year: each package call re-scans its whole table (~50 µs), ~17 ms for a year.
    """
    if not year_supported(year):
        return None
    months = []
    for month in range(1, 13):
        days = []
        for n in range(1, calendar.monthrange(year, month)[1] + 1):
            date = datetime.date(year, month, n)
            is_rest, english = chinese_calendar.get_holiday_detail(date)
            if english is None:  # ordinary day: the package only adds the weekend rule
                kind = WEEKEND if is_rest else WORKDAY
            elif is_rest:
                kind = HOLIDAY
            else:  # named working day: 调休 if it falls on a weekend
                kind = ADJUSTED_WORKDAY if date.weekday() >= 5 else WORKDAY
            days.append(Day(date, kind, holiday_name(english) if kind != WORKDAY else ""))
        months.append(tuple(days))
    return tuple(months)


@lru_cache(maxsize=256)
def _weekend_month(year: int, month: int) -> tuple[Day, ...]:
    last = calendar.monthrange(year, month)[1]
    return tuple(
        Day(date, _weekend_kind(date)) for date in (datetime.date(year, month, n) for n in range(1, last + 1))
    )


def _normalise(overrides: Mapping | None, year: int) -> dict[datetime.date, Day]:
    """The overrides dated in ``year`` as Days, validated early so a bad entry fails loudly."""
    result = {}
    for key, value in (overrides or {}).items():
        date = key.date() if isinstance(key, datetime.datetime) else key
        if date.year != year:
            continue
        kind, name = value
        result[date] = Day(date, kind, name or "")
    return result


def month_calendar(year: int, month: int, overrides: Mapping | None = None) -> MonthCalendar:
    """The month's days with their kind, official when the package or the county covers the year.

    ``overrides`` maps a date to ``("holiday", name)``, ``("adjusted_workday", name)`` or
    ``("workday", "")`` (``("weekend", "")`` also works); it may hold a whole year or more. A year
    the package lacks counts as official as soon as the county has entered any day of that year, so
    months without holidays (e.g. March) don't keep saying the schedule is missing.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, not {month}")
    own = _normalise(overrides, year)
    package = _package_year(year)
    if package is not None:
        base, official, source = package[month - 1], True, SOURCE_PACKAGE
    elif own:
        base, official, source = _weekend_month(year, month), True, SOURCE_COUNTY
    else:
        base, official, source = _weekend_month(year, month), False, SOURCE_WEEKENDS
    days = [own.get(d.date, d) for d in base]
    return MonthCalendar(year=year, month=month, days=days, official=official, source=source)


@lru_cache(maxsize=1)
def national_exceptions() -> tuple[tuple[datetime.date, ...], tuple[datetime.date, ...]]:
    """The State Council's departures from plain weekends, every year the package knows:
    (weekdays off — statutory holidays and the days in lieu, weekend days worked — 调休).

    For a database expression that must give the same answer as month_calendar without overrides:
    a day is a rest day if it is in the first list, a working day if in the second, else by weekday.
    """
    weekday_rest = tuple(sorted(d for d in chinese_calendar.holidays if d.weekday() < 5))
    weekend_work = tuple(sorted(d for d in chinese_calendar.workdays if d.weekday() >= 5))
    return weekday_rest, weekend_work
