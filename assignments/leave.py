"""Leave and spot-check rules (seed 003): approval tiers, writing L into sheets, recall flags and
discrepancies between what a sheet says and what a check found."""

import datetime

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, ExtractDay, Left, Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from . import attendance, workcalendar
from .models import (
    Assignment,
    AttendanceRecord,
    AttendanceSheet,
    HolidayOverride,
    LeaveRequest,
    Policy,
    SpotCheck,
)
from .models.attendance import BUSINESS, LEAVE, OUTSIDE, PRESENT, month_bounds


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
    # Leave counts working days: a new request that covers none would approve nothing.
    if (
        leave.pk is None
        and not errors
        and attendance.working_days_between(a.village.township, leave.start_date, leave.end_date) == 0
    ):
        errors["end_date"] = _(
            "From %(start)s to %(end)s there is no working day (rest days and holidays only): "
            "no leave is needed. Check the dates."
        ) % {"start": leave.start_date.isoformat(), "end": leave.end_date.isoformat()}
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


ACTIVE = (LeaveRequest.State.PENDING, LeaveRequest.State.APPROVED)


def _spans_around(cadre_id, start, end, exclude_pk=None):
    """(start, last day away) of the cadre's pending/approved leave near [start, end], any assignment."""
    margin = datetime.timedelta(days=120)
    leaves = LeaveRequest.objects.filter(
        assignment__cadre_id=cadre_id,
        state__in=ACTIVE,
        start_date__lte=end + margin,
        end_date__gte=start - margin,
    ).only("start_date", "end_date", "returned_on")
    if exclude_pk:
        leaves = leaves.exclude(pk=exclude_pk)
    return sorted((lv.start_date, lv.last_day_away) for lv in leaves if lv.last_day_away >= lv.start_date)


def touching_span(wd, start, end, spans):
    """The span [start, end] grown by every span that touches it (directly or through another one),
    i.e. is separated from it only by non-working days of ``wd``: such leaves are ONE leave."""
    lo, hi = start, end
    grown = True
    while grown:
        grown = False
        for s, e in spans:
            if lo <= s and e <= hi:
                continue
            if (s <= hi and e >= lo) or (e < lo and wd.touching(e, lo)) or (s > hi and wd.touching(hi, s)):
                lo, hi = min(lo, s), max(hi, e)
                grown = True
    return lo, hi


def combined_working_days(assignment, start, end, exclude_pk=None, wd=None):
    """Working days of the leave [start, end] together with the cadre's pending/approved leave it
    touches (Thu–Fri then Mon–Wed is one leave of 5 days): this decides the approval tier."""
    wd = wd or attendance.work_days(assignment.village.township)
    lo, hi = touching_span(wd, start, end, _spans_around(assignment.cadre_id, start, end, exclude_pk))
    return wd.count(lo, hi)


def request_leave(assignment, start_date, end_date, reason, user, today=None):
    """Register a request. Its approval level follows its length in working days, counted together
    with the pending/approved leave it touches, and the township's policy; a request registered on a
    (local) date after its first day is a 补假 (retroactive), decided by the county whatever its length."""
    today = today or timezone.localdate()
    leave = LeaveRequest(
        assignment=assignment, start_date=start_date, end_date=end_date, reason=reason, created_by=user
    )
    if start_date and end_date and end_date >= start_date:
        policy = Policy.effective_for(assignment.village.township)
        leave.retroactive = today > start_date
        length = combined_working_days(assignment, start_date, end_date)
        leave.approval_level = LeaveRequest.level_for(length, policy, leave.retroactive)
    leave.full_clean()
    leave.save()
    return leave


def _day_note(name, days):
    return _("%(cadre)s: days %(days)s") % {"cadre": name, "days": ", ".join(str(d.day) for d in days)}


