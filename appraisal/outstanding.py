"""Two lists that follow from the finalized rounds (seed 001, 四.3 and 五.1; POLICY.md "Appraisal").

- 优秀干部培养名单 (``outstanding``): "任职期满后表现突出的，列为干部科室掌握的优秀干部培养名单，
  重点关注、及时使用". 表现突出 is taken to mean either
  (1) rated 优秀 in a finalized term-end round (期满考核, ``AppraisalRound.Kind.TERM_END``), or
  (2) on the promotion list (``rules.promotion_list``): 优秀 in two consecutive finalized annual
  rounds, the term completed and never recalled since the first of those years.
  A cadre who meets both is listed once, with both reasons.
- 副科挂职乡镇党委副书记 (``deputy_secretary``): "对副科级干部，驻村工作满一年后经考察表现优秀的，
  可安排挂职所在乡镇（街道）党（工）委副书记". A cadre of rank 副科 (``Cadre.Rank.DEPUTY_SECTION``,
  the rank recorded now: the register keeps no history of ranks) rated 优秀 in a finalized *annual*
  round, who by the end of that round's year had served at least 12 whole months in the villages of
  the round's county in one unbroken stretch (an adjustment from one village to the next on the
  following day is one stretch, as ``rules.months_served`` counts it) that reaches into that year.
  The half-year inspections are not read: the finalized annual grade is the 考察 result. The post
  would be in the township of the stretch's last village. 正科 (``SECTION``) are given the post when
  they are sent, so they are never on this list.

Both take querysets already scoped to the viewer (``accounts.access.scope``) and run a constant
number of queries whatever the number of rows.
"""

import datetime
from dataclasses import dataclass, field

from assignments.models import Assignment
from cadres.models import Cadre

from . import rules
from .models import AppraisalRound, Grade

ONE_DAY = datetime.timedelta(days=1)
MONTHS_FOR_DEPUTY_SECRETARY = 12  # 驻村工作满一年

# Why a cadre is on the list of outstanding cadres.
TERM_END_EXCELLENT = "term_end_excellent"
TWO_YEARS_EXCELLENT = "two_years_excellent"


@dataclass
class Reason:
    kind: str  # TERM_END_EXCELLENT or TWO_YEARS_EXCELLENT
    years: tuple  # the term-end round's year, or the two consecutive years
    year: int  # the year that lists the cadre: the term-end round's, or the year the term was completed
    county: str = ""  # the county of the term-end round


@dataclass
class Row:
    cadre: Cadre
    year: int  # the latest year that lists the cadre
    reasons: list = field(default_factory=list)  # outstanding: [Reason]
    grades: list = field(default_factory=list)  # the cadre's finalized appraisals the viewer sees
    assignments: list = field(default_factory=list)  # the terms shown (inside the viewer's scope)
    # deputy_secretary only
    years: list = field(default_factory=list)  # every year that qualifies (优秀, 12 months reached)
    months: int = 0  # whole months in the villages by the end of ``year``
    since: datetime.date | None = None  # the first day of that stretch
    township: object = None  # where the post would be

    @property
    def villages(self):
        return [a.village for a in self.assignments]


def _finalized(appraisals):
    return appraisals.filter(round__state=AppraisalRound.State.FINALIZED)


def _grades(appraisals, cadre_ids):
    """{cadre id: [finalized appraisals, by year]} (one query)."""
    result = {}
    for a in (
        _finalized(appraisals)
        .filter(cadre__in=cadre_ids)
        .select_related("round__county")
        .order_by("round__year", "round__kind", "round__county__code")
    ):
        result.setdefault(a.cadre_id, []).append(a)
    return result


def _terms(assignments, cadre_ids):
    """{cadre id: [assignments the viewer sees, earliest first]} (one query)."""
    result = {}
    for a in (
        assignments.filter(cadre__in=cadre_ids)
        .select_related("village__township")
        .order_by("start_date", "pk")
    ):
        result.setdefault(a.cadre_id, []).append(a)
    return result


