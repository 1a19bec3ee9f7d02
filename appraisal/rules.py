"""Appraisal rules (POLICY.md "Appraisal"): who is appraised, grade caps, score bands, the quota.

Quota rounding: with n people graded, "at least 30 %" means at least ceil(0.30 × n) rated excellent
(30 % of 23 is 6.9, so 7); "at most 40 %" means at most floor(0.40 × n), never below the minimum (ordered ratios whose rounding crosses: the minimum prevails).
"""

import calendar
import dataclasses
import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments import attendance as attendance_rules
from assignments import leave as leave_rules
from assignments import policy as policy_defaults
from assignments.models import Assignment, AttendanceRecord, Policy, SpotCheck
from assignments.models.attendance import month_bounds

from . import scoring
from .models import (
    GRADE_ORDER,
    Appraisal,
    AppraisalRound,
    DemocraticAssessment,
    Grade,
    Inspection,
    year_bounds,
)

# Example rule from POLICY.md: ≥ 85 excellent, 70–85 competent, 60–70 basic, < 60 incompetent (the
# default of the ``score_bands`` setting, which scoring.py applies).
SCORE_BANDS = scoring.parse_bands(policy_defaults.DEFAULTS["score_bands"])


def rank(grade):
    """0 for excellent … 3 for incompetent (a lower rank is a better grade)."""
    return GRADE_ORDER.index(grade)


def band(score):
    """The grade of ``score`` under the default bands."""
    return scoring.band(score, SCORE_BANDS)


def parse_caps(text):
    """'1:competent,2:basic,3:incompetent' → [(1, competent), (2, basic), (3, incompetent)]."""
    caps = []
    for part in (text or "").split(","):
        if ":" in part:
            times, grade = part.split(":", 1)
            caps.append((int(times), grade.strip()))
    return sorted(caps)


def covered_assignments(round_):
    """The assignments that bring a cadre into the round. Annual: everyone who served in the county
    that year. Term-end (期满考核): those whose term ends that year (completed, or still open with its
    planned end in the year)."""
    first, last = year_bounds(round_.year)
    qs = Assignment.objects.filter(village__code__startswith=round_.county.prefix).select_related(
        "cadre", "village__township"
    )
    if round_.kind == AppraisalRound.Kind.TERM_END:
        return qs.filter(
            Q(end_date__gte=first, end_date__lte=last, end_reason=Assignment.EndReason.TERM_COMPLETED)
            | Q(end_date__isnull=True, planned_end_date__gte=first, planned_end_date__lte=last)
        )
    return _served_in(qs, first, last)


def _served_in(qs, first, last):
    return qs.filter(start_date__lte=last).filter(
        Q(end_date__gte=first) | Q(end_date__isnull=True, planned_end_date__gte=first)
    )


def round_assignments(round_, cadre_ids):
    """{cadre id: [assignments]}: every assignment of each cadre in the round's county that overlaps
    the round's year, earliest first. The appraisal of a person covers all of them (one query)."""
    first, last = year_bounds(round_.year)
    qs = _served_in(
        Assignment.objects.filter(cadre__in=list(cadre_ids), village__code__startswith=round_.county.prefix),
        first,
        last,
    ).select_related("village__township")
    result = {}
    for a in qs.order_by("start_date", "pk"):
        result.setdefault(a.cadre_id, []).append(a)
    return result


LEFTOVER_DAYS_PER_MONTH = 31  # leftover days of separate stretches that make one more month


