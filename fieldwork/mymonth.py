"""The cadre's own month (我的本月): the township's row for the cadre as recorded, against the minimums.

Read-only: the township keeps the sheet. Everything here is computed from the records the township
and county pages use (assignments.attendance, assignments.leave), so the cadre sees the same figures
they do, in a constant number of queries.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q

from assignments import attendance
from assignments import leave as leave_rules
from assignments.models import Assignment, AttendanceRecord, Policy
from assignments.models.attendance import CODE_LABELS, NOT_YET, mark, month_bounds

WEEKDAYS = "一二三四五六日"


@dataclass
class Day:
    date: datetime.date
    column: int  # 1 = Monday: the calendar's column
    weekday: str
    code: str
    mark: str
    label: str
    rest: bool
    holiday: str


@dataclass
class Month:
    month: datetime.date
    assignment: Assignment | None
    record: AttendanceRecord | None = None
    sheet_state: str = ""
    days: list = field(default_factory=list)
    present: int = 0
    required: int = 0
    so_far: int = 0
    expected_so_far: int = 0
    quarter_present: int = 0
    quarter_required: int = 0
    year_present: int = 0
    year_required: int = 0
    leave_taken: int = 0
    leave_cap: int = 0
    counts: dict = field(default_factory=dict)

    @property
    def behind(self):
        return self.so_far < self.expected_so_far

    @property
    def leave_left(self):
        return max(0, self.leave_cap - self.leave_taken) if self.leave_cap else None


def assignment_in(cadre_id, month):
    """The cadre's assignment serving in ``month`` (the latest starting one when adjusted mid-month)."""
    first, last = month_bounds(month)
    return (
        Assignment.objects.for_cadre(cadre_id)
        .filter(start_date__lte=last)
        .filter(Q(end_date__gte=first) | Q(end_date__isnull=True, planned_end_date__gte=first))
        .select_related("village__township__parent", "cadre")
        .order_by("-start_date")
        .first()
    )


def my_month(cadre_id, month, today):
    month = month.replace(day=1)
    assignment = assignment_in(cadre_id, month)
    view = Month(month=month, assignment=assignment)
    if assignment is None:
        return view
    township = assignment.village.township
    cal = attendance.calendar_for(township, month)
    first, last = month_bounds(month)
    year_first = month.replace(month=1)
    records = list(
        AttendanceRecord.objects.for_cadre(cadre_id)
        .filter(sheet__month__gte=year_first, sheet__month__lte=month)
        .select_related("sheet")
    )
    q_first, _q_last = attendance.quarter_bounds(month)
    for r in records:
        view.year_present += r.present_days or 0
        view.year_required += r.required_days
        if r.sheet.month >= q_first:
            view.quarter_present += r.present_days or 0
            view.quarter_required += r.required_days
        if r.sheet.month == month and r.assignment_id == assignment.pk:
            view.record = r
    record = view.record
    codes = record.days if record else ""
    for i, d in enumerate(cal.days):
        code = codes[i] if i < len(codes) else ""
        if not code:
            code = NOT_YET if d.date > today else ""
        view.days.append(
            Day(
                date=d.date,
                column=d.date.weekday() + 1,
                weekday=WEEKDAYS[d.date.weekday()],
                code=code,
                mark=mark(code) if code else "",
                label=str(CODE_LABELS.get(code, "")) if code else "",
                rest=not d.is_working_day,
                holiday=d.name,
            )
        )
    if record is not None:
        view.sheet_state = record.sheet.get_state_display()
        view.present, view.required = record.present_days or 0, record.required_days
        elapsed = min((today - first).days + 1, len(cal.days)) if today >= first else 0
        if today > last:
            elapsed = len(cal.days)
        mask = attendance.calendar_mask(cal)
        view.so_far = attendance.in_village_count(codes[:elapsed], record.counts_business)
        work_total = mask.count("W") or 1
        view.expected_so_far = record.required_days * mask[:elapsed].count("W") // work_total
        view.counts = {c: codes.count(c) for c in set(codes)}
    policy = Policy.effective_for(township)
    view.leave_cap = policy.max_leave_days_per_year or 0
    view.leave_taken = leave_rules.leave_days_by_cadre([cadre_id], month.year).get(cadre_id, 0)
    return view


def months_served(cadre_id):
    """The months with a recorded row, newest first (for the month picker)."""
    return list(
        AttendanceRecord.objects.for_cadre(cadre_id)
        .values_list("sheet__month", flat=True)
        .order_by("-sheet__month")
        .distinct()[:36]
    )
