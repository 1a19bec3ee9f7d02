"""The evidence of a person in a round (issue 18, item 1): every fact a grade rests on, gathered once.

Nothing here decides anew: the verdicts are those of the rules the round page uses —
``rules.facts_for`` (months served over all the person's assignments, the months and the quarter
and year minimums missed, spot-check findings, recalls, the cap and its reasons), ``rules.quota``,
``assignments.leave`` (补假, the overdue 销假, the findings of the spot checks), ``fieldwork.diary``
(what the cadre recorded), ``targets.check`` and ``scoring.score_for``. This module only lays
them out month by month and record by record.

The summary figures are the person's, over every assignment in the round's county that year (as the
grade is); the records listed are those of the assignments the viewer may see (``visible``: a
township clerk does not read another township's sheets, leave or checks), and the page says how
many assignments it leaves out. A constant number of queries, whatever the number of assignments,
months, leave requests or checks.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from assignments import attendance as attendance_rules
from assignments import leave as leave_rules
from assignments.models import Assignment, AttendanceRecord, LeaveRequest, SpotCheck
from assignments.models.attendance import month_bounds
from fieldwork import diary

from . import rules, scoring, targets
from .models import DemocraticAssessment, Opinion, VillageResult, year_bounds


@dataclass
class Month:
    """One calendar month of the year for the person: the sheet rows of the visible assignments."""

    month: datetime.date
    rows: list = field(default_factory=list)  # AttendanceRecord, with .assignment and .sheet loaded
    in_progress: bool = False

    @property
    def recorded(self):
        return bool(self.rows)

    @property
    def present(self):
        return sum(r.present_days or 0 for r in self.rows)

    @property
    def required(self):
        return sum(r.required_days or 0 for r in self.rows)

    @property
    def leave(self):
        return sum(r.leave_days or 0 for r in self.rows)

    @property
    def absent(self):
        return sum(r.absent_days or 0 for r in self.rows)

    @property
    def below(self):
        """Below the month's minimum: only for a month that is over (facts_for judges likewise)."""
        return self.recorded and not self.in_progress and self.present < self.required


@dataclass
class VillageTargets:
    village: object
    result: object  # VillageResult of the round's year, or None
    checks: list = field(default_factory=list)  # targets.check rows: (target, met, detail)

    @property
    def met(self):
        return sum(1 for _t, met, _d in self.checks if met)


@dataclass
class Evidence:
    appraisal: object
    round: object
    cadre: object
    facts: rules.Facts
    policy: object
    assignments: list  # the visible ones, earliest first
    hidden: int  # the person's assignments in the round the viewer does not see
    months: list
    periods_below: list  # quarter and year minimums missed (attendance.Shortfall)
    leaves: list
    leave_days_year: int  # working days of approved leave in the year (the yearly cap counts these)
    checks: list
    inspections: list
    recorded: list  # fieldwork.diary.half_year() of each half year begun
    villages: list
    quota: rules.Quota
    opinions: dict  # Opinion.Source value → Opinion
    assessment: object
    score: scoring.Score
    departs: bool
    today: datetime.date

    @property
    def latest(self):
        return self.assignments[-1] if self.assignments else None

    @property
    def months_below(self):
        return [m for m in self.months if m.below]

    @property
    def retroactive_leaves(self):
        return [lv for lv in self.leaves if lv.retroactive]

    @property
    def overdue_leaves(self):
        return [lv for lv in self.leaves if lv.overdue]

    @property
    def findings(self):
        return [c for c in self.checks if c.unexcused_absence]

    @property
    def opinion_rows(self):
        return [(source, label, self.opinions.get(source)) for source, label in Opinion.Source.choices]


def _months(year, assignments, records, today):
    """Every month of the year that a visible assignment covers and that has begun, with its rows."""
    by_month = {}
    for record in records:
        by_month.setdefault(record.sheet.month.replace(day=1), []).append(record)
    months = []
    for n in range(1, 13):
        first, last = month_bounds(datetime.date(year, n, 1))
        if first > today:
            break
        rows = by_month.pop(first, [])
        if rows or any(attendance_rules.covered_days(a, first, last) for a in assignments):
            months.append(Month(first, rows, in_progress=last >= today))
    return months