def _add_months(day, months):
    """The day ``months`` calendar months after ``day``; when that month has no such day (31 January
    + 1 month), the first day of the month after it — so 31 January to 28 February is one month."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = calendar.monthrange(year, month)[1]
    if day.day <= last:
        return datetime.date(year, month, day.day)
    return datetime.date(year, month, last) + datetime.timedelta(days=1)


def _spans(items, first, last):
    """Date spans (start, last day) clipped to [first, last], overlapping or touching ones joined."""
    spans = []
    for item in items:
        start, end = (item.start_date, item.last_day) if hasattr(item, "start_date") else item
        start, end = max(start, first), min(end, last)
        if start <= end:
            spans.append((start, end))
    spans.sort()
    joined = []
    for start, end in spans:
        if joined and start <= joined[-1][1] + datetime.timedelta(days=1):
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def months_served(assignments, year):
    """Exact calendar months served in ``year`` over all the given assignments (or (start, end) spans).

    The spans are clipped to the year and joined where they overlap or touch (an adjustment from one
    village to the next on the following day is one unbroken stretch). Each stretch counts its whole
    months by date arithmetic: from its first day, month after month, as long as the day before the
    same day of the next month is still inside it (1 January – 30 June is six months; 15 March –
    14 April is one). The days left over at the end of every stretch are added up, and each full 31
    of them (the longest month) counts as one more month, so leftover days never make a month that
    date arithmetic would not: one stretch leaves at most 30. Nothing is rounded up."""
    if isinstance(assignments, Assignment):
        assignments = [assignments]
    first, last = year_bounds(year)
    months, leftover = 0, 0
    for start, end in _spans(assignments, first, last):
        n = 0
        while _add_months(start, n + 1) - datetime.timedelta(days=1) <= end:
            n += 1
        months += n
        leftover += (end - _add_months(start, n)).days + 1
    return months + leftover // LEFTOVER_DAYS_PER_MONTH


def was_recalled(assignments, year):
    """The assignments (of one cadre) recalled in ``year``: any of them rules out excellent."""
    first, last = year_bounds(year)
    return [
        a
        for a in assignments
        if a.end_reason == Assignment.EndReason.RECALLED and a.end_date and first <= a.end_date <= last
    ]


def too_short_reason(round_, months, policy):
    """Why a cadre who served too little of the year cannot be graded in an annual round, or None."""
    if round_.kind == AppraisalRound.Kind.ANNUAL and months < policy.min_months_for_appraisal:
        return _(
            "Served %(months)d months in %(year)d, fewer than the %(min)d months needed to be graded."
        ) % {"months": months, "year": round_.year, "min": policy.min_months_for_appraisal}
    return None


def population(round_):
    """The unsaved appraisals of a new round, one per person; those who served too short a time in
    the year (over all their assignments in the county) are ungraded, with why."""
    policy = Policy.effective_for(round_.county)
    cadre_ids = []
    for a in covered_assignments(round_).order_by("village__code", "start_date", "pk"):
        if a.cadre_id not in cadre_ids:
            cadre_ids.append(a.cadre_id)
    served = round_assignments(round_, cadre_ids)
    result = []
    for cadre_id in cadre_ids:
        appraisal = Appraisal(round=round_, cadre_id=cadre_id)
        reason = too_short_reason(round_, months_served(served.get(cadre_id, []), round_.year), policy)
        if reason:
            appraisal.grade, appraisal.ungraded_reason = Grade.UNGRADED, reason
        result.append(appraisal)
    return result


@dataclass
class Facts:
    months_below: int = 0
    months_recorded: int = 0
    present_days: int = 0
    leave_days: int = 0
    unexcused: int = 0
    recalled: bool = False
    inspections: list = field(default_factory=list)
    months_served: int = 0
    assignments: list = field(default_factory=list)  # the person's assignments in the county that year
    must_be_ungraded: str = ""  # why the person cannot be graded (served too short a time), or ""
    # Quarterly and yearly minimums missed (attendance.minimums_missed, QUARTER/YEAR Shortfalls);
    # the months are counted in months_below.
    periods_below: list = field(default_factory=list)
    cap: str = Grade.EXCELLENT
    cap_reasons: list = field(default_factory=list)
    checks_present: int = 0  # spot checks that found the cadre in the village that year

    @property
    def cap_label(self):
        return Grade(self.cap).label

    @property
    def allows_excellent(self):
        return self.cap == Grade.EXCELLENT

    @property
    def inspected(self):
        """Whether the half-year inspections are for this person: a first secretary that year."""
        return any(x.role == Assignment.Role.FIRST_SECRETARY for x in self.assignments)


def cap_for(facts, policy):
    """The best grade these facts allow under the policy, and the reasons in words."""
    cap, reasons = Grade.EXCELLENT, []

    def lower_to(grade, reason):
        nonlocal cap
        if rank(grade) > rank(cap):
            cap = grade
        reasons.append(reason)

    if facts.recalled:
        lower_to(Grade.COMPETENT, _("recalled during the year: cannot be rated excellent"))
    if facts.months_below and policy.attendance_blocks_excellent:
        lower_to(
            Grade.COMPETENT,
            _("below the in-village minimum in %(n)d month(s): cannot be rated excellent")
            % {"n": facts.months_below},
        )
    if facts.periods_below and policy.attendance_blocks_excellent:
        for shortfall in facts.periods_below:
            lower_to(
                Grade.COMPETENT,
                _("%(shortfall)s: cannot be rated excellent") % {"shortfall": shortfall.reason},
            )
    if facts.unexcused:
        applicable = [
            grade for times, grade in parse_caps(policy.spot_check_caps) if facts.unexcused >= times
        ]
        if applicable:
            grade = max(applicable, key=rank)
            lower_to(
                grade,
                _("found away without leave %(n)d time(s) by spot checks: at most %(grade)s")
                % {"n": facts.unexcused, "grade": Grade(grade).label},
            )
    return cap, reasons


def round_policy(round_):
    """The round's effective policy; a finalized round scores with the weights and bands it was
    finalized with (``AppraisalRound.score_settings``), not with today's."""
    policy = Policy.effective_for(round_.county)
    if round_.score_settings and not round_.is_draft:
        policy = dataclasses.replace(policy, values={**policy.values, **round_.score_settings})
    return policy