def write_leave_into_sheets(leave, first=None, last=None):
    """Bring the leave's days (``first``–``last``, default its whole span) into the township's sheets.

    In open sheets, working days of the approved leave (up to an early return) become L, rest days
    and holidays stay H, and a day no longer on leave (after an early return) becomes what a day
    without leave is (P on a working day, H on a rest day, '.' on a working day still to come).
    A submitted or approved sheet cannot change: it is marked ``needs_correction`` with a note naming
    the cadre and the days, for the county to reopen it. Returns those closed sheets."""
    a = leave.assignment
    first = first or leave.start_date
    last = last or leave.end_date
    township = a.village.township
    closed = []
    month = first.replace(day=1)
    while month <= last:
        m_first, m_last = month_bounds(month)
        lo, hi = max(first, m_first), min(last, m_last)
        sheet = (
            AttendanceSheet.objects.select_for_update().filter(township_id=township.pk, month=month).first()
        )
        record = (
            AttendanceRecord.objects.filter(assignment=a, sheet=sheet).first() if sheet is not None else None
        )
        if sheet is not None and sheet.state != AttendanceSheet.State.OPEN:
            # Closed (whether or not it holds the cadre's row): the county must reopen it.
            dates = attendance.work_days(township).dates(lo, hi)
            if dates:
                note = _day_note(a.cadre.name, dates)
                if leave.returned_on and leave.returned_on <= hi:
                    note = _("%(note)s (back from leave on %(date)s)") % {
                        "note": note,
                        "date": leave.returned_on.isoformat(),
                    }
                else:
                    note = _("%(note)s (leave approved)") % {"note": note}
                sheet.needs_correction = True
                sheet.correction_note = "\n".join(x for x in [sheet.correction_note, note] if x)
                sheet.save(update_fields=["needs_correction", "correction_note"])
                closed.append(sheet)
        elif record is not None:
            _sync_record(record, sheet, township, lo, hi)
        # No row yet: a new row starts from default_days, which shows the approved leave.
        month = m_last + datetime.timedelta(days=1)
    return closed


def _sync_record(record, sheet, township, lo, hi, cal=None, leave_dates=None):
    """Rewrite the leave days lo..hi of one open row from the approved leave; True when changed."""
    first, last = sheet.bounds
    cal = cal or attendance.calendar_for(township, sheet.month)
    if leave_dates is None:
        leave_dates = attendance.approved_leave_dates([record.assignment_id], first, last).get(
            record.assignment_id, set()
        )
    today = timezone.localdate()
    days = list(record.days)
    d = lo
    while d <= hi:
        i = d.day - 1
        code = days[i]
        day = cal.days[i]
        if code != OUTSIDE:
            if d in leave_dates:
                days[i] = attendance.default_code(day, True, True, today)
            elif code == LEAVE:
                days[i] = attendance.default_code(day, True, False, today)
        d += datetime.timedelta(days=1)
    new = "".join(days)
    if new == record.days:
        return False
    record.days = new
    record.save(update_fields=["days"])
    # A grid loaded before this change must not overwrite it.
    AttendanceSheet.objects.filter(pk=record.sheet_id).update(version=F("version") + 1)
    return True


def sync_leave_into_sheet(sheet):
    """After the county reopens a sheet: write in the approved leave (and early returns) of its month."""
    first, last = sheet.bounds
    records = list(sheet.records.select_related("assignment"))
    leaves = attendance.approved_leave_dates([r.assignment_id for r in records], first, last)
    touched = set(
        LeaveRequest.objects.filter(
            assignment__in=[r.assignment_id for r in records],
            state=LeaveRequest.State.APPROVED,
            start_date__lte=last,
            end_date__gte=first,
        ).values_list("assignment_id", flat=True)
    )
    cal = attendance.calendar_for(sheet.township, sheet.month)
    for record in records:
        if record.assignment_id in touched:
            _sync_record(
                record, sheet, sheet.township, first, last, cal, leaves.get(record.assignment_id, set())
            )


