"""Appraisal rules (POLICY.md "Appraisal"): who is appraised, grade caps, score bands, the quota.

Quota rounding: with n people graded, "at least 30 %" means at least ceil(0.30 × n) rated excellent
(30 % of 23 is 6.9, so 7); "at most 40 %" means at most floor(0.40 × n).
"""

import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from assignments import attendance as attendance_rules
from assignments import leave as leave_rules
from assignments.attendance import covered_days
from assignments.models import Assignment, AttendanceRecord, Policy

from .models import GRADE_ORDER, Appraisal, AppraisalRound, Grade, Inspection

# Example rule from POLICY.md: ≥ 85 excellent, 70–85 competent, 60–70 basic, < 60 incompetent.
SCORE_BANDS = [(Decimal(85), Grade.EXCELLENT), (Decimal(70), Grade.COMPETENT), (Decimal(60), Grade.BASIC)]
DAYS_PER_MONTH = Decimal("30.44")  # an average month, to count months served


def rank(grade):
    """0 for excellent … 3 for incompetent (a lower rank is a better grade)."""
    return GRADE_ORDER.index(grade)


def band(score):
    if score is None:
        return None
    for floor, grade in SCORE_BANDS:
        if score >= floor:
            return grade
    return Grade.INCOMPETENT


def parse_caps(text):
    """'1:competent,2:basic,3:incompetent' → [(1, competent), (2, basic), (3, incompetent)]."""
    caps = []
    for part in (text or "").split(","):
        if ":" in part:
            times, grade = part.split(":", 1)
            caps.append((int(times), grade.strip()))
    return sorted(caps)


def year_bounds(year):
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def covered_assignments(round_):
    """Annual: everyone who served in the county that year. Term-end: whose term ended that year."""
    first, last = year_bounds(round_.year)
    qs = Assignment.objects.filter(village__code__startswith=round_.county.prefix).select_related(
        "cadre", "village__township"
    )
    if round_.kind == AppraisalRound.Kind.TERM_END:
        return qs.filter(
            Q(end_date__gte=first, end_date__lte=last, end_reason=Assignment.EndReason.TERM_COMPLETED)
            | Q(end_date__isnull=True, planned_end_date__gte=first, planned_end_date__lte=last)
        )
    return qs.filter(start_date__lte=last).filter(
        Q(end_date__gte=first) | Q(end_date__isnull=True, planned_end_date__gte=first)
    )


def months_served(assignment, year):
    first, last = year_bounds(year)
    return int(Decimal(covered_days(assignment, first, last)) / DAYS_PER_MONTH)


def population(round_):
    """The unsaved appraisals of a new round; those who served too short a time are ungraded, with why."""
    policy = Policy.effective_for(round_.county)
    result = []
    for a in covered_assignments(round_):
        appraisal = Appraisal(round=round_, assignment=a)
        months = months_served(a, round_.year)
        if round_.kind == AppraisalRound.Kind.ANNUAL and months < policy.min_months_for_appraisal:
            appraisal.grade = Grade.UNGRADED
            appraisal.ungraded_reason = _(
                "Served %(months)d months in %(year)d, fewer than the %(min)d months needed to be graded."
            ) % {"months": months, "year": round_.year, "min": policy.min_months_for_appraisal}
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
    # Quarterly and yearly minimums missed (attendance.minimums_missed, QUARTER/YEAR Shortfalls);
    # the months are counted in months_below.
    periods_below: list = field(default_factory=list)
    cap: str = Grade.EXCELLENT
    cap_reasons: list = field(default_factory=list)

    @property
    def cap_label(self):
        return Grade(self.cap).label

    @property
    def allows_excellent(self):
        return self.cap == Grade.EXCELLENT


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