def facts_for(round_, appraisals):
    """Facts for each appraisal of the round, in a constant number of queries.

    A person is appraised, not an assignment: attendance, spot-check findings, leave, inspections,
    recalls and months served add up over all the cadre's assignments in the round's county that
    year (a cadre adjusted mid-year from one village to another is one person)."""
    policy = round_policy(round_)
    served = round_assignments(round_, {a.cadre_id for a in appraisals})
    owner = {x.pk: cadre_id for cadre_id, items in served.items() for x in items}
    ids = list(owner)
    first, last = year_bounds(round_.year)
    # Months are the person's too: a cadre adjusted mid-month has a row in each village, each with
    # its pro-rated minimum; the month is missed when the days in the village over both fall short
    # of the two minimums together (12 + 8 days against 9 + 11 is 20 of 20: met), and counts once.
    by_month = {}
    for assignment_id, month, days, required, leave in (
        AttendanceRecord.objects.filter(assignment__in=ids, sheet__month__gte=first, sheet__month__lte=last)
        .order_by()
        .values_list("assignment", "sheet__month", "present_days", "required_days", "leave_days")
    ):
        total = by_month.setdefault((owner[assignment_id], month), [0, 0, 0])
        total[0] += days or 0
        total[1] += required or 0
        total[2] += leave or 0
    attendance = {}
    today = timezone.localdate()
    for (cadre_id, month), (days, required, leave) in by_month.items():
        total = attendance.setdefault(cadre_id, {"below": 0, "months": 0, "days": 0, "leave": 0})
        # A month still in progress is no verdict yet (a round of the running year started in
        # December must not cap everyone for December's days still to come).
        total["below"] += days < required and month_bounds(month)[1] < today
        total["months"] += 1
        total["days"] += days
        total["leave"] += leave
    unexcused = {}
    for assignment_id, n in leave_rules.unexcused_absences_by_assignment(ids, round_.year).items():
        unexcused[owner[assignment_id]] = unexcused.get(owner[assignment_id], 0) + n
    inspections = {}
    for inspection in Inspection.objects.filter(assignment__in=ids, year=round_.year).order_by("half", "pk"):
        inspections.setdefault(owner[inspection.assignment_id], []).append(inspection)
    # Quarterly and yearly minimums missed, per assignment (four queries for the round); a round
    # of a finished year judges every period of it, one of the running year only those already over.
    periods_missed = attendance_rules.minimums_missed(
        Assignment.objects.filter(pk__in=ids), round_.year, whole_year=round_.year < timezone.localdate().year
    )
    periods_by_person = {}
    for assignment_id, shortfalls in periods_missed.items():
        periods_by_person.setdefault(owner[assignment_id], []).extend(
            s for s in shortfalls if s.period != attendance_rules.MONTH
        )
    # "A cadre recalled during the year cannot be rated 优秀 that year" (POLICY.md) is a fact about
    # the person: a recall from a village of another county that year counts too (one query).
    recalled_elsewhere = set(
        Assignment.objects.filter(
            cadre__in={a.cadre_id for a in appraisals},
            end_reason=Assignment.EndReason.RECALLED,
            end_date__gte=first,
            end_date__lte=last,
        ).values_list("cadre_id", flat=True)
    )
    present = {}
    for assignment_id, n in (
        SpotCheck.objects.filter(
            assignment__in=ids, date__year=round_.year, found_present=True, withdrawn_at__isnull=True
        )
        .order_by()
        .values("assignment")
        .annotate(n=Count("pk"))
        .values_list("assignment", "n")
    ):
        present[owner[assignment_id]] = present.get(owner[assignment_id], 0) + n
    result = {}
    for a in appraisals:
        row = attendance.get(a.cadre_id, {})
        mine = served.get(a.cadre_id, [])
        months = months_served(mine, round_.year)
        facts = Facts(
            months_below=row.get("below", 0),
            months_recorded=row.get("months", 0),
            present_days=row.get("days", 0),
            leave_days=row.get("leave", 0),
            unexcused=unexcused.get(a.cadre_id, 0),
            recalled=bool(was_recalled(mine, round_.year)) or a.cadre_id in recalled_elsewhere,
            inspections=inspections.get(a.cadre_id, []),
            months_served=months,
            assignments=mine,
            must_be_ungraded=too_short_reason(round_, months, policy) or "",
            checks_present=present.get(a.cadre_id, 0),
        )
        # Quarterly and yearly minimums (issue 12, item 10).
        facts.periods_below = periods_by_person.get(a.cadre_id, [])
        facts.cap, facts.cap_reasons = cap_for(facts, policy)
        result[a.pk] = facts
    return result, policy


