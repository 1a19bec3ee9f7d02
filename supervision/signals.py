"""Risk signals (精准督查): for each cadre serving in a county (or township) in a month, what in the
records looks wrong, each with its reason in words a clerk understands. The rules live here and
only here; their weights, the score from which a cadre is always checked and the random share of
the others are policy settings (assignments/policy.py, ``supervision_*``).

A signal is a reason to look, never a finding: only a check (assignments.SpotCheck) finds anyone
away. Everything is read in a constant number of queries for the whole region (no query per cadre).

The month evaluated is a finished month: a plan for month M looks at the records of month M − 1.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assignments import leave as leave_rules
from assignments.attendance import work_days_for
from assignments.models import Assignment, AttendanceRecord, LeaveRequest, Policy, SpotCheck
from assignments.models.attendance import ABSENT, BUSINESS, LEAVE, PRESENT, month_bounds
from fieldwork.models import CheckIn, DiaryEntry, MonthlyReport, Trip
from villages.models import Region

from . import compiled

# Default weight of each signal (a policy's ``supervision_weights`` overrides some; 0 = off).
WEIGHTS = {
    "copied_row": 3,
    "all_present_quarter": 2,
    "at_minimum": 2,
    "untraced_days": 2,
    "far_checkins": 2,
    "late_trips": 1,
    "overdue_return": 2,
    "near_leave_cap": 1,
    "retroactive_leave": 1,
    "earlier_finding": 3,
    "no_monthly_report": 1,
}

NAMES = {
    "copied_row": gettext_lazy("Row copied from last month"),
    "all_present_quarter": gettext_lazy("Every working day in the village all quarter"),
    "at_minimum": gettext_lazy("Just at the minimum month after month"),
    "untraced_days": gettext_lazy("Days in the village without a trace"),
    "far_checkins": gettext_lazy("Check-ins far from the village"),
    "late_trips": gettext_lazy("Trips reported late"),
    "overdue_return": gettext_lazy("Return from leave not reported"),
    "near_leave_cap": gettext_lazy("Leave near the yearly cap"),
    "retroactive_leave": gettext_lazy("Leave requested after the fact"),
    "earlier_finding": gettext_lazy("Found away before"),
    "no_monthly_report": gettext_lazy("No monthly report"),
}

# A share of the yearly leave cap from which the leave counts as near it.
NEAR_CAP = 0.8
# Days in the village without a trace: a signal from this share of the days marked in the village.
UNTRACED_SHARE = 0.5


def describe(code, params):
    """The reason in plain words, for the page and the printed task."""
    p = params or {}
    texts = {
        "copied_row": lambda: _(
            "The township's row for %(month)s is the same, day by day, as the month before."
        ),
        "all_present_quarter": lambda: _(
            "Every working day from %(first)s to %(last)s is marked in the village, with no leave, "
            "no trip and no absence."
        ),
        "at_minimum": lambda: _(
            "Days in the village just at the minimum for %(months)s months running (%(days)s days)."
        ),
        "untraced_days": lambda: _(
            "%(untraced)s of %(present)s days marked in the village have neither a diary entry nor a check-in."
        ),
        "far_checkins": lambda: _(
            "%(n)s check-ins this month were farther from the village than the radius."
        ),
        "late_trips": lambda: _("%(n)s trips were reported after the cadre had left."),
        "overdue_return": lambda: _("Leave ended on %(end)s and the return (销假) has not been reported."),
        "near_leave_cap": lambda: _("%(days)s working days of leave this year, against a cap of %(cap)s."),
        "retroactive_leave": lambda: _("%(n)s leave requests made after the days away (补假) this quarter."),
        "earlier_finding": lambda: _(
            "A spot check on %(date)s found the cadre away on a day the sheet said in the village."
        ),
        "no_monthly_report": lambda: _("No monthly report (月汇报) submitted for %(month)s."),
    }
    text = texts.get(code)
    return text() % p if text else str(code)


@dataclass
class Risk:
    assignment_id: int
    score: int = 0
    reasons: list = field(default_factory=list)  # [(code, params)]

    def add(self, code, weights, **params):
        weight = weights.get(code, 0)
        if weight:
            self.score += weight
            self.reasons.append((code, params))

    @property
    def texts(self):
        return [describe(code, params) for code, params in self.reasons]


def weights_from(text):
    """The defaults with a policy's ``signal:weight`` pairs on top (unknown signals are ignored)."""
    weights = dict(WEIGHTS)
    for pair in (text or "").split(","):
        name, _sep, value = pair.strip().partition(":")
        if name in weights and value.isdigit():
            weights[name] = int(value)
    return weights