def facts_for(round_, appraisals):
    """Facts for each appraisal of the round, in a constant number of queries."""
    first, last = year_bounds(round_.year)
    ids = [a.assignment_id for a in appraisals]
    policy = Policy.effective_for(round_.county)
    attendance = {
        row["assignment"]: row
        for row in AttendanceRecord.objects.filter(
            assignment__in=ids, sheet__month__gte=first, sheet__month__lte=last
        )
        .values("assignment")
        .annotate(
            below=Count("pk", filter=Q(present_days__lt=F("required_days"))),
            months=Count("pk"),
            days=Sum("present_days"),
            leave=Sum("leave_days"),
        )
    }
    unexcused = leave_rules.unexcused_absences_by_assignment(ids, round_.year)
    inspections = {}
    for inspection in Inspection.objects.filter(assignment__in=ids, year=round_.year).order_by("half"):
        inspections.setdefault(inspection.assignment_id, []).append(inspection)
    # Quarterly and yearly minimums missed, per assignment (four queries for the round); a round
    # of a finished year judges every period of it, one of the running year only those already over.
    periods_missed = attendance_rules.minimums_missed(
        Assignment.objects.filter(pk__in=ids), round_.year, whole_year=round_.year < timezone.localdate().year
    )
    result = {}
    for a in appraisals:
        row = attendance.get(a.assignment_id, {})
        assignment = a.assignment
        facts = Facts(
            months_below=row.get("below", 0),
            months_recorded=row.get("months", 0),
            present_days=row.get("days") or 0,
            leave_days=row.get("leave") or 0,
            unexcused=unexcused.get(a.assignment_id, 0),
            recalled=assignment.end_reason == Assignment.EndReason.RECALLED
            and assignment.end_date is not None
            and first <= assignment.end_date <= last,
            inspections=inspections.get(a.assignment_id, []),
        )
        # Quarterly and yearly minimums (issue 12, item 10).
        facts.periods_below = [
            s for s in periods_missed.get(a.assignment_id, []) if s.period != attendance_rules.MONTH
        ]
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

    @property
    def ratio(self):
        return Decimal(self.excellent) / self.graded if self.graded else Decimal(0)

    @property
    def percent(self):
        return f"{self.ratio * 100:.1f}"

    @property
    def impossible(self):
        return self.eligible < self.min_needed or (
            self.max_allowed is not None and self.max_allowed < self.min_needed
        )

    @property
    def ok(self):
        return self.excellent >= self.min_needed and (
            self.max_allowed is None or self.excellent <= self.max_allowed
        )

    def problems(self):
        found = []
        if self.max_allowed is not None and self.max_allowed < self.min_needed:
            found.append(
                _(
                    "The policy cannot be met: at least %(min)d and at most %(max)d of %(n)d may be excellent. "
                    "Ask the organisation department to correct the ratios."
                )
                % {"min": self.min_needed, "max": self.max_allowed, "n": self.graded}
            )
        elif self.eligible < self.min_needed:
            found.append(
                _(
                    "The quota cannot be met: %(min)d of %(n)d must be rated excellent, but only %(eligible)d "
                    "may be under the grade caps."
                )
                % {"min": self.min_needed, "n": self.graded, "eligible": self.eligible}
            )
        if self.excellent < self.min_needed:
            found.append(
                _("Only %(e)d of %(n)d are rated excellent; at least %(min)d (%(ratio)s) are required.")
                % {
                    "e": self.excellent,
                    "n": self.graded,
                    "min": self.min_needed,
                    "ratio": _pct(self.min_ratio),
                }
            )
        if self.max_allowed is not None and self.excellent > self.max_allowed:
            found.append(
                _("%(e)d of %(n)d are rated excellent; at most %(max)d (%(ratio)s) are allowed.")
                % {
                    "e": self.excellent,
                    "n": self.graded,
                    "max": self.max_allowed,
                    "ratio": _pct(self.max_ratio),
                }
            )
        return found


def _pct(ratio):
    return f"{(ratio * 100).normalize():f} %"


def quota(appraisals, facts, policy):
    graded = [a for a in appraisals if a.grade != Grade.UNGRADED]
    n = len(graded)
    min_ratio = policy.excellent_min_ratio or Decimal(0)
    max_ratio = policy.excellent_max_ratio
    return Quota(
        graded=n,
        excellent=sum(1 for a in graded if a.grade == Grade.EXCELLENT),
        min_needed=math.ceil(min_ratio * n - Decimal("1e-9")) if n else 0,
        max_allowed=math.floor(max_ratio * n + Decimal("1e-9")) if max_ratio else None,
        eligible=sum(1 for a in graded if facts[a.pk].allows_excellent),
        min_ratio=min_ratio,
        max_ratio=max_ratio,
    )


def grade_problem(appraisal, facts):
    """Why this grade is not allowed, or None."""
    name = appraisal.assignment.cadre.name
    if appraisal.grade == Grade.UNGRADED:
        if not appraisal.ungraded_reason.strip():
            return _("%(name)s is not graded but no reason is given.") % {"name": name}
        return None
    if not appraisal.grade:
        return _("%(name)s has no grade yet.") % {"name": name}
    if rank(appraisal.grade) < rank(facts.cap):
        return _("%(name)s cannot be rated %(grade)s: %(reasons)s; at most %(cap)s.") % {
            "name": name,
            "grade": Grade(appraisal.grade).label,
            "reasons": "；".join(facts.cap_reasons),
            "cap": Grade(facts.cap).label,
        }
    return None