@dataclass
class Quota:
    graded: int
    excellent: int
    min_needed: int
    max_allowed: int | None
    eligible: int
    min_ratio: Decimal
    max_ratio: Decimal | None
    kind: str = AppraisalRound.Kind.ANNUAL
    min_source: str = ""  # the region whose setting applies ("" = the documented default)
    max_source: str = ""

    @property
    def ratio(self):
        return Decimal(self.excellent) / self.graded if self.graded else Decimal(0)

    @property
    def percent(self):
        return f"{self.ratio * 100:.1f}"

    @property
    def contradictory(self):
        return self.max_allowed is not None and self.max_allowed < self.min_needed

    @property
    def capped_short(self):
        """The grade caps leave fewer who may be excellent than the minimum needs."""
        return not self.contradictory and self.eligible < self.min_needed

    @property
    def impossible(self):
        return self.contradictory or self.capped_short

    @property
    def shortfall(self):
        """How many the quota will lack even with everyone who may be excellent rated so."""
        return self.min_needed - self.eligible if self.capped_short else 0

    @property
    def ok(self):
        """The quota is met: at least the minimum and at most the maximum are rated excellent."""
        return self.excellent >= self.min_needed and (
            self.max_allowed is None or self.excellent <= self.max_allowed
        )

    @property
    def closable(self):
        """The round may be finalized as far as the quota goes (problems() is empty): the quota is
        met, or the caps force a shortfall and everyone who may be excellent is rated so."""
        return not self.problems()

    @property
    def setting(self):
        """Which policy setting applies, in words, with where it comes from."""
        if self.kind == AppraisalRound.Kind.TERM_END:
            text = _(
                "term-end appraisal (期满考核) settings: minimum share rated excellent at term end %(min)s, maximum %(max)s"
            )
        else:
            text = _("annual appraisal settings: minimum share rated excellent %(min)s, maximum %(max)s")
        return text % {
            "min": _with_source(_pct(self.min_ratio) if self.min_ratio else _("none"), self.min_source),
            "max": _with_source(_pct(self.max_ratio) if self.max_ratio else _("none"), self.max_source),
        }

    def problems(self):
        found = []
        if self.contradictory:
            found.append(
                _(
                    "The policy cannot be met: at least %(min)d and at most %(max)d of %(n)d may be excellent "
                    "under the %(setting)s. Ask the organisation department to correct the ratios."
                )
                % {"min": self.min_needed, "max": self.max_allowed, "n": self.graded, "setting": self.setting}
            )
        elif self.capped_short:
            if self.excellent < self.eligible:
                found.append(
                    _(
                        "The quota cannot be met: %(min)d of %(n)d must be rated excellent, but only %(eligible)d "
                        "may be under the grade caps. Rate all %(eligible)d of them excellent; the round then "
                        "closes with a shortfall of %(short)d recorded, with who was capped and why."
                    )
                    % {
                        "min": self.min_needed,
                        "n": self.graded,
                        "eligible": self.eligible,
                        "short": self.shortfall,
                    }
                )
        elif self.excellent < self.min_needed:
            found.append(
                _(
                    "Only %(e)d of %(n)d are rated excellent; at least %(min)d (%(ratio)s) are required "
                    "by the %(setting)s."
                )
                % {
                    "e": self.excellent,
                    "n": self.graded,
                    "min": self.min_needed,
                    "ratio": _pct(self.min_ratio),
                    "setting": self.setting,
                }
            )
        if self.max_allowed is not None and self.excellent > self.max_allowed:
            found.append(
                _(
                    "%(e)d of %(n)d are rated excellent; at most %(max)d (%(ratio)s) are allowed "
                    "by the %(setting)s."
                )
                % {
                    "e": self.excellent,
                    "n": self.graded,
                    "max": self.max_allowed,
                    "ratio": _pct(self.max_ratio),
                    "setting": self.setting,
                }
            )
        return found


def _pct(ratio):
    return f"{(ratio * 100).normalize():f} %"


def _with_source(value, source):
    if source:
        return _("%(value)s (set by %(region)s)") % {"value": value, "region": source}
    return _("%(value)s (default)") % {"value": value}


# The settings of each kind of round: the ≥ 30 % minimum of seed 001 is for the annual appraisal;
# a term-end round (期满考核) has its own minimum and maximum, off by default.
RATIO_SETTINGS = {
    AppraisalRound.Kind.ANNUAL: ("excellent_min_ratio", "excellent_max_ratio"),
    AppraisalRound.Kind.TERM_END: ("term_end_excellent_min_ratio", "term_end_excellent_max_ratio"),
}