def leave_days_by_cadre(cadres, year, calendars=None):
    """Working days of approved leave taken in ``year`` (up to an early return, and never past the
    last day of the assignment: after a recall or the end of the term mid-leave the cadre is no
    longer away from the village), per cadre id, over all the cadre's assignments: the yearly cap
    counts per person. ``calendars`` ({township code: WorkDays}) already loaded are used, so a caller
    holding its townships' calendars runs one query whether anyone took leave or not."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    rows = list(
        LeaveRequest.objects.filter(
            assignment__cadre__in=cadres,
            state=LeaveRequest.State.APPROVED,
            start_date__lte=last,
            end_date__gte=first,
        ).values_list(
            "assignment__cadre_id",
            "assignment__village__township__code",
            "start_date",
            "end_date",
            "returned_on",
            Coalesce("assignment__end_date", "assignment__planned_end_date"),
        )
    )
    calendars = _with_calendars(calendars, {r[1] for r in rows})
    totals = {}
    for cadre_id, township_code, start, end, returned_on, assignment_last in rows:
        if returned_on and returned_on <= end:
            end = returned_on - datetime.timedelta(days=1)
        end = min(end, assignment_last)
        n = calendars[township_code].count(max(start, first), min(end, last))
        totals[cadre_id] = totals.get(cadre_id, 0) + n
    return totals


def _with_calendars(calendars, codes):
    """``calendars`` completed with the work calendars of ``codes`` it lacks (one query if any)."""
    calendars = dict(calendars or {})
    missing = set(codes) - calendars.keys()
    if missing:
        calendars.update(attendance.work_days_for(missing))
    return calendars


def leave_days_by_assignment(assignments, year):
    """Working days of approved leave in ``year`` counted for the yearly cap, per assignment id: the
    count of the assignment's PERSON, over all the cadre's assignments (a cadre adjusted mid-year
    keeps one count). Assignments whose cadre took no leave are left out."""
    cadre_of = dict(Assignment.objects.filter(pk__in=list(assignments)).values_list("pk", "cadre_id"))
    days = leave_days_by_cadre(set(cadre_of.values()), year)
    return {pk: days[c] for pk, c in cadre_of.items() if days.get(c)}


def over_leave_cap(assignment, year):
    """(days, cap) when the cadre's approved leave in the year passes max_leave_days_per_year, else None."""
    policy = Policy.effective_for(assignment.village.township)
    cap = policy.max_leave_days_per_year
    if not cap:
        return None
    days = leave_days_by_cadre([assignment.cadre_id], year).get(assignment.cadre_id, 0)
    return (days, cap) if days > cap else None


def over_leave_cap_all(assignments, year):
    """over_leave_cap for many assignments in a constant number of queries: those whose cadre's
    approved leave in ``year`` passes their township's yearly cap, each with ``leave_days`` and
    ``leave_cap``."""
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


def return_due(leave, wd):
    """The day by which the return must be reported: the first working day after the leave ends."""
    return wd.next_working_day(leave.end_date)


def owes_return(leave, due):
    """Whether a return to the village is owed at all: not when the assignment (loaded with the leave)
    has ended by the day the return falls due — a leave running to the end of the term, or a recall
    during the leave, leaves nothing to come back to."""
    return due <= leave.assignment.last_day


def overdue_returns(leaves, today=None, calendars=None):
    """Approved leave in ``leaves`` (a queryset) whose return (销假) is not reported by the first working
    day after it ended, as a list, each with ``return_due``. Constant queries (leave, overrides; only
    the leave when ``calendars`` already holds the townships' work calendars)."""
    today = today or timezone.localdate()
    # The first working day after the end is at least the day after it.
    candidates = list(
        leaves.filter(
            state=LeaveRequest.State.APPROVED,
            returned_on__isnull=True,
            end_date__lt=today - datetime.timedelta(days=1),
        )
        .select_related("assignment__cadre", "assignment__village__township")
        .order_by("end_date", "pk")
    )
    calendars = _with_calendars(calendars, {lv.assignment.village.township.code for lv in candidates})
    overdue = []
    for lv in candidates:
        lv.return_due = return_due(lv, calendars[lv.assignment.village.township.code])
        if today > lv.return_due and owes_return(lv, lv.return_due):
            overdue.append(lv)
    return overdue