def _villages(year, assignments):
    """The targets and results of each village the person served in that year (two queries)."""
    villages = list({a.village_id: a.village for a in assignments}.values())
    results = {}
    for r in VillageResult.objects.filter(village__in=villages, year__lte=year).order_by("year"):
        results.setdefault(r.village_id, []).append(r)
    secretaries = {}
    for a in Assignment.objects.filter(village__in=villages, role=Assignment.Role.FIRST_SECRETARY):
        secretaries.setdefault(a.village_id, []).append(a)
    rows = []
    for village in villages:
        own = results.get(village.pk, [])
        by_year = {r.year: r for r in own}
        result = by_year.get(year)
        checks = []
        if result is not None:
            since = targets.term_start_year(secretaries.get(village.pk, []), year)
            checks = targets.check(
                result, by_year.get(year - 1), village, targets.term_results(own, since, year)
            )
        rows.append(VillageTargets(village, result, checks))
    return rows


def gather(appraisal, round_appraisals, visible, today=None):
    """The Evidence of ``appraisal`` (with ``round__county`` and ``cadre__unit`` loaded).

    ``round_appraisals``: the round's appraisals the viewer sees (the quota's context, counted as
    the round page counts it); ``visible``: the assignments the viewer may see (a queryset)."""
    today = today or timezone.localdate()
    round_ = appraisal.round
    year = round_.year
    first, last = year_bounds(year)
    everyone = list(round_appraisals.select_related("cadre"))
    if appraisal.pk not in {a.pk for a in everyone}:
        everyone.append(appraisal)
    all_facts, policy = rules.facts_for(round_, everyone)
    facts = all_facts[appraisal.pk]
    mine = {a.pk: a for a in facts.assignments}
    shown_ids = set(visible.filter(pk__in=list(mine)).values_list("pk", flat=True))
    shown = [a for a in facts.assignments if a.pk in shown_ids]
    for a in shown:
        a.cadre = appraisal.cadre  # the page reads a.cadre through the leave rules; no query

    records = list(
        AttendanceRecord.objects.filter(
            assignment__in=shown_ids, sheet__month__gte=first, sheet__month__lte=last
        )
        .select_related("sheet")
        .order_by("sheet__month", "assignment__start_date", "pk")
    )
    for record in records:
        record.assignment = mine[record.assignment_id]

    leaves = list(
        LeaveRequest.objects.filter(assignment__in=shown_ids, start_date__lte=last, end_date__gte=first)
        .select_related("assignment__village__township", "assignment__cadre")
        .order_by("start_date", "pk")
    )
    leaves = leave_rules.mark_leaves(leaves, today)
    leave_days = leave_rules.leave_days_by_cadre([appraisal.cadre_id], year).get(appraisal.cadre_id, 0)

    checks = list(
        leave_rules.with_findings(SpotCheck.objects.filter(assignment__in=shown_ids, date__year=year))
        .select_related("assignment__village")
        .order_by("date", "created_at", "pk")
    )

    halves = [h for h in (1, 2) if datetime.date(year, 1 if h == 1 else 7, 1) <= today]
    recorded = [dict(diary.half_year(appraisal.cadre_id, year, h), half=h) for h in halves]

    opinions = {o.source: o for o in Opinion.objects.filter(appraisal=appraisal).select_related("given_by")}
    assessment = DemocraticAssessment.objects.filter(appraisal=appraisal).first()
    score = scoring.score_for(appraisal, facts.inspections, assessment, policy, facts.inspected)

    return Evidence(
        appraisal=appraisal,
        round=round_,
        cadre=appraisal.cadre,
        facts=facts,
        policy=policy,
        assignments=shown,
        hidden=len(mine) - len(shown),
        months=_months(year, shown, records, today),
        periods_below=facts.periods_below,
        leaves=leaves,
        leave_days_year=leave_days,
        checks=checks,
        inspections=[i for i in facts.inspections if i.assignment_id in shown_ids],
        recorded=recorded,
        villages=_villages(year, shown),
        quota=rules.quota(everyone, all_facts, policy, round_.kind),
        opinions=opinions,
        assessment=assessment,
        score=score,
        departs=scoring.departs(appraisal.grade, score, facts.cap),
        today=today,
    )