def quota(appraisals, facts, policy, kind=AppraisalRound.Kind.ANNUAL):
    """The excellent quota of a round of ``kind`` under the ratios that apply to that kind."""
    graded = [a for a in appraisals if a.grade != Grade.UNGRADED]
    n = len(graded)
    min_name, max_name = RATIO_SETTINGS[AppraisalRound.Kind(kind)]
    min_ratio = getattr(policy, min_name) or Decimal(0)
    max_ratio = getattr(policy, max_name) or None
    sources = getattr(policy, "sources", {}) or {}
    min_needed = math.ceil(min_ratio * n - Decimal("1e-9")) if n else 0
    max_allowed = math.floor(max_ratio * n + Decimal("1e-9")) if max_ratio else None
    if max_allowed is not None and min_ratio <= max_ratio and max_allowed < min_needed:
        # Ordered ratios whose rounding leaves no whole number between them (30 %–35 % of 7: at
        # least 3, at most 2): the minimum, seed 001's "不低于30%", prevails, so the round can close.
        max_allowed = min_needed
    return Quota(
        graded=n,
        excellent=sum(1 for a in graded if a.grade == Grade.EXCELLENT),
        min_needed=min_needed,
        max_allowed=max_allowed,
        eligible=sum(1 for a in graded if facts[a.pk].allows_excellent),
        min_ratio=min_ratio,
        max_ratio=max_ratio,
        kind=kind,
        min_source=sources.get(min_name, ""),
        max_source=sources.get(max_name, ""),
    )


def scores_for(appraisals, facts, policy, assessments=None):
    """{appraisal id: scoring.Score}: the weighted score where the county scores by weights, else the
    typed score. ``assessments``: {appraisal id: DemocraticAssessment} when already read; else one
    query."""
    if assessments is None:
        assessments = {
            x.appraisal_id: x
            for x in DemocraticAssessment.objects.filter(appraisal__in=[a.pk for a in appraisals])
        }
    return {
        a.pk: scoring.score_for(
            a, facts[a.pk].inspections, assessments.get(a.pk), policy, facts[a.pk].inspected
        )
        for a in appraisals
    }


def grade_options(facts, current):
    """(grade, label, disabled) for the round page: grades above the cap the facts allow are not
    offered, unless it is the grade posted — it stays visible, marked, beside why it is refused."""
    return [
        (g, label, g in GRADE_ORDER and rank(g) < rank(facts.cap) and g != current)
        for g, label in Grade.choices
    ]


def grade_problem(appraisal, facts):
    """Why this grade is not allowed, or None."""
    name = appraisal.cadre.name
    if appraisal.grade == Grade.UNGRADED:
        if not appraisal.ungraded_reason.strip():
            return _("%(name)s is not graded but no reason is given.") % {"name": name}
        return None
    if not appraisal.grade:
        return _("%(name)s has no grade yet.") % {"name": name}
    if facts.must_be_ungraded:
        return _("%(name)s cannot be graded: %(reason)s") % {"name": name, "reason": facts.must_be_ungraded}
    if rank(appraisal.grade) < rank(facts.cap):
        return _("%(name)s cannot be rated %(grade)s: %(reasons)s; at most %(cap)s.") % {
            "name": name,
            "grade": Grade(appraisal.grade).label,
            "reasons": "；".join(facts.cap_reasons),
            "cap": Grade(facts.cap).label,
        }
    return None


def shortfall_reasons(appraisals, facts):
    """Who was capped below excellent, and why: recorded with a shortfall (JSON-ready)."""
    return [
        {
            "cadre": a.cadre_id,
            "name": a.cadre.name,
            "cap": str(Grade(facts[a.pk].cap).label),
            "reasons": [str(r) for r in facts[a.pk].cap_reasons],
        }
        for a in sorted(appraisals, key=lambda a: (a.cadre.name, a.cadre_id))
        if a.grade != Grade.UNGRADED and not facts[a.pk].allows_excellent
    ]


def finalize_check(round_):
    """(problems, shortfall, reasons) for finalizing: problems block; a shortfall the caps force is
    recorded with who was capped and why, and the round closes."""
    appraisals = list(round_.appraisals.select_related("cadre"))
    facts, policy = facts_for(round_, appraisals)
    problems = [p for a in appraisals if (p := grade_problem(a, facts[a.pk]))]
    # A grade saved before the county scored by weights (or before a part came in) may depart from
    # the score's band without a reason: the round does not close on it.
    if scoring.weights(policy) is not None:
        scores = scores_for(appraisals, facts, policy)
        problems += [
            departure_problem(a, scores[a.pk])
            for a in appraisals
            if not a.grade_reason.strip() and scoring.departs(a.grade, scores[a.pk], facts[a.pk].cap)
        ]
    q = quota(appraisals, facts, policy, round_.kind)
    problems += q.problems()
    if problems or not q.shortfall:
        return problems, 0, []
    return [], q.shortfall, shortfall_reasons(appraisals, facts)


def departure_problem(appraisal, score):
    return _(
        "%(name)s: the grade %(grade)s departs from the weighted score %(total)s, whose band is %(band)s; "
        "say why in “why the grade departs”."
    ) % {
        "name": appraisal.cadre.name,
        "grade": Grade(appraisal.grade).label,
        "total": score.total,
        "band": Grade(score.band).label,
    }


def finalize_problems(round_):
    return finalize_check(round_)[0]


INSPECTION_POINTS = {Inspection.Rating.GOOD: 2, Inspection.Rating.FAIR: 1, Inspection.Rating.POOR: 0}


