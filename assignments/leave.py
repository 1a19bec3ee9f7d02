"""Leave and spot-check rules (seed 003): approval tiers, writing L into sheets, recall flags and
discrepancies between what a sheet says and what a check found."""

import datetime

from django.db.models import (
    BooleanField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, ExtractDay, Substr, TruncMonth
from django.utils.translation import gettext as _

from .models import AttendanceRecord, AttendanceSheet, LeaveRequest, Policy, SpotCheck
from .models.attendance import LEAVE, OUTSIDE, month_bounds


def request_errors(leave):
    errors = {}
    if not (leave.assignment_id and leave.start_date and leave.end_date):
        return errors
    a = leave.assignment
    if leave.end_date < leave.start_date:
        errors["end_date"] = _("The last day of leave (%(end)s) is before the first (%(start)s).") % {
            "end": leave.end_date.isoformat(),
            "start": leave.start_date.isoformat(),
        }
        return errors
    if leave.start_date < a.start_date or leave.end_date > a.last_day:
        errors["start_date"] = _("The leave must fall within the assignment (%(start)s – %(end)s).") % {
            "start": a.start_date.isoformat(),
            "end": a.last_day.isoformat(),
        }
    clash = (
        LeaveRequest.objects.filter(
            assignment=a,
            state__in=[LeaveRequest.State.PENDING, LeaveRequest.State.APPROVED],
            start_date__lte=leave.end_date,
            end_date__gte=leave.start_date,
        )
        .exclude(pk=leave.pk)
        .first()
    )
    if clash:
        errors["start_date"] = _(
            "%(cadre)s already has leave %(state)s from %(start)s to %(end)s; the days may not overlap."
        ) % {
            "cadre": a.cadre.name,
            "state": clash.get_state_display(),
            "start": clash.start_date.isoformat(),
            "end": clash.end_date.isoformat(),
        }
    return errors


def request_leave(assignment, start_date, end_date, reason, user):
    """Register a request; its approval level follows its length and the township's policy."""
    leave = LeaveRequest(
        assignment=assignment, start_date=start_date, end_date=end_date, reason=reason, created_by=user
    )
    if start_date and end_date and end_date >= start_date:
        policy = Policy.effective_for(assignment.village.township)
        leave.approval_level = LeaveRequest.level_for((end_date - start_date).days + 1, policy)
    leave.full_clean()
    leave.save()
    return leave


def write_leave_into_sheets(leave):
    """Put L on the leave's days in the rows of open sheets; return the months whose sheet is closed."""
    a = leave.assignment
    blocked = []
    month = leave.start_date.replace(day=1)
    while month <= leave.end_date:
        first, last = month_bounds(month)
        record = (
            AttendanceRecord.objects.select_related("sheet")
            .filter(assignment=a, sheet__month=month, sheet__township_id=a.village.township.pk)
            .first()
        )
        if record is not None:
            if record.sheet.state != AttendanceSheet.State.OPEN:
                blocked.append(month)
            else:
                days = list(record.days)
                d = max(first, leave.start_date)
                while d <= min(last, leave.end_date):
                    if days[d.day - 1] != OUTSIDE:
                        days[d.day - 1] = LEAVE
                    d += datetime.timedelta(days=1)
                record.days = "".join(days)
                record.save(update_fields=["days"])
                # A grid loaded before this change must not overwrite it.
                AttendanceSheet.objects.filter(pk=record.sheet_id).update(version=F("version") + 1)
        month = last + datetime.timedelta(days=1)
    return blocked


def leave_days_by_assignment(assignments, year):
    """Approved leave days falling in ``year``, per assignment id."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    rows = LeaveRequest.objects.filter(
        assignment__in=assignments,
        state=LeaveRequest.State.APPROVED,
        start_date__lte=last,
        end_date__gte=first,
    ).values_list("assignment_id", "start_date", "end_date")
    totals = {}
    for assignment_id, start, end in rows:
        n = (min(end, last) - max(start, first)).days + 1
        totals[assignment_id] = totals.get(assignment_id, 0) + n
    return totals


def over_leave_cap(assignment, year):
    """(days, cap) when approved leave in the year passes max_leave_days_per_year, else None."""
    policy = Policy.effective_for(assignment.village.township)
    cap = policy.max_leave_days_per_year
    if not cap:
        return None
    days = leave_days_by_assignment([assignment.pk], year).get(assignment.pk, 0)
    return (days, cap) if days > cap else None


def over_leave_cap_all(assignments, year):
    """over_leave_cap for many assignments in a constant number of queries: those whose approved
    leave in ``year`` passes their township's yearly cap, each with ``leave_days`` and ``leave_cap``."""
    # Ids, not a subquery: with a subquery the planner probes the leave exclusion constraint's GiST
    # index once per cadre (~16 ms for a county, against ~6 ms this way; docs/performance.md).
    days = leave_days_by_assignment(list(assignments.values_list("pk", flat=True)), year)
    if not days:
        return []
    candidates = list(
        assignments.filter(pk__in=days.keys()).select_related("cadre", "village__township").order_by("pk")
    )
    policies = Policy.effective_for_many({a.village.township for a in candidates})
    flagged = []
    for a in candidates:
        cap = policies[a.village.township.pk].max_leave_days_per_year
        if cap and days[a.pk] > cap:
            a.leave_days, a.leave_cap = days[a.pk], cap
            flagged.append(a)
    return flagged


def excused_by_leave():
    return Exists(
        LeaveRequest.objects.filter(
            assignment=OuterRef("assignment"),
            state=LeaveRequest.State.APPROVED,
            start_date__lte=OuterRef("date"),
            end_date__gte=OuterRef("date"),
        )
    )


def with_findings(checks):
    """Annotate spot checks with the day's recorded code, ``excused`` and ``discrepancy``."""
    code = (
        AttendanceRecord.objects.filter(
            assignment=OuterRef("assignment"), sheet__month=OuterRef("check_month")
        )
        .order_by()  # the model's default ordering would add a join and a sort to every check
        .annotate(code=Substr("days", OuterRef("check_day"), 1))
        .values("code")[:1]
    )
    checks = checks.annotate(
        check_month=TruncMonth("date", output_field=DateField()),
        check_day=Cast(ExtractDay("date"), IntegerField()),
    )
    return checks.annotate(recorded_code=Coalesce(Subquery(code), Value(""))).annotate(
        excused=excused_by_leave(),
        unexcused_absence=ExpressionWrapper(Q(found_present=False) & ~Q(excused_by_leave()), BooleanField()),
        discrepancy=ExpressionWrapper(
            Q(found_present=False, recorded_code__in=["P", "B"]) & ~Q(excused_by_leave()), BooleanField()
        ),
    )


def discrepancies(checks):
    return with_findings(checks).filter(discrepancy=True)


def unexcused_absences_by_assignment(assignments, year):
    """Spot checks in ``year`` that found the cadre away without approved leave, per assignment."""
    return dict(
        SpotCheck.objects.filter(assignment__in=assignments, date__year=year, found_present=False)
        .exclude(excused_by_leave())
        .values("assignment")
        .annotate(n=Count("pk"))
        .values_list("assignment", "n")
    )