def finalize_problems(round_):
    appraisals = list(round_.appraisals.select_related("assignment__cadre"))
    facts, policy = facts_for(round_, appraisals)
    problems = [p for a in appraisals if (p := grade_problem(a, facts[a.pk]))]
    problems += quota(appraisals, facts, policy).problems()
    return problems


def suggest(round_):
    """Grades from the score bands and caps, then the quota filled from the top eligible scores."""
    appraisals = list(round_.appraisals.select_related("assignment__cadre"))
    facts, policy = facts_for(round_, appraisals)
    graded = sorted(
        (a for a in appraisals if a.grade != Grade.UNGRADED and a.score is not None),
        key=lambda a: (-a.score, a.pk),
    )
    for a in graded:
        suggested = band(a.score)
        a.grade = suggested if rank(suggested) >= rank(facts[a.pk].cap) else facts[a.pk].cap
    q = quota(appraisals, facts, policy)
    excellent = [a for a in graded if a.grade == Grade.EXCELLENT]
    for a in graded:
        if len(excellent) >= q.min_needed:
            break
        if a.grade != Grade.EXCELLENT and facts[a.pk].allows_excellent:
            a.grade = Grade.EXCELLENT
            excellent.append(a)
    if q.max_allowed is not None:
        for a in sorted(excellent, key=lambda a: (a.score, -a.pk))[: max(0, len(excellent) - q.max_allowed)]:
            a.grade = Grade.COMPETENT
    # Where a county does not score, nobody can be ranked: those without a grade start at competent
    # (or their cap), and the staff choose who is excellent.
    unscored = [a for a in appraisals if a.score is None and a.grade in ("", None)]
    for a in unscored:
        a.grade = Grade.COMPETENT if facts[a.pk].allows_excellent else facts[a.pk].cap
    Appraisal.objects.bulk_update(graded + unscored, ["grade"])
    return len(graded), len(unscored)


def save_grades(round_, posted):
    """``posted``: appraisal id → (score text, grade, comments). All rows or none; returns problems."""
    if not round_.is_draft:
        return [_("This round is finalized and read-only; the county can reopen it.")]
    appraisals = {a.pk: a for a in round_.appraisals.select_related("assignment__cadre")}
    facts, _policy = facts_for(round_, list(appraisals.values()))
    problems, changed = [], []
    for pk, (score_text, grade, comments) in posted.items():
        a = appraisals.get(pk)
        if a is None:
            problems.append(_("Row %(id)s is not part of this round; reload the page.") % {"id": pk})
            continue
        name = a.assignment.cadre.name
        score = None
        if (score_text or "").strip():
            try:
                score = Decimal(score_text.strip())
            except InvalidOperation:
                problems.append(
                    _("%(name)s: the score “%(value)s” is not a number.")
                    % {"name": name, "value": score_text}
                )
                continue
            if (
                not score.is_finite()
                or not Decimal(0) <= score <= Decimal(100)
                or score.as_tuple().exponent < -2
            ):
                problems.append(
                    _("%(name)s: the score %(value)s must lie between 0 and 100 (two decimals at most).")
                    % {"name": name, "value": score_text}
                )
                continue
        if "\x00" in (comments or ""):
            problems.append(
                _("%(name)s: the comments contain a NUL character (U+0000), which cannot be stored.")
                % {"name": name}
            )
            continue
        if grade and grade not in Grade.values:
            problems.append(_("%(name)s: “%(value)s” is not a grade.") % {"name": name, "value": grade})
            continue
        if a.ungraded_reason and grade not in ("", Grade.UNGRADED):
            problems.append(
                _("%(name)s cannot be graded: %(reason)s") % {"name": name, "reason": a.ungraded_reason}
            )
            continue
        if grade == Grade.UNGRADED and a.grade != Grade.UNGRADED and not a.ungraded_reason:
            problems.append(
                _("%(name)s: to leave someone ungraded, record the reason in the comments.") % {"name": name}
            )
            continue
        if a.ungraded_reason:
            grade = Grade.UNGRADED
        a.score, a.grade, a.updated_at = score, grade or "", timezone.now()
        if comments is not None:
            a.comments = comments
        problem = grade_problem(a, facts[a.pk]) if a.grade and a.grade != Grade.UNGRADED else None
        if problem:
            problems.append(problem)
            continue
        changed.append(a)
    if problems:
        return problems
    Appraisal.objects.bulk_update(changed, ["score", "grade", "comments", "updated_at"])
    return []