def evidence_key(facts):
    """How a person without a score ranks for excellent on the evidence, best first (a sort key):
    fewest attendance minimums missed, fewest days found away without leave by spot checks, fewest
    points rated poor at the half-year inspections, the best inspection ratings on average (good 2,
    fair 1, poor 0; no inspection counts as fair), most spot checks that found the cadre in the
    village, most days in the village per month recorded."""
    ratings = [
        INSPECTION_POINTS[getattr(i, name)] for i in facts.inspections for name, _label in Inspection.POINTS
    ]
    average = Decimal(sum(ratings)) / len(ratings) if ratings else Decimal(1)
    per_month = Decimal(facts.present_days) / facts.months_recorded if facts.months_recorded else Decimal(0)
    poor = sum(i.poor_points for i in facts.inspections)
    return (
        facts.months_below + len(facts.periods_below),
        facts.unexcused,
        poor,
        -average,
        -facts.checks_present,
        -per_month,
    )


@dataclass
class Suggestion:
    """What suggest() did: how many were graded from their scores, how many from the evidence, and
    the evidence it used (counts, for the message). Unpacks as (scored, from_evidence)."""

    scored: int = 0
    from_evidence: int = 0
    excellent_from_evidence: int = 0
    with_sheets: int = 0
    with_checks: int = 0
    with_inspections: int = 0
    capped: int = 0
    ties: bool = False  # equal evidence at the quota's edge: the order of the list decided

    def __iter__(self):
        return iter((self.scored, self.from_evidence))


def suggest(round_):
    """Propose a grade for everyone who may be graded, then save the proposals.

    With a score: the score bands, lowered to the cap. Without a score: 称职 (or the cap), the
    evidence deciding who is excellent. The excellent quota's minimum is then filled from those
    allowed to be excellent: first the highest scores, then, among those without a score, the best
    evidence (evidence_key: attendance minimums, spot-check findings, inspection ratings); the
    maximum, if any, is kept by lowering the lowest scores to 称职."""
    appraisals = list(round_.appraisals.select_related("cadre"))
    facts, policy = facts_for(round_, appraisals)
    short = [a for a in appraisals if facts[a.pk].must_be_ungraded and a.grade != Grade.UNGRADED]
    for a in short:
        a.grade, a.ungraded_reason = Grade.UNGRADED, a.ungraded_reason or facts[a.pk].must_be_ungraded
    gradeable = [a for a in appraisals if a.grade != Grade.UNGRADED]
    # The weighted total where the county scores by weights (a missing part leaves it empty: then the
    # evidence decides, as without a score), else the typed score.
    scores = scores_for(appraisals, facts, policy)

    def total(a):
        return scores[a.pk].total

    graded = sorted((a for a in gradeable if total(a) is not None), key=lambda a: (-total(a), a.pk))
    for a in graded:
        suggested = scores[a.pk].band
        a.grade = suggested if rank(suggested) >= rank(facts[a.pk].cap) else facts[a.pk].cap
    unscored = sorted(
        (a for a in gradeable if total(a) is None),
        key=lambda a: (evidence_key(facts[a.pk]), a.cadre.name, a.pk),
    )
    for a in unscored:
        a.grade = Grade.COMPETENT if facts[a.pk].allows_excellent else facts[a.pk].cap
    q = quota(appraisals, facts, policy, round_.kind)
    excellent = [a for a in graded if a.grade == Grade.EXCELLENT]
    from_evidence = []
    for a in graded + unscored:
        if len(excellent) >= q.min_needed:
            break
        if a.grade != Grade.EXCELLENT and facts[a.pk].allows_excellent:
            a.grade = Grade.EXCELLENT
            excellent.append(a)
            if total(a) is None:
                from_evidence.append(a)
    lowered = set()
    if q.max_allowed is not None:
        scored_excellent = [a for a in excellent if total(a) is not None]
        for a in sorted(scored_excellent, key=lambda a: (total(a), -a.pk))[
            : max(0, len(excellent) - q.max_allowed)
        ]:
            a.grade = Grade.COMPETENT
            lowered.add(a.pk)
    for a in graded:
        # A proposal that departs from the weighted score's band says why (the quota).
        if scores[a.pk].weighted and scoring.departs(a.grade, scores[a.pk], facts[a.pk].cap):
            a.grade_reason = (
                _("lowered to keep the excellent quota's maximum")
                if a.pk in lowered
                else _("raised to fill the excellent quota's minimum")
            )
        else:
            a.grade_reason = ""
    ties = False
    if from_evidence:
        last = evidence_key(facts[from_evidence[-1].pk])
        ties = any(
            a.grade != Grade.EXCELLENT and facts[a.pk].allows_excellent and evidence_key(facts[a.pk]) == last
            for a in unscored
        )
    Appraisal.objects.bulk_update(graded, ["grade", "grade_reason"])
    Appraisal.objects.bulk_update(unscored, ["grade"])
    if short:
        Appraisal.objects.bulk_update(short, ["grade", "ungraded_reason"])
    used = [facts[a.pk] for a in unscored]
    return Suggestion(
        scored=len(graded),
        from_evidence=len(unscored),
        excellent_from_evidence=len(from_evidence),
        with_sheets=sum(1 for f in used if f.months_recorded),
        with_checks=sum(1 for f in used if f.unexcused or f.checks_present),
        with_inspections=sum(1 for f in used if f.inspections),
        capped=sum(1 for f in used if not f.allows_excellent),
        ties=ties,
    )