def mark_leaves(leaves, today=None):
    """Set ``counted_days`` (working days taken) and ``overdue`` on leave objects for display, with
    one query for the calendars of their townships. ``leaves`` need assignment__village__township."""
    today = today or timezone.localdate()
    leaves = list(leaves)
    calendars = attendance.work_days_for({lv.assignment.village.township.code for lv in leaves})
    for lv in leaves:
        wd = calendars[lv.assignment.village.township.code]
        lv.counted_days = wd.count(lv.start_date, min(lv.last_day_away, lv.assignment.last_day))
        due = return_due(lv, wd)
        lv.overdue = (
            lv.state == LeaveRequest.State.APPROVED
            and lv.returned_on is None
            and today > due
            and owes_return(lv, due)
        )
    return leaves


def excused_by_leave():
    """An approved leave covers the check's day and was requested before the check was recorded
    (请假在先: a 补假 requested after a finding never erases it)."""
    return Exists(
        LeaveRequest.objects.filter(
            assignment=OuterRef("assignment"),
            state=LeaveRequest.State.APPROVED,
            start_date__lte=OuterRef("date"),
            end_date__gte=OuterRef("date"),
            created_at__lt=OuterRef("created_at"),
        )
        # Back early (销假 on or before the last day): from the return day on, no leave covers it.
        .filter(Q(returned_on__isnull=True) | Q(returned_on__gt=OuterRef("date")))
    )


class _DateAmong(Func):
    """``date = ANY(%s::date[])``: one array parameter rather than hundreds of IN placeholders."""

    output_field = BooleanField()

    def __init__(self, expression, dates):
        super().__init__(expression)
        self.dates = list(dates)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} = ANY(%s::date[]))", (*params, self.dates)


def _override_kind():
    """The kind of the check day's nearest holiday entry (township → county → city → province),
    as calendar_for applies them; NULL when no region entered the day."""
    township = OuterRef("assignment__village__township_id")
    codes = [
        township,
        Concat(Left(township, 6), Value("000000")),
        Concat(Left(township, 4), Value("00000000")),
        Concat(Left(township, 2), Value("0000000000")),
    ]
    where = Q()
    for code in codes:
        where |= Q(region__code=code)
    # A region's code sorts after its ancestors' (more non-zero digits after the shared prefix).
    return Subquery(
        HolidayOverride.objects.filter(where, date=OuterRef("date"))
        .order_by("-region__code")
        .values("kind")[:1]
    )


