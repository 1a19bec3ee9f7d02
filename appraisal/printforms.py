"""The printed forms of the appraisal file (issue 18, item 4): what goes on each form, gathered in a
constant number of queries however many people a round has.

- ``round_forms``: the 年度考核登记表 (annual round) or the 期满考核登记表 (term-end round), one per
  person of the round the user sees;
- ``experience``: a cadre's 驻村工作经历 for the personnel file (记入本人档案);
- ``unit_letters``: the 考核结果反馈 letter to each dispatching unit, listing its cadres' grades.

Everything is read through ``accounts.access.scope``: a township clerk gets its own people's forms,
with only its own villages named. The templates under templates/appraisal/forms/ lay them out; the
PDF is the same HTML printed by headless Chromium (appraisal/pdf.py).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from accounts import access
from assignments.models import Assignment, AttendanceRecord
from fieldwork.models import DiaryEntry, MonthlyReport

from . import rules, scoring
from .models import (
    Appraisal,
    AppraisalRound,
    DemocraticAssessment,
    Grade,
    Inspection,
    Opinion,
    VillageResult,
)

# An opinion box holds this many characters on the A4 page; a longer text is cut there, marked, and
# read in full in the system (the page must stay one page: one person, one sheet of paper).
OPINION_CHARS = 150


def clip(text, limit):
    text = (text or "").strip()
    if len(text) <= limit:
        return text, False
    return text[:limit].rstrip() + "……", True


def months_between(start, end):
    """Calendar months from ``start`` to ``end`` (both included), counted as rules.months_served does
    for one stretch: whole months by date arithmetic, leftover days by 31 make one more."""
    if end < start:
        return 0
    n = 0
    while rules._add_months(start, n + 1) - datetime.timedelta(days=1) <= end:
        n += 1
    leftover = (end - rules._add_months(start, n)).days + 1
    return n + leftover // rules.LEFTOVER_DAYS_PER_MONTH


@dataclass
class OpinionBox:
    """An opinion on the form: given (text, suggested grade, when) or an empty box to write in."""

    source: str
    opinion: Opinion | None = None
    text: str = ""
    clipped: bool = False

    @property
    def given(self):
        return self.opinion is not None


@dataclass
class PersonForm:
    appraisal: Appraisal
    cadre: object
    unit: object
    round: AppraisalRound
    template: str
    assignments: list = field(default_factory=list)  # those the viewer may read
    facts: object = None
    score: object = None
    assessment: DemocraticAssessment | None = None
    township_opinion: OpinionBox = None
    unit_opinion: OpinionBox = None
    diary_entries: int = 0
    monthly_reports: int = 0
    results: list = field(default_factory=list)  # (village, VillageResult) of the year
    inspections: list = field(default_factory=list)
    # Term-end only
    term_start: datetime.date | None = None
    term_end: datetime.date | None = None
    term_months: int = 0
    year_grades: list = field(default_factory=list)  # (year, grade label or "")
    term_days: int = 0
    term_months_recorded: int = 0
    term_months_below: int = 0
    term_leave_days: int = 0

    @property
    def latest(self):
        return self.assignments[-1] if self.assignments else None

    @property
    def grade_label(self):
        a = self.appraisal
        return a.get_grade_display() if a.grade else ""


def _opinion_boxes(appraisal_ids):
    by = {}
    for o in Opinion.objects.filter(appraisal__in=appraisal_ids).select_related("given_by"):
        text, clipped = clip(o.text, OPINION_CHARS)
        by[(o.appraisal_id, o.source)] = OpinionBox(o.source, o, text, clipped)
    return by


def round_forms(user, round_, appraisal_pk=None):
    """The PersonForm of each person of ``round_`` the user sees (or of one appraisal), in the round
    page's order. A constant number of queries (tests/test_appraisal_forms.py)."""
    qs = access.scope(user, round_.appraisals.all()).select_related("cadre__unit")
    if appraisal_pk is not None:
        qs = qs.filter(pk=appraisal_pk)
    appraisals = list(qs.order_by("cadre__name", "pk"))
    if not appraisals:
        return []
    facts, policy = rules.facts_for(round_, appraisals)
    ids = [a.pk for a in appraisals]
    all_assignments = [s for f in facts.values() for s in f.assignments]
    own = set(
        access.scope(user, Assignment.objects.filter(pk__in=[s.pk for s in all_assignments])).values_list(
            "pk", flat=True
        )
    )
    opinions = _opinion_boxes(ids)
    assessments = {d.appraisal_id: d for d in DemocraticAssessment.objects.filter(appraisal__in=ids)}
    year = round_.year
    diary = dict(
        DiaryEntry.objects.filter(assignment__in=own, date__year=year)
        .order_by()
        .values("assignment")
        .annotate(n=Count("pk"))
        .values_list("assignment", "n")
    )
    reports = dict(
        MonthlyReport.objects.filter(
            assignment__in=own, month__year=year, state=MonthlyReport.State.SUBMITTED
        )
        .order_by()
        .values("assignment")
        .annotate(n=Count("pk"))
        .values_list("assignment", "n")
    )
    villages = {s.village_id for s in all_assignments if s.pk in own}
    results = {r.village_id: r for r in VillageResult.objects.filter(village__in=villages, year=year)}
    template = (
        "appraisal/forms/_term_end.html"
        if round_.kind == AppraisalRound.Kind.TERM_END
        else "appraisal/forms/_annual.html"
    )
    forms = []
    for a in appraisals:
        f = facts[a.pk]
        mine = [s for s in f.assignments if s.pk in own]
        form = PersonForm(
            appraisal=a,
            cadre=a.cadre,
            unit=a.cadre.unit,
            round=round_,
            template=template,
            assignments=mine,
            facts=f,
            score=scoring.score_for(a, f.inspections, assessments.get(a.pk), policy, f.inspected),
            assessment=assessments.get(a.pk),
            township_opinion=opinions.get((a.pk, Opinion.Source.TOWNSHIP))
            or OpinionBox(Opinion.Source.TOWNSHIP),
            unit_opinion=opinions.get((a.pk, Opinion.Source.UNIT)) or OpinionBox(Opinion.Source.UNIT),
            diary_entries=sum(diary.get(s.pk, 0) for s in mine),
            monthly_reports=sum(reports.get(s.pk, 0) for s in mine),
            results=[(s.village, results[s.village_id]) for s in mine if s.village_id in results],
            inspections=f.inspections,
        )
        forms.append(form)
    if round_.kind == AppraisalRound.Kind.TERM_END:
        _add_term(user, round_, forms, policy)
    return forms