class RowProblem(str):
    """Why one posted row cannot be saved: the message, with ``appraisal_id`` naming the row (None
    for a problem of the whole round), so the page can show it beside the row."""

    def __new__(cls, message, appraisal_id=None):
        problem = super().__new__(cls, message)
        problem.appraisal_id = appraisal_id
        return problem


def problems_by_row(problems):
    """{appraisal id: [messages]} of the problems that belong to a row."""
    rows = {}
    for p in problems:
        if getattr(p, "appraisal_id", None) is not None:
            rows.setdefault(p.appraisal_id, []).append(str(p))
    return rows


def save_and_suggest(round_, posted):
    """Save the posted edits (scores typed and not yet saved count), then suggest: one transaction.
    Returns (problems, None) when the save is refused (nothing saved), else ([], Suggestion)."""
    with transaction.atomic():
        locked = AppraisalRound.objects.select_for_update().get(pk=round_.pk)
        if not locked.is_draft:
            return [RowProblem(_("This round is finalized and read-only; the county can reopen it."))], None
        problems = save_grades(round_, posted) if posted else []
        if problems:
            return problems, None
        return [], suggest(round_)


def save_and_finalize(round_, posted, user):
    """Save the posted edits, then finalize: one transaction. Returns the row problems of the save
    (then nothing is saved and the round stays a draft); a refused finalize raises ValidationError
    and rolls the save back too, so the page keeps every edit to correct and submit again."""
    with transaction.atomic():
        AppraisalRound.objects.select_for_update().get(pk=round_.pk)
        problems = save_grades(round_, posted) if posted else []
        if problems:
            return problems
        round_.finalize(user)
    return []


def save_grades(round_, posted):
    """``posted``: appraisal id → (score text, grade, comments[, why not graded[, why the grade departs
    from the weighted score]]); a text that is None was not posted and stays as it is. All rows or none; returns the problems, each a RowProblem
    naming its row, so a refused save can show every edit again with the bad rows marked."""
    with transaction.atomic():
        locked = AppraisalRound.objects.select_for_update().get(pk=round_.pk)
        if not locked.is_draft:
            return [RowProblem(_("This round is finalized and read-only; the county can reopen it."))]
        return _save_grades(round_, posted)