def _rest_day():
    """Whether the check's day is a rest day or holiday of its township's work calendar, in SQL,
    with the same answer as calendar_for: the regions' own entries first, then the State Council's
    schedule (chinesecalendar), then Saturday and Sunday."""
    weekday_rest, weekend_work = workcalendar.national_exceptions()
    rest_kinds = [HolidayOverride.Kind.HOLIDAY, HolidayOverride.Kind.WEEKEND]
    return Case(
        When(calendar_entry__in=rest_kinds, then=Value(True)),
        When(calendar_entry__isnull=False, then=Value(False)),
        When(_DateAmong(F("date"), weekday_rest), then=Value(True)),
        When(_DateAmong(F("date"), weekend_work), then=Value(False)),
        When(date__iso_week_day__gte=6, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


class _CommandId(Func):
    """``cmin`` of the row that ``field`` belongs to: the number of the command that inserted it,
    counted across the whole transaction (savepoints included). Compiled against the column's own
    table alias, so it works inside relabelled subqueries."""

    output_field = BigIntegerField()

    def __init__(self, field):
        super().__init__(F(field))

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        table = sql.rsplit(".", 1)[0] + "." if "." in sql else ""
        return f"({table}cmin::text::bigint)", params


def _check_recorded():
    """When the check was inserted according to its own pghistory insert event: the transaction's
    time stamp and the command within the transaction."""
    from django.apps import apps

    inserted = apps.get_model("assignments", "SpotCheckEvent").objects.filter(
        pgh_obj_id=OuterRef("pk"), pgh_label="insert"
    )
    # A check without an insert event (recorded before history was kept) matches no transaction.
    never = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    return {
        "check_tx_at": Coalesce(
            Subquery(inserted.values("pgh_created_at")[:1]), Value(never), output_field=DateTimeField()
        ),
        "check_command": Coalesce(
            Subquery(inserted.annotate(c=_CommandId("pgh_id")).values("c")[:1]),
            Value(-1),
            output_field=BigIntegerField(),
        ),
    }


def _code_at_check():
    """The day's code on the sheet as it stood when the check was recorded, from the sheet's
    trigger-written history (django-pghistory): the row's last event before the check; '' when the
    row did not exist yet (or had been deleted).

    "Before": an event of another transaction counts when its time is before the check's
    ``created_at``. pghistory stamps every event of a transaction with the transaction's start time,
    so within the transaction that inserted the check (same stamp) the order of the commands decides.
    """
    from django.apps import apps

    same_transaction = Q(pgh_created_at=OuterRef("check_tx_at"))
    events = (
        apps.get_model("assignments", "AttendanceRecordEvent")
        .objects.filter(assignment_id=OuterRef("assignment_id"), sheet__month=OuterRef("check_month"))
        .annotate(command=_CommandId("pgh_id"))
        .filter(
            (same_transaction & Q(command__lt=OuterRef("check_command")))
            | (~same_transaction & Q(pgh_created_at__lt=OuterRef("created_at")))
        )
    )
    code = Case(
        When(pgh_label="delete", then=Value("")),
        default=Substr("days", OuterRef("check_day"), 1),
        output_field=CharField(),
    )
    return Coalesce(Subquery(events.order_by("-pgh_id").annotate(code=code).values("code")[:1]), Value(""))


def _day_facts(checks):
    """Each check's own facts, before one finding per cadre per day is applied: the day's recorded
    code, whether leave requested before the check excuses it, whether the day is a rest day of the
    calendar, whether official business (B) was on the sheet before the check, and so whether the
    check is an absence at all (``absence``)."""
    code = (
        AttendanceRecord.objects.filter(
            assignment=OuterRef("assignment"), sheet__month=OuterRef("check_month")
        )
        .order_by()  # the model's default ordering would add a join and a sort to every check
        .annotate(code=Substr("days", OuterRef("check_day"), 1))
        .values("code")[:1]
    )
    return (
        checks.annotate(
            check_month=TruncMonth("date", output_field=DateField()),
            check_day=Cast(ExtractDay("date"), IntegerField()),
            **_check_recorded(),
        )
        .annotate(
            recorded_code=Coalesce(Subquery(code), Value("")),
            calendar_entry=_override_kind(),
            code_at_check=_code_at_check(),
            excused=excused_by_leave(),
        )
        .annotate(
            rest_day=_rest_day(),
            business_reported=ExpressionWrapper(Q(code_at_check=BUSINESS), BooleanField()),
        )
        .annotate(
            absence=ExpressionWrapper(
                Q(
                    found_present=False,
                    withdrawn_at__isnull=True,
                    excused=False,
                    rest_day=False,
                    business_reported=False,
                ),
                BooleanField(),
            )
        )
    )


def with_findings(checks):
    """Annotate spot checks with what they found, the one rule every page, list, count and the
    appraisal share:

    - ``recorded_code``: the day's code on the sheet now;
    - ``excused``: approved leave covers the day and was requested before the check was recorded;
    - ``rest_day``: a rest day or holiday of the township's work calendar (overrides included);
    - ``business_reported``: the sheet said B (official business) for the day before the check was
      recorded (history, not today's code: a B entered after the check does not excuse it);
    - ``repeat``: an earlier check of the same cadre on the same day already is an absence;
    - ``unexcused_absence``: found away, none of the above — one finding per cadre per day;
      a withdrawn check (撤销) is never an absence, so it counts nowhere and is never a repeat;
    - ``discrepancy``: such an absence on a day the sheet records as P or B.
    """
    earlier = _day_facts(
        SpotCheck.objects.filter(assignment=OuterRef("assignment"), date=OuterRef("date")).filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
    ).filter(absence=True)
    checks = _day_facts(checks).annotate(repeat=Exists(earlier))
    return checks.annotate(
        unexcused_absence=ExpressionWrapper(Q(absence=True, repeat=False), BooleanField())
    ).annotate(
        discrepancy=ExpressionWrapper(
            Q(unexcused_absence=True, recorded_code__in=[PRESENT, BUSINESS]), BooleanField()
        )
    )


def discrepancies(checks):
    """Checks that found a cadre away on a day the sheet records in the village: one per cadre-day."""
    return with_findings(checks).filter(discrepancy=True)


def count_discrepancies(checks):
    """``discrepancies(checks).count()``, at a quarter of the cost (for counts on every page: the
    header's to-do badge, the home page): the checks of one cadre-day all see the same sheet code,
    and exactly one absence among them is not a repeat, so the discrepancies are the cadre-days with
    an absence on a day the sheet records as P or B."""
    # Without a check that found anyone away there is nothing to count: one plain query says so
    # (most townships, most of the year), sparing the findings' rule, a large query to build.
    if not checks.filter(found_present=False, withdrawn_at__isnull=True).exists():
        return 0
    return (
        _day_facts(checks)
        .filter(absence=True, recorded_code__in=[PRESENT, BUSINESS])
        .order_by()
        .values("assignment", "date")
        .distinct()
        .count()
    )


def discrepancy_days(checks):
    """(assignment id, date) of each cadre-day with a discrepancy among ``checks``: what
    ``discrepancies`` finds, one row per cadre-day, built like ``count_discrepancies`` (no repeat
    test, a query half the size) — for the risk signals of a whole county (supervision)."""
    if not checks.filter(found_present=False, withdrawn_at__isnull=True).exists():
        return []
    return list(
        _day_facts(checks)
        .filter(absence=True, recorded_code__in=[PRESENT, BUSINESS])
        .order_by()
        .values_list("assignment_id", "date")
        .distinct()
    )


def discrepancy_day_rows(checks):
    """(assignment id, date, whether a discrepancy) for each of ``checks``: the test of
    ``discrepancy_days`` in the select list rather than the filter, one query whatever the checks
    found (for the risk signals: keep the rows whose third value is true). Selected, the database
    looks up each check's leave by its index; filtered, it plans the test as an anti-join that read
    all the leave of the province for every check found away (2.4× slower for the bench county)."""
    return (
        _day_facts(checks)
        .annotate(
            is_discrepancy=ExpressionWrapper(
                Q(absence=True, recorded_code__in=[PRESENT, BUSINESS]), BooleanField()
            )
        )
        .order_by()
        .values_list("assignment_id", "date", "is_discrepancy")
    )


def unexcused_absences_by_assignment(assignments, year):
    """Days in ``year`` on which spot checks found the cadre away without an excuse, per assignment:
    several checks on one day count once; rest days, official business reported before the check and
    leave requested before the check are no absence (with_findings)."""
    return dict(
        with_findings(
            SpotCheck.objects.filter(
                assignment__in=assignments, date__year=year, found_present=False, withdrawn_at__isnull=True
            )
        )
        .filter(unexcused_absence=True)
        .order_by()
        .values("assignment")
        .annotate(n=Count("date", distinct=True))
        .values_list("assignment", "n")
    )