def settings_for(region):
    """(weights, threshold, sample percent) in force in ``region``."""
    policy = Policy.effective_for(region)
    return (
        weights_from(policy.supervision_weights),
        policy.supervision_threshold,
        policy.supervision_sample_percent,
    )


def _prev_month(month):
    return (month.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def serving(region, month):
    """Assignments in ``region`` serving on some day of ``month``."""
    first, last = month_bounds(month)
    return (
        Assignment.objects.in_region(region)
        .annotate(last=Coalesce("end_date", "planned_end_date"))
        .filter(start_date__lte=last, last__gte=first)
    )


def of(ids):
    """The rows of these assignments: one array parameter however many (a county's few hundred ids
    as IN placeholders cost Django more time to build than the database to read)."""
    return compiled.IdAmong("assignment_id", ids)


def _records(ids, months):
    # No ordering: the model's (by sheet, then assignment) joins the townships and sorts every row.
    rows = (
        AttendanceRecord.objects.filter(of(ids), sheet__month__in=months)
        .order_by()
        .values_list("assignment_id", "sheet__month", "days", "present_days", "required_days")
    )
    out = {}
    for aid, m, days, present, required in rows:
        out[(aid, m)] = (days, present, required)
    return out


# Cadre-days with a discrepancy among the checks of some assignments in a date range: the one rule
# (leave_rules.discrepancy_day_rows), one query whatever the checks found, built once per process.
_DISCREPANCY_DAYS = compiled.Compiled(
    lambda ids, first, last: leave_rules.discrepancy_day_rows(
        SpotCheck.objects.filter(
            compiled.IdAmong("assignment_id", ids),
            date__range=(first, last),
            found_present=False,
            withdrawn_at__isnull=True,
        )
    ),
    ids=compiled.STAND_IN_IDS,
    first=compiled.STAND_IN_FIRST,
    last=compiled.STAND_IN_LAST,
)


def month_risks(region, month, today=None, weights=None):
    """{assignment id: Risk} for every assignment serving in ``region`` in ``month`` (a finished
    month), in a constant number of queries."""
    month = month.replace(day=1)
    first, last = month_bounds(month)
    today = min(today or datetime.date.today(), last + datetime.timedelta(days=1))
    if weights is None:
        weights = settings_for(region)[0]
    serving_rows = list(
        serving(region, month)
        .order_by("pk")
        .values_list("pk", "cadre_id", "village__township_id", "village__township__code")
    )
    ids = [row[0] for row in serving_rows]
    risks = {aid: Risk(aid) for aid in ids}
    if not ids:
        return risks
    cadre_of = {aid: cadre for aid, cadre, _t, _c in serving_rows}
    townships = {tid: code for _a, _c, tid, code in serving_rows}
    # The work calendars of the region's townships, once: overdue returns and leave days use them.
    calendars = work_days_for(townships.values())
    prev = _prev_month(month)
    # The quarter that ends with this month: the month and the two before it.
    quarter = [month, prev, _prev_month(prev)]
    records = _records(ids, quarter)

    trips = list(
        Trip.objects.filter(
            of(ids),
            state__in=[Trip.State.PENDING, Trip.State.CONFIRMED],
            start_date__lte=last,
            end_date__gte=quarter[-1],
        ).values_list("assignment_id", "start_date", "late")
    )
    leaves = list(
        LeaveRequest.objects.filter(of(ids), start_date__lte=last, end_date__gte=quarter[-1]).values_list(
            "assignment_id", "state", "retroactive"
        )
    )
    with_trip = {aid for aid, _s, _l in trips}
    with_leave = {aid for aid, state, _r in leaves if state == LeaveRequest.State.APPROVED}

    for aid in ids:
        risk = risks[aid]
        this = records.get((aid, month))
        before = records.get((aid, prev))
        # 1. The row is the same as last month's, day by day (a copied row).
        if this and before:
            n = min(len(this[0]), len(before[0]))
            if PRESENT in this[0] and this[0][:n] == before[0][:n]:
                risk.add("copied_row", weights, month=f"{month:%Y-%m}")
        # 2. Every working day P all quarter, with no leave, trip, business or absence.
        quarter_rows = [records.get((aid, m)) for m in quarter]
        if (
            all(quarter_rows)
            and all(PRESENT in r[0] and not set(r[0]) & {LEAVE, BUSINESS, ABSENT} for r in quarter_rows)
            and aid not in with_trip
            and aid not in with_leave
        ):
            risk.add("all_present_quarter", weights, first=f"{quarter[-1]:%Y-%m}", last=f"{month:%Y-%m}")
        # 3. Exactly at the minimum this month and the month before.
        at_min = [r for r in (this, before) if r and r[2] and r[1] == r[2]]
        if len(at_min) == 2:
            risk.add("at_minimum", weights, months=2, days=this[1])

    # 4–6. The cadre's own traces (fieldwork): diary entries and check-ins against the P days.
    diary = set(
        DiaryEntry.objects.filter(of(ids), date__range=(first, last)).values_list("assignment_id", "date")
    )
    checkins = list(
        CheckIn.objects.filter(of(ids), created_at__date__range=(first, last)).values_list(
            "assignment_id", "created_at", "flag"
        )
    )
    traced = diary | {(aid, at.date()) for aid, at, _f in checkins}
    # Only where the region keeps such records at all: otherwise everybody would be "untraced".
    if traced:
        for aid in ids:
            this = records.get((aid, month))
            if not this:
                continue
            present = [first + datetime.timedelta(days=i) for i, c in enumerate(this[0]) if c == PRESENT]
            untraced = [d for d in present if (aid, d) not in traced]
            if present and len(untraced) >= UNTRACED_SHARE * len(present):
                risks[aid].add("untraced_days", weights, untraced=len(untraced), present=len(present))
    far = {}
    for aid, _at, flag in checkins:
        if flag == CheckIn.Flag.FAR:
            far[aid] = far.get(aid, 0) + 1
    for aid, n in far.items():
        risks[aid].add("far_checkins", weights, n=n)
    late = {}
    for aid, start, is_late in trips:
        if is_late and first <= start <= last:
            late[aid] = late.get(aid, 0) + 1
    for aid, n in late.items():
        risks[aid].add("late_trips", weights, n=n)

    # 7–9. Leave: a return not reported, leave near the yearly cap, 补假 this quarter.
    overdue = leave_rules.overdue_returns(LeaveRequest.objects.filter(of(ids)), today, calendars=calendars)
    for lv in overdue:
        if not any(code == "overdue_return" for code, _p in risks[lv.assignment_id].reasons):
            risks[lv.assignment_id].add("overdue_return", weights, end=lv.end_date.isoformat())
    if weights.get("near_leave_cap"):
        # Two queries whatever was taken: the townships' caps and the leave of the region's cadres.
        policies = Policy.effective_for_many(
            Region(pk=tid, code=code, level=Region.Level.TOWNSHIP) for tid, code in townships.items()
        )
        taken = leave_rules.leave_days_by_cadre(set(cadre_of.values()), month.year, calendars=calendars)
        for aid, _cadre, tid, _code in serving_rows:
            cap = policies[tid].max_leave_days_per_year
            days = taken.get(cadre_of[aid], 0)
            if cap and days and days >= NEAR_CAP * cap:
                risks[aid].add("near_leave_cap", weights, days=days, cap=cap)
    retro = {}
    for aid, state, retroactive in leaves:
        if retroactive and state != LeaveRequest.State.CANCELLED:
            retro[aid] = retro.get(aid, 0) + 1
    for aid, n in retro.items():
        risks[aid].add("retroactive_leave", weights, n=n)

    # 10. A discrepancy found in the last twelve months (the spot-check rules decide what is one).
    since = (last - datetime.timedelta(days=365)).replace(day=1)
    found = {}
    rows = _DISCREPANCY_DAYS.rows(ids=ids, first=since, last=last)
    for aid, date, discrepancy in sorted(rows, key=lambda row: row[1]):
        if discrepancy:
            found[aid] = date
    for aid, date in found.items():
        risks[aid].add("earlier_finding", weights, date=date.isoformat())

    # 11. No monthly report, where the region's cadres submit them at all.
    reported = set(
        MonthlyReport.objects.filter(of(ids), month=month, state=MonthlyReport.State.SUBMITTED).values_list(
            "assignment_id", flat=True
        )
    )
    if reported:
        for aid in ids:
            if aid not in reported:
                risks[aid].add("no_monthly_report", weights, month=f"{month:%Y-%m}")
    return risks