def _chain(assignments, last):
    """The stretch of assignments that ends with ``last``: walking back while each one starts the day
    after the one before it ends (an adjustment from one village to the next is one term)."""
    ordered = sorted((a for a in assignments if a.start_date <= last.start_date), key=lambda a: a.start_date)
    chain = [last]
    for a in reversed(ordered):
        if a.pk == last.pk:
            continue
        if (
            a.last_day + datetime.timedelta(days=1) >= chain[0].start_date
            and a.start_date < chain[0].start_date
        ):
            chain.insert(0, a)
    return chain


def _add_term(user, round_, forms, policy):
    """Term-end forms: the whole term (the stretch of assignments in the county that ends in the
    round's year), its months, attendance, inspections and each year's annual grade."""
    first, last = rules.year_bounds(round_.year)
    cadre_ids = [f.cadre.pk for f in forms]
    everything = {}
    for a in access.scope(
        user,
        Assignment.objects.filter(
            cadre__in=cadre_ids, village__code__startswith=round_.county.prefix
        ).select_related("village__township"),
    ).order_by("start_date", "pk"):
        everything.setdefault(a.cadre_id, []).append(a)
    terms = {}
    for cadre_id, items in everything.items():
        ending = [a for a in items if first <= a.last_day <= last] or items[-1:]
        terms[cadre_id] = _chain(items, ending[-1])
    ids = [a.pk for chain in terms.values() for a in chain]
    owner = {a.pk: cadre_id for cadre_id, chain in terms.items() for a in chain}
    attendance = {}
    for assignment_id, days, required, leave in (
        AttendanceRecord.objects.filter(assignment__in=ids)
        .order_by()
        .values_list("assignment", "present_days", "required_days", "leave_days")
    ):
        row = attendance.setdefault(owner[assignment_id], [0, 0, 0, 0])
        row[0] += days or 0
        row[1] += 1
        row[2] += (days or 0) < (required or 0)
        row[3] += leave or 0
    inspections = {}
    for i in Inspection.objects.filter(assignment__in=ids).order_by("year", "half", "pk"):
        inspections.setdefault(owner[i.assignment_id], []).append(i)
    grades = {}
    for cadre_id, year, grade in (
        access.scope(
            user,
            Appraisal.objects.filter(
                cadre__in=cadre_ids,
                round__county=round_.county,
                round__kind=AppraisalRound.Kind.ANNUAL,
                round__state=AppraisalRound.State.FINALIZED,
            ),
        )
        .order_by()
        .values_list("cadre_id", "round__year", "grade")
    ):
        grades[(cadre_id, year)] = grade
    for f in forms:
        chain = terms.get(f.cadre.pk, [])
        if not chain:
            continue
        f.assignments = chain
        f.term_start, f.term_end = chain[0].start_date, chain[-1].last_day
        f.term_months = sum(months_between(a.start_date, a.last_day) for a in chain)
        days, months, below, leave = attendance.get(f.cadre.pk, [0, 0, 0, 0])
        f.term_days, f.term_months_recorded, f.term_months_below, f.term_leave_days = (
            days,
            months,
            below,
            leave,
        )
        f.inspections = inspections.get(f.cadre.pk, [])
        f.year_grades = [
            (y, Grade(grades[(f.cadre.pk, y)]).label if grades.get((f.cadre.pk, y)) else "")
            for y in range(f.term_start.year, f.term_end.year + 1)
        ]