def _save_grades(round_, posted):
    appraisals = {a.pk: a for a in round_.appraisals.select_related("cadre")}
    facts, policy = facts_for(round_, list(appraisals.values()))
    assessments = {
        x.appraisal_id: x for x in DemocraticAssessment.objects.filter(appraisal__in=list(appraisals))
    }
    problems, changed = [], []

    def refuse(message):
        problems.append(RowProblem(message, pk))

    for pk, values in posted.items():
        score_text, grade, comments = values[:3]
        reason = values[3] if len(values) > 3 else None
        departure = values[4] if len(values) > 4 else None
        a = appraisals.get(pk)
        if a is None:
            refuse(_("Row %(id)s is not part of this round; reload the page.") % {"id": pk})
            continue
        name = a.cadre.name
        f = facts[a.pk]
        score = None
        if (score_text or "").strip():
            try:
                score = Decimal(score_text.strip())
            except InvalidOperation:
                refuse(
                    _("%(name)s: the score “%(value)s” is not a number.")
                    % {"name": name, "value": score_text}
                )
                continue
            if (
                not score.is_finite()
                or not Decimal(0) <= score <= Decimal(100)
                or score.as_tuple().exponent < -2
            ):
                refuse(
                    _("%(name)s: the score %(value)s must lie between 0 and 100 (two decimals at most).")
                    % {"name": name, "value": score_text}
                )
                continue
        if "\x00" in (comments or "") or "\x00" in (reason or "") or "\x00" in (departure or ""):
            refuse(
                _("%(name)s: the comments contain a NUL character (U+0000), which cannot be stored.")
                % {"name": name}
            )
            continue
        if grade and grade not in Grade.values:
            refuse(_("%(name)s: “%(value)s” is not a grade.") % {"name": name, "value": grade})
            continue
        reason = a.ungraded_reason if reason is None else reason.strip()
        if len(reason) > Appraisal._meta.get_field("ungraded_reason").max_length:
            refuse(
                _("%(name)s: the reason for not grading is longer than %(max)d characters.")
                % {"name": name, "max": Appraisal._meta.get_field("ungraded_reason").max_length}
            )
            continue
        if f.must_be_ungraded and grade not in ("", Grade.UNGRADED):
            refuse(_("%(name)s cannot be graded: %(reason)s") % {"name": name, "reason": f.must_be_ungraded})
            continue
        if not grade and (f.must_be_ungraded or reason):
            grade = Grade.UNGRADED
        if grade == Grade.UNGRADED:
            reason = reason or f.must_be_ungraded
            if not reason:
                refuse(
                    _(
                        "%(name)s: to leave someone ungraded (不确定等次), type the reason in “why not graded”."
                    )
                    % {"name": name}
                )
                continue
        elif reason:
            if values[3:] and values[3] is not None and values[3].strip():
                refuse(
                    _(
                        "%(name)s: a reason for not grading is given, but the grade is %(grade)s; "
                        "clear the reason or choose “not graded”."
                    )
                    % {"name": name, "grade": Grade(grade).label if grade else _("empty")}
                )
                continue
            reason = ""  # graded now: the old reason no longer applies
        a.score, a.grade, a.ungraded_reason, a.updated_at = score, grade or "", reason, timezone.now()
        if comments is not None:
            a.comments = comments
        problem = grade_problem(a, f) if a.grade and a.grade != Grade.UNGRADED else None
        if problem:
            refuse(problem)
            continue
        # Scoring by weights: a grade other than the score's band (once the cap is applied) says why.
        scored = scoring.score_for(a, f.inspections, assessments.get(a.pk), policy, f.inspected)
        if scored.weighted and scoring.departs(a.grade, scored, f.cap):
            departure = (a.grade_reason if departure is None else departure).strip()
            if not departure:
                refuse(
                    _(
                        "%(name)s: the grade %(grade)s departs from the weighted score %(total)s, whose band "
                        "is %(band)s; say why in “why the grade departs”."
                    )
                    % {
                        "name": name,
                        "grade": Grade(a.grade).label,
                        "total": scored.total,
                        "band": Grade(scored.band).label,
                    }
                )
                continue
            limit = Appraisal._meta.get_field("grade_reason").max_length
            if len(departure) > limit:
                refuse(
                    _("%(name)s: the reason why the grade departs is longer than %(max)d characters.")
                    % {"name": name, "max": limit}
                )
                continue
            a.grade_reason = departure
        else:
            a.grade_reason = ""
        changed.append(a)
    if problems:
        return problems
    Appraisal.objects.bulk_update(
        changed, ["score", "grade", "ungraded_reason", "grade_reason", "comments", "updated_at"]
    )
    return []


def promotion_list(appraisals):
    """优秀 in two consecutive finalized annual rounds, for promotion priority at term end (POLICY.md):
    only cadres whose term was completed (任职期满: an assignment ended ``term_completed`` in or after
    the later of the two years), and never one recalled (召回) from the first of those years on — a
    recall in a later term too takes the cadre off the list. ``appraisals``: a queryset already scoped
    to the user."""
    finals = (
        appraisals.filter(
            grade=Grade.EXCELLENT,
            round__kind=AppraisalRound.Kind.ANNUAL,
            round__state=AppraisalRound.State.FINALIZED,
        )
        .select_related("cadre__unit", "round")
        .order_by("cadre_id", "round__year")
    )
    by_cadre = {}
    for a in finals:
        by_cadre.setdefault(a.cadre_id, []).append(a)
    runs = {}
    for cadre_id, items in by_cadre.items():
        years = sorted({a.round.year for a in items})
        pairs = [(y - 1, y) for y in years if y - 1 in years]
        if pairs:
            runs[cadre_id] = pairs
    terms = {}
    for a in Assignment.objects.filter(cadre__in=list(runs), end_date__isnull=False).select_related(
        "village"
    ):
        terms.setdefault(a.cadre_id, []).append(a)
    rows = []
    for cadre_id, pairs in runs.items():
        ended = terms.get(cadre_id, [])
        for first_year, last_year in reversed(pairs):
            completed = sorted(
                (
                    a
                    for a in ended
                    if a.end_reason == Assignment.EndReason.TERM_COMPLETED
                    and a.start_date.year <= last_year <= a.end_date.year
                ),
                key=lambda a: a.end_date,
            )
            term = next(
                (
                    t
                    for t in completed
                    if not any(
                        a.end_reason == Assignment.EndReason.RECALLED
                        and a.end_date >= datetime.date(first_year, 1, 1)
                        for a in ended
                    )
                ),
                None,
            )
            if term is not None:
                items = by_cadre[cadre_id]
                rows.append(
                    {
                        "cadre": items[-1].cadre,
                        "years": [a.round.year for a in items],
                        "last": items[-1],
                        "term": term,
                        "pair": (first_year, last_year),  # the two consecutive years that list them
                    }
                )
                break
    rows.sort(key=lambda r: (-max(r["years"]), r["cadre"].name))
    return rows