def outstanding(appraisals, assignments, year=None):
    """The 优秀干部培养名单: one ``Row`` per cadre, the latest year first. ``appraisals`` and
    ``assignments``: querysets scoped to the viewer; ``year`` keeps the cadres listed by that year:
    the term-end round's year, or the year the term was completed (任职期满) after the two
    consecutive years. Five queries."""
    rows = {}

    def add(cadre, reason):
        row = rows.setdefault(cadre.pk, Row(cadre=cadre, year=reason.year))
        if reason not in row.reasons:
            row.reasons.append(reason)
        row.year = max(row.year, reason.year)

    term_end = (
        _finalized(appraisals)
        .filter(grade=Grade.EXCELLENT, round__kind=AppraisalRound.Kind.TERM_END)
        .select_related("cadre__unit", "round__county")
        .order_by("round__year", "pk")
    )
    if year is not None:
        term_end = term_end.filter(round__year=year)
    for a in term_end:
        add(a.cadre, Reason(TERM_END_EXCELLENT, (a.round.year,), a.round.year, a.round.county.name))
    for r in rules.promotion_list(appraisals):
        completed = r["term"].end_date.year
        if year is None or completed == year:
            add(r["cadre"], Reason(TWO_YEARS_EXCELLENT, r["pair"], completed))
    grades, terms = _grades(appraisals, list(rows)), _terms(assignments, list(rows))
    for row in rows.values():
        row.reasons.sort(key=lambda r: (r.year, r.kind))
        row.grades = grades.get(row.cadre.pk, [])
        row.assignments = terms.get(row.cadre.pk, [])
    return sorted(rows.values(), key=lambda r: (-r.year, r.cadre.name, r.cadre.pk))


def whole_months(start, end):
    """Whole calendar months from ``start`` to ``end`` (both included), by date arithmetic as
    ``rules.months_served`` counts them: 1 January – 31 December is 12; 2 January – 31 December 11."""
    n = 0
    while rules._add_months(start, n + 1) - ONE_DAY <= end:
        n += 1
    return n


def stretches(assignments, until):
    """The unbroken stretches of ``assignments`` (one cadre's) up to ``until``: [(first day, last
    day, [assignments])], earliest first; one that ends the day before the next starts is joined."""
    joined = []
    for a in sorted(assignments, key=lambda a: (a.start_date, a.pk)):
        if a.start_date > until:
            continue
        last = min(a.last_day, until)
        if joined and a.start_date <= joined[-1][1] + ONE_DAY:
            first, end, members = joined[-1]
            joined[-1] = (first, max(end, last), [*members, a])
        else:
            joined.append((a.start_date, last, [a]))
    return joined


def qualifying_stretch(assignments, county, year):
    """The stretch in ``county``'s villages that gives a year of village work by the end of ``year``
    and reaches into that year, as (first day, months, [assignments]); None if there is none."""
    first_day, until = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    mine = [a for a in assignments if a.village.code.startswith(county.prefix)]
    for start, end, members in reversed(stretches(mine, until)):
        if end < first_day:
            break
        months = whole_months(start, end)
        if months >= MONTHS_FOR_DEPUTY_SECRETARY:
            return start, months, members
    return None


def deputy_secretary(appraisals, assignments, year=None):
    """副科 eligible to 挂职 as 乡镇党委副书记: one ``Row`` per cadre, for the latest qualifying year
    (or ``year``), the latest first. ``appraisals`` and ``assignments``: querysets scoped to the
    viewer; the months count every assignment of the cadre in the round's county, the villages
    shown are those the viewer sees. Four queries."""
    excellent = (
        _finalized(appraisals)
        .filter(
            grade=Grade.EXCELLENT,
            round__kind=AppraisalRound.Kind.ANNUAL,
            cadre__rank=Cadre.Rank.DEPUTY_SECTION,
        )
        .select_related("cadre__unit", "round__county")
        .order_by("round__year", "pk")
    )
    if year is not None:
        excellent = excellent.filter(round__year=year)
    excellent = list(excellent)
    cadre_ids = list({a.cadre_id for a in excellent})
    served = {}
    for a in Assignment.objects.filter(cadre__in=cadre_ids).select_related("village__township"):
        served.setdefault(a.cadre_id, []).append(a)
    visible = set(assignments.filter(cadre__in=cadre_ids).values_list("pk", flat=True))
    rows = {}
    for a in excellent:
        found = qualifying_stretch(served.get(a.cadre_id, []), a.round.county, a.round.year)
        if found is None:
            continue
        start, months, members = found
        row = rows.get(a.cadre_id)
        if row is None:
            row = rows[a.cadre_id] = Row(cadre=a.cadre, year=a.round.year)
        row.years.append(a.round.year)
        if a.round.year >= row.year:
            row.year, row.months, row.since = a.round.year, months, start
            row.township = members[-1].village.township
            row.assignments = [m for m in members if m.pk in visible]
    grades = _grades(appraisals, list(rows))
    for row in rows.values():
        row.grades = grades.get(row.cadre.pk, [])
    return sorted(rows.values(), key=lambda r: (-r.year, r.cadre.name, r.cadre.pk))


def years(appraisals):
    """The years of the finalized rounds the viewer sees, latest first (the pages' year filter)."""
    return list(
        _finalized(appraisals).order_by("-round__year").values_list("round__year", flat=True).distinct()
    )


def parse_year(text):
    """A year from a page's ?year=, or None (all years) for anything else."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else None