@dataclass
class Experience:
    """A cadre's 驻村工作经历 for the personnel file."""

    cadre: object
    rows: list  # (assignment, months)
    grades: list  # finalized appraisals, by year
    inspections: list
    template: str = "appraisal/forms/_experience.html"

    @property
    def total_months(self):
        return sum(m for _a, m in self.rows)


def experience(user, cadre):
    """What the user's jurisdiction knows of the cadre's terms: each assignment with its months, the
    finalized grades by year and the half-year inspections (four queries)."""
    assignments = list(
        access.scope(user, Assignment.objects.filter(cadre=cadre))
        .select_related("village__township")
        .order_by("start_date", "pk")
    )
    grades = list(
        access.scope(user, Appraisal.objects.filter(cadre=cadre, round__state=AppraisalRound.State.FINALIZED))
        .select_related("round__county")
        .order_by("round__year", "round__kind")
    )
    inspections = list(
        access.scope(user, Inspection.objects.filter(assignment__cadre=cadre))
        .select_related("assignment__village")
        .order_by("year", "half")
    )
    today = timezone.localdate()
    return Experience(
        cadre=cadre,
        # A term still being served counts up to today ("至今"), not to its planned end.
        rows=[(a, months_between(a.start_date, a.end_date or min(a.last_day, today))) for a in assignments],
        grades=grades,
        inspections=inspections,
    )


@dataclass
class Letter:
    """The result letter (考核结果反馈) to one dispatching unit."""

    round: AppraisalRound
    unit: object
    rows: list  # (appraisal, village or None)
    template: str = "appraisal/forms/_letter.html"

    @property
    def counts(self):
        out = {}
        for a, _v in self.rows:
            out[a.grade] = out.get(a.grade, 0) + 1
        return [(Grade(g).label, out[g]) for g in [*rules.GRADE_ORDER, Grade.UNGRADED] if out.get(g)]


def unit_letters(user, round_, unit_pk=None):
    """One Letter per dispatching unit with cadres in the round (the user's scope: a unit liaison
    gets its own unit's only), ordered by unit name; in three queries."""
    qs = access.scope(user, round_.appraisals.all()).select_related("cadre__unit")
    if unit_pk is not None:
        qs = qs.filter(cadre__unit_id=unit_pk)
    appraisals = list(qs.order_by("cadre__unit__name", "cadre__unit_id", "cadre__name", "pk"))
    served = rules.round_assignments(round_, {a.cadre_id for a in appraisals})
    letters = {}
    for a in appraisals:
        mine = served.get(a.cadre_id, [])
        letter = letters.setdefault(a.cadre.unit_id, Letter(round_, a.cadre.unit, []))
        letter.rows.append((a, mine[-1].village if mine else None))
    return list(letters.values())
