"""Attendance rules (在村时间): required days, the month grid, saving it, and what it shows.

Rounding of pro-rated minimums: required = days_per_month × covered days ÷ days in the month, rounded
half up (20 × 15/30 = 10; 20 × 16/31 = 10.3 → 10; 20 × 17/31 = 10.97 → 11). The same for a quarter
(days_per_quarter × covered ÷ days in the quarter) and a year.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum, Window
from django.db.models.functions import ExtractQuarter, Lag
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import traces, workcalendar
from .models import Assignment, AttendanceRecord, AttendanceSheet, HolidayOverride, Policy
from .models.attendance import (
    ABSENT,
    BUSINESS,
    CODES,
    LEAVE,
    NOT_YET,
    OUTSIDE,
    PRESENT,
    REST,
    mark,
    month_bounds,
    to_codes,
    to_marks,
)


def parse_month(text):
    """'2026-02' → date(2026, 2, 1), or None."""
    try:
        year, month = text.split("-")
        return datetime.date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        return None


def covered_days(assignment, first, last):
    start = max(first, assignment.start_date)
    end = min(last, assignment.last_day)
    return max(0, (end - start).days + 1)


def prorate(minimum, covered, total):
    if not minimum:
        return 0
    if covered >= total:
        return minimum
    return int((Decimal(minimum) * covered / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def required_days(policy, assignment, month, mask=""):
    """The month's minimum for this assignment. With ``calendar_mask`` (a sheet's W/R string) and the
    policy's minimum_excludes_holidays, never more than the working days the assignment covers."""
    first, last = month_bounds(month)
    total = (last - first).days + 1
    required = prorate(policy.days_per_month, covered_days(assignment, first, last), total)
    if mask and policy.minimum_excludes_holidays:
        start = max(first, assignment.start_date).day - 1
        end = min(last, assignment.last_day).day
        required = min(required, mask[start:end].count("W"))
    return required


def behind_so_far(records, cal, day):
    """Records of ``cal``'s month whose days in the village up to ``day`` fall short of the month's
    minimum taken pro rata to the working days elapsed: [(record, so_far, expected)]."""
    elapsed = min(day.day, len(cal.days))
    mask = calendar_mask(cal)
    work_so_far, work_total = mask[:elapsed].count("W"), mask.count("W") or 1
    behind = []
    for r in records:
        so_far = in_village_count(r.days[:elapsed], r.counts_business)
        expected = r.required_days * work_so_far // work_total
        if so_far < expected:
            behind.append((r, so_far, expected))
    return behind


def calendar_mask(cal):
    return "".join("W" if day.is_working_day else "R" for day in cal.days)


def quarter_bounds(month):
    q_first = month.replace(month=(month.month - 1) // 3 * 3 + 1, day=1)
    q_last = month_bounds(q_first.replace(month=q_first.month + 2))[1]
    return q_first, q_last


def month_overrides(month):
    """Every region's holiday overrides in ``month``, for calendar_for over many townships."""
    return list(
        HolidayOverride.objects.filter(date__year=month.year, date__month=month.month).values_list(
            "date", "kind", "name", "region__code"
        )
    )


def calendar_for(township, month, overrides=None):
    """The month's calendar: chinesecalendar, overridden by the county's (or above) own entries.

    ``overrides`` (from month_overrides) spares a query per township when building many."""
    codes = [township.code, *township.ancestor_codes]
    if overrides is None:
        rows = HolidayOverride.objects.filter(region__code__in=codes, date__year=month.year).values_list(
            "date", "kind", "name", "region__code"
        )
    else:
        rows = [r for r in overrides if r[3] in codes]
    # Nearest region wins: apply the farthest first.
    overrides = {}
    for date, kind, name, _code in sorted(rows, key=lambda r: codes.index(r[3]), reverse=True):
        overrides[date] = (kind, name)
    return workcalendar.month_calendar(month.year, month.month, overrides)


class WorkDays:
    """The work calendar of one township over any span of dates (several months or years):
    chinesecalendar with the HolidayOverride entries of the township's county, city and province on
    top (the nearest region wins), exactly as ``calendar_for`` builds a month.

    Build it with ``work_days(township)`` or, for many townships in one query, ``work_days_for``."""

    def __init__(self, township_code, rows):
        codes = [township_code, *_ancestor_codes(township_code)]
        own = [r for r in rows if r[3] in codes]
        self.overrides = {}
        for date, kind, name, _code in sorted(own, key=lambda r: codes.index(r[3]), reverse=True):
            self.overrides[date] = (kind, name)
        self._months = {}

    def month(self, year, month):
        key = (year, month)
        if key not in self._months:
            self._months[key] = workcalendar.month_calendar(year, month, self.overrides)
        return self._months[key]

    def day(self, date):
        return self.month(date.year, date.month).days[date.day - 1]

    def is_working(self, date):
        return self.day(date).is_working_day

    def dates(self, first, last):
        """The working days from ``first`` to ``last``, both included."""
        out, d = [], first
        while d <= last:
            cal = self.month(d.year, d.month)
            end = min(last, month_bounds(d)[1])
            out += [day.date for day in cal.days[d.day - 1 : end.day] if day.is_working_day]
            d = end + datetime.timedelta(days=1)
        return out

    def count(self, first, last):
        """Working days from ``first`` to ``last``, both included (0 when last < first)."""
        return len(self.dates(first, last)) if last >= first else 0

    def next_working_day(self, date):
        """The first working day after ``date``."""
        d = date + datetime.timedelta(days=1)
        for _i in range(366):
            if self.is_working(d):
                return d
            d += datetime.timedelta(days=1)
        return d

    def touching(self, end, start):
        """Whether a span ending on ``end`` and one starting on ``start`` (later) are separated only by
        non-working days (or overlap): for leave, they are then one leave."""
        if start <= end + datetime.timedelta(days=1):
            return True
        return self.count(end + datetime.timedelta(days=1), start - datetime.timedelta(days=1)) == 0


def _ancestor_codes(code):
    from villages.models import Region

    return Region(code=code, level=Region.Level.TOWNSHIP).ancestor_codes


def _override_rows(codes):
    return list(
        HolidayOverride.objects.filter(region__code__in=codes).values_list(
            "date", "kind", "name", "region__code"
        )
    )


def work_days(township):
    """The work calendar of ``township`` over any dates (one query for the overrides)."""
    return WorkDays(township.code, _override_rows([township.code, *township.ancestor_codes]))


def work_days_for(township_codes):
    """{township code: WorkDays} for many townships, one query."""
    township_codes = set(township_codes)
    codes = set(township_codes)
    for code in township_codes:
        codes.update(_ancestor_codes(code))
    rows = _override_rows(codes) if codes else []
    return {code: WorkDays(code, rows) for code in township_codes}


def working_days_between(township, first, last):
    """How many working days of the township's work calendar fall from ``first`` to ``last`` (both
    included): statutory holidays, rest days and the county's overrides do not count. Leave is
    counted with it everywhere (tier, yearly cap, sheets)."""
    return work_days(township).count(first, last)


def default_code(day, inside, on_leave, today, on_business=False):
    """What a day without anything reported holds: '-' outside the term, H on rest days, L on a
    working day of approved leave, B on a working day of a trip the township confirmed (外出报备, even
    ahead, as leave), '.' on a working day still to come, else P."""
    if not inside:
        return OUTSIDE
    if day.is_rest:
        return REST
    if on_leave:
        return LEAVE
    if on_business:
        return BUSINESS
    if today is not None and day.date > today:
        return NOT_YET
    return PRESENT


def default_days(assignment, cal, leave_dates, today=None, business_dates=()):
    """What a new row starts with: rest days H (also inside leave), approved leave L on working days,
    confirmed trips B (``business_dates``), '.' on working days after ``today`` (default: the local
    date), P on the others, '-' outside the term."""
    today = today or timezone.localdate()
    return "".join(
        default_code(
            day,
            assignment.start_date <= day.date <= assignment.last_day,
            day.date in leave_dates,
            today,
            day.date in business_dates,
        )
        for day in cal.days
    )


def in_village_count(days, counts_business):
    return days.count(PRESENT) + (days.count(BUSINESS) if counts_business else 0)


@dataclass
class Row:
    number: int
    assignment: Assignment
    record: AttendanceRecord | None
    days: str
    required: int
    counts_business: bool
    quarter_present: int = 0
    quarter_required: int = 0
    year_present: int = 0
    year_required: int = 0
    leave_dates: set = field(default_factory=set)
    # {day index: kinds of the cadre's own records that day} (assignments/traces.py)
    traces: dict = field(default_factory=dict)
    untraced: list = field(default_factory=list)

    @property
    def present(self):
        return in_village_count(self.days, self.counts_business)

    @property
    def shortfall(self):
        return max(0, self.required - self.present)

    @property
    def quarter_shortfall(self):
        return max(0, self.quarter_required - self.quarter_present)

    @property
    def year_shortfall(self):
        return max(0, self.year_required - self.year_present)

    @property
    def saved(self):
        return self.record is not None

    @property
    def marks(self):
        """The row as the paper 考勤表 writes it (√ 差 假 休 ×): what the row's text box shows."""
        return to_marks(self.days)

    def cells(self, cal):
        return list(zip(self.days, cal.days, strict=False))


def serving_in_month(township, month):
    first, last = month_bounds(month)
    return (
        Assignment.objects.filter(village__township=township, start_date__lte=last)
        .filter(Q(end_date__gte=first) | Q(end_date__isnull=True, planned_end_date__gte=first))
        .select_related("cadre__unit", "village")
        .order_by("village__code", "role", "cadre__name", "pk")
    )


def approved_leave_dates(assignments, first, last):
    """{assignment id: dates of approved leave in [first, last]}; an early return (销假 before the
    last day) ends the leave the day before the return."""
    from .models.leave import LeaveRequest

    dates = {}
    for leave in LeaveRequest.objects.filter(
        assignment__in=assignments,
        state=LeaveRequest.State.APPROVED,
        start_date__lte=last,
        end_date__gte=first,
    ).only("assignment_id", "start_date", "end_date", "returned_on"):
        d = max(leave.start_date, first)
        while d <= min(leave.last_day_away, last):
            dates.setdefault(leave.assignment_id, set()).add(d)
            d += datetime.timedelta(days=1)
    return dates


def grid(sheet):
    """The rows of a sheet, for display: a constant number of queries whatever the row count."""
    first, last = sheet.bounds
    township = sheet.township
    policy = Policy.effective_for(township)
    # Read afresh for display; the sheet's own copy (``calendar``) is written by saves only: a GET
    # never writes.
    cal = calendar_for(township, sheet.month)
    mask = calendar_mask(cal)
    assignments = list(serving_in_month(township, sheet.month))
    # A sheet not saved yet (a GET never creates one) has no rows: every row shows its defaults.
    records = {r.assignment_id: r for r in sheet.records.all()} if sheet.pk else {}
    leaves = approved_leave_dates([a.pk for a in assignments], first, last)
    today = timezone.localdate()
    q_first, q_last = quarter_bounds(sheet.month)
    quarter_sums = dict(
        AttendanceRecord.objects.filter(
            assignment__in=[a.pk for a in assignments], sheet__month__gte=q_first, sheet__month__lt=first
        )
        .values("assignment")
        .annotate(n=Sum("present_days"))
        .values_list("assignment", "n")
    )
    q_total = (q_last - q_first).days + 1
    year_sums, y_first, y_last = {}, datetime.date(first.year, 1, 1), datetime.date(first.year, 12, 31)
    if policy.days_per_year:
        year_sums = dict(
            AttendanceRecord.objects.filter(
                assignment__in=[a.pk for a in assignments], sheet__month__gte=y_first, sheet__month__lt=first
            )
            .values("assignment")
            .annotate(n=Sum("present_days"))
            .values_list("assignment", "n")
        )
    # Spot checks that found a cadre away on a day the sheet records in the village (P or B): one
    # query for the month, marked on the day's cell (with_findings, so a withdrawn check is no mark).
    from . import leave as leave_rules
    from .models.leave import SpotCheck

    # Most months have no check that found anyone away: one plain query says so, and the findings'
    # rule (a large query to build) runs only over the checks that could be a discrepancy.
    found_away = {}
    candidates = list(
        SpotCheck.objects.filter(
            assignment__in=[a.pk for a in assignments],
            date__gte=first,
            date__lte=last,
            found_present=False,
            withdrawn_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    if candidates:
        for check in leave_rules.discrepancies(SpotCheck.objects.filter(pk__in=candidates)).order_by(
            "date", "pk"
        ):
            found_away.setdefault(check.assignment_id, {}).setdefault(check.date, check)
    # What the cadre's own records say about each day (assignments/traces.py): one query.
    day_traces = traces.traces_for([a.pk for a in assignments], first, last, leaves)
    rows = []
    for number, a in enumerate(assignments, start=1):
        record = records.get(a.pk)
        # A row not saved yet starts with the trips the township confirmed as 差, as with leave: the
        # confirmation wrote them into the rows that existed then (assignments/business.py).
        trips = {
            first + datetime.timedelta(days=i)
            for i, kinds in day_traces.get(a.pk, {}).items()
            if traces.TRIP in kinds
        }
        days = record.days if record else default_days(a, cal, leaves.get(a.pk, set()), today, trips)
        counts_business = record.counts_business if record else policy.business_counts_as_present
        row = Row(
            number=number,
            assignment=a,
            record=record,
            days=days,
            required=(
                record.required_days
                if record and not sheet.is_open
                else required_days(policy, a, sheet.month, mask)
            ),
            counts_business=counts_business,
            leave_dates=leaves.get(a.pk, set()),
        )
        row.cell_list = row.cells(cal)
        row.discrepancies = found_away.get(a.pk, {})
        row.traces = day_traces.get(a.pk, {})
        # Where the county has check-in on, a √ with no record of the cadre's at all is a question
        # for supervision — never an absence by itself (issue 16).
        row.untraced = traces.untraced_present_days(days, row.traces, cal) if policy.checkin_enabled else []
        if policy.days_per_quarter:
            row.quarter_present = (quarter_sums.get(a.pk) or 0) + row.present
            row.quarter_required = prorate(policy.days_per_quarter, covered_days(a, q_first, q_last), q_total)
        if policy.days_per_year:
            row.year_present = (year_sums.get(a.pk) or 0) + row.present
            y_total = (y_last - y_first).days + 1
            row.year_required = prorate(policy.days_per_year, covered_days(a, y_first, y_last), y_total)
        rows.append(row)
    return {"rows": rows, "calendar": cal, "policy": policy}


class GridError(Exception):
    """The posted grid is refused; ``messages`` name the row and the day."""

    def __init__(self, messages):
        super().__init__("; ".join(messages))
        self.messages = messages


class Conflict(Exception):
    """Someone saved the sheet after this grid was loaded."""

    def __init__(self, sheet, changed_rows):
        self.sheet = sheet
        self.changed_rows = changed_rows
        super().__init__(str(sheet))


def validate_row(number, name, days, assignment, first, total, *, mask=None, leave_dates=None, today=None):
    """Messages for one posted row (empty when fine), each naming the row (cadre) and the day.

    With the month's calendar ``mask`` (W/R per day), the cadre's approved ``leave_dates`` and
    ``today``, the row must also be true: L only on working days of approved leave, H only on rest
    days or holidays, no P, A or B on a day still to come. Every writer passes them (the grid, the
    admin); without them only the form of the codes is checked."""
    problems = []
    label = _("Row %(n)d (%(name)s)") % {"n": number, "name": name}
    if len(days) != total:
        return [
            _("%(row)s: %(got)d day marks for a month of %(total)d days.")
            % {"row": label, "got": len(days), "total": total}
        ]
    for i, code in enumerate(days):
        date = first + datetime.timedelta(days=i)
        inside = assignment.start_date <= date <= assignment.last_day
        rest = mask is not None and i < len(mask) and mask[i] == "R"
        args = {"row": label, "day": i + 1, "date": date.isoformat()}
        if code not in CODES:
            problems.append(
                _(
                    "%(row)s, day %(day)d: “%(code)s” is not a day mark; use √ 差 假 休 × or · "
                    "(the letters P B L H A and “.” work too)."
                )
                % {**args, "code": code}
            )
        elif inside and code == OUTSIDE:
            problems.append(
                _("%(row)s, day %(day)d: the cadre serves that day, so it needs √, 差, 假, 休 or ×, not ／.")
                % args
            )
        elif not inside and code != OUTSIDE:
            problems.append(
                _("%(row)s, day %(day)d: outside the assignment (%(start)s – %(end)s), it stays ／.")
                % {**args, "start": assignment.start_date.isoformat(), "end": assignment.last_day.isoformat()}
            )
        elif not inside:
            continue
        elif code == LEAVE and leave_dates is not None and date not in leave_dates:
            problems.append(
                _(
                    "%(row)s, day %(day)d (%(date)s): 假 is only for days of approved leave, and there is none that day."
                )
                % args
            )
        elif code == LEAVE and rest:
            problems.append(
                _(
                    "%(row)s, day %(day)d (%(date)s): a rest day or holiday inside a leave stays 休; leave counts working days."
                )
                % args
            )
        elif code == NOT_YET and rest:
            problems.append(
                _(
                    "%(row)s, day %(day)d (%(date)s): a rest day or holiday is 休; · is for working days still to come."
                )
                % args
            )
        elif code == REST and mask is not None and not rest:
            problems.append(
                _(
                    "%(row)s, day %(day)d (%(date)s): 休 is only for rest days and holidays of the work calendar; this is a working day."
                )
                % args
            )
        elif code in (PRESENT, ABSENT, BUSINESS) and today is not None and date > today:
            problems.append(
                _(
                    "%(row)s, day %(day)d (%(date)s): the day has not come yet, so it cannot be %(code)s; leave it ·."
                )
                % {**args, "code": mark(code)}
            )
    return problems


def fit_rows_to_term(assignment, since=None, sheets=None):
    """Bring the assignment's saved rows in line with its term after the term changed (an end
    recorded — recall, term completed, adjustment — or an extension): a day after the last day is
    outside the term ('-'; a row kept before a backdated recall, or before a recall whose last day
    is still to come, may hold P, A or '.' there, counting days in a village the cadre has left), and
    a day inside it that still says '-' (kept before an extension) starts as a new row's day would
    (default_code: H, L, '.' or P). Open sheets are rewritten; a submitted or approved sheet that
    would change is marked ``needs_correction``, naming the cadre and the days, for the county to
    reopen. An open row's month minimum (``required_days``) is pro-rated again to the new term. ``since`` (a date) limits the months looked at, ``sheets`` the sheets (a reopened one).
    Returns the closed sheets marked."""
    records = AttendanceRecord.objects.filter(assignment=assignment).select_related(
        "sheet__township", "assignment__cadre"
    )
    if since is not None:
        records = records.filter(sheet__month__gte=since.replace(day=1))
    if sheets is not None:
        records = records.filter(sheet__in=sheets)
    records = list(records.order_by("sheet__month"))
    if not records:
        return []
    today = timezone.localdate()
    leave = approved_leave_dates(
        [assignment.pk], records[0].sheet.bounds[0], records[-1].sheet.bounds[1]
    ).get(assignment.pk, set())
    closed = []
    for record in records:
        sheet = record.sheet
        first, _last = sheet.bounds
        cal = None
        days = list(record.days)
        changed = []
        for i, code in enumerate(days):
            date = first + datetime.timedelta(days=i)
            inside = assignment.start_date <= date <= assignment.last_day
            if not inside and code != OUTSIDE:
                days[i] = OUTSIDE
            elif inside and code == OUTSIDE:
                cal = cal or calendar_for(sheet.township, sheet.month)
                days[i] = default_code(cal.days[i], True, date in leave, today)
            else:
                continue
            changed.append(i + 1)
        if not changed:
            continue
        if sheet.is_open:
            # The month's minimum follows the days the term now covers (pro rata), as a save would.
            cal = cal or calendar_for(sheet.township, sheet.month)
            policy = Policy.effective_for(sheet.township)
            record.days = "".join(days)
            record.required_days = required_days(policy, assignment, sheet.month, calendar_mask(cal))
            record.save(update_fields=["days", "required_days"])
            # A grid loaded before this change must not overwrite it.
            AttendanceSheet.objects.filter(pk=sheet.pk).update(version=F("version") + 1)
            continue
        note = _("%(cadre)s: days %(days)s") % {
            "cadre": assignment.cadre.name,
            "days": ", ".join(str(n) for n in changed),
        }
        note = _("%(note)s (the term now runs %(start)s – %(end)s)") % {
            "note": note,
            "start": assignment.start_date.isoformat(),
            "end": assignment.last_day.isoformat(),
        }
        AttendanceSheet.objects.select_for_update().filter(pk=sheet.pk).first()
        sheet.refresh_from_db(fields=["correction_note"])
        sheet.needs_correction = True
        sheet.correction_note = "\n".join(x for x in [sheet.correction_note, note] if x)
        sheet.save(update_fields=["needs_correction", "correction_note"])
        closed.append(sheet)
    return closed


def row_context(sheet, assignment_ids):
    """What validate_row needs to judge a sheet's rows: (calendar mask, {assignment id: leave dates}).

    The calendar is read afresh (one query for the overrides), never taken from ``sheet.calendar``:
    a holiday or 调休 day the county enters while a grid is open must count when that grid is saved
    (H accepted on the new holiday, P refused there)."""
    first, last = sheet.bounds
    mask = calendar_mask(calendar_for(sheet.township, sheet.month))
    return mask, approved_leave_dates(list(assignment_ids), first, last)


def save_grid(sheet, posted, version, user, original=None):
    """Write every posted row in one transaction and one upsert, or nothing.

    ``posted`` maps assignment id → day codes; ``version`` is the sheet version the grid was loaded
    at; ``original`` (assignment id → codes as loaded) lets a conflict say which rows changed.
    """
    if not sheet.is_open:
        raise GridError(
            [
                _("The sheet for %(month)s is %(state)s and cannot be changed; the county can reopen it.")
                % {"month": f"{sheet.month:%Y-%m}", "state": sheet.get_state_display()}
            ]
        )
    first, last = sheet.bounds
    total = (last - first).days + 1
    assignments = {a.pk: a for a in serving_in_month(sheet.township, sheet.month)}
    policy = Policy.effective_for(sheet.township)
    mask, leaves = row_context(sheet, [pk for pk in posted if pk in assignments])
    today = timezone.localdate()
    problems, rows = [], []
    numbers = {pk: n for n, pk in enumerate(assignments, start=1)}
    for pk, days in posted.items():
        assignment = assignments.get(pk)
        if assignment is None:
            problems.append(
                _(
                    "A posted row (assignment %(id)s) does not serve in this township this month; reload the page."
                )
                % {"id": pk}
            )
            continue
        days = to_codes(days)
        problems += validate_row(
            numbers[pk],
            assignment.cadre.name,
            days,
            assignment,
            first,
            total,
            mask=mask,
            leave_dates=leaves.get(pk, set()),
            today=today,
        )
        rows.append((assignment, days))
    if problems:
        raise GridError(problems)
    now = timezone.now()
    with transaction.atomic():
        if sheet.pk is None:
            # The month's first save creates its sheet (opening the page does not); if another save
            # created it meanwhile, the version check below finds out.
            created, _new = AttendanceSheet.objects.get_or_create(township=sheet.township, month=sheet.month)
            sheet.pk = created.pk
        bumped = AttendanceSheet.objects.filter(
            pk=sheet.pk, version=version, state=AttendanceSheet.State.OPEN
        ).update(version=F("version") + 1, updated_at=now, updated_by=user, calendar=mask)
        if not bumped:
            raise Conflict(sheet, _changed_since(sheet, original or {}))
        AttendanceRecord.objects.bulk_create(
            [
                AttendanceRecord(
                    sheet_id=sheet.pk,
                    assignment=a,
                    days=days,
                    counts_business=policy.business_counts_as_present,
                    required_days=required_days(policy, a, sheet.month, mask),
                    updated_at=now,
                )
                for a, days in rows
            ],
            update_conflicts=True,
            unique_fields=["sheet", "assignment"],
            update_fields=["days", "counts_business", "required_days", "updated_at"],
        )
    sheet.version, sheet.calendar = version + 1, mask
    return len(rows)


def _changed_since(sheet, original):
    """Rows whose saved codes differ from what this user loaded: (name, [day numbers])."""
    fresh = AttendanceSheet.objects.select_related("updated_by").get(pk=sheet.pk)
    sheet.updated_by, sheet.updated_at, sheet.state = fresh.updated_by, fresh.updated_at, fresh.state
    changed = []
    for record in fresh.records.select_related("assignment__cadre"):
        before = original.get(record.assignment_id)
        if before is not None and before != record.days:
            days = [i + 1 for i, (x, y) in enumerate(zip(before, record.days, strict=False)) if x != y]
            changed.append((record.assignment.cadre.name, days))
    return changed


def history(sheet, limit=200, records=None):
    """Changes to the sheet's rows and state, newest first: who, when, which days from what to what.

    Read from the trigger-written history (django-pghistory), so bulk saves are included.
    ``records``, a queryset of the sheet's records, keeps the changes of those rows only (the rows
    the user sees: a unit liaison, its own unit's cadres); None keeps every row's.
    """
    from django.apps import apps
    from django.contrib.auth import get_user_model

    if sheet.pk is None:
        return []
    # Only the newest ``limit`` row events leave the database, each with the codes it replaced
    # (LAG over the row's own events): a sheet saved all month long gathers thousands of events,
    # and loading them all made the grid page slower with every save.
    events = apps.get_model("assignments", "AttendanceRecordEvent").objects.filter(sheet_id=sheet.pk)
    if records is not None:
        events = events.filter(pgh_obj_id__in=records.values("pk"))
    record_events = list(
        events.annotate(
            before=Window(Lag("days"), partition_by=[F("pgh_obj_id")], order_by=F("pgh_id").asc())
        )
        .select_related("pgh_context")
        .order_by("-pgh_created_at", "-pgh_id")[:limit]
    )
    sheet_events = list(
        apps.get_model("assignments", "AttendanceSheetEvent")
        .objects.filter(pgh_obj_id=sheet.pk)
        .select_related("pgh_context")
    )
    names = dict(AttendanceRecord.objects.filter(sheet=sheet).values_list("pk", "assignment__cadre__name"))
    user_ids = {_context_user(e.pgh_context) for e in record_events + sheet_events} - {None}
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    entries = []
    for e in record_events:
        before = e.before
        if e.pgh_label == "delete":
            continue
        changes = []
        if before is not None:
            changes = [
                (i + 1, mark(x), mark(y))
                for i, (x, y) in enumerate(zip(before, e.days, strict=False))
                if x != y
            ]
        entries.append(
            {
                "at": e.pgh_created_at,
                "user": users.get(_context_user(e.pgh_context)),
                "name": names.get(e.pgh_obj_id, "?"),
                "summary": _("row created") if before is None else "",
                "changes": changes,
            }
        )
    for e in sheet_events:
        if e.pgh_label == "insert":
            summary = _("sheet created")
        else:
            summary = _("sheet %(state)s") % {"state": AttendanceSheet.State(e.state).label}
            if e.state == AttendanceSheet.State.OPEN and e.reopen_reason:
                summary += f" · {e.reopen_reason}"
        entries.append(
            {
                "at": e.pgh_created_at,
                "user": users.get(_context_user(e.pgh_context)),
                "name": "",
                "summary": summary,
                "changes": [],
            }
        )
    entries.sort(key=lambda x: x["at"], reverse=True)
    return entries[:limit]


def _context_user(context):
    if context is None:
        return None
    return (context.metadata or {}).get("user")


def allowance(present_days, rates):
    """Living allowance for a month: days in village × the per-day rate + the monthly transport sum.

    ``rates`` is the approved sheet, whose rates were fixed when it was approved
    (AttendanceSheet.approve), so a later change of policy never changes a month already approved;
    anything else with ``allowance_per_day`` and ``allowance_per_month`` (a policy) gives an estimate.
    """
    return Decimal(present_days or 0) * rates.allowance_per_day + rates.allowance_per_month


def payable_allowance(record):
    """What a row earns: paid only on approved attendance, at its sheet's fixed rates; None while the
    sheet is not approved (未审批: listed, never paid, outside every total)."""
    sheet = record.sheet
    if sheet.state != AttendanceSheet.State.APPROVED or sheet.allowance_per_day is None:
        return None
    return allowance(record.present_days, sheet)


def allowance_records(region_scoped_records, month):
    """The month's rows for the allowance, split: (approved — paid, in the totals; not approved —
    listed as 未审批 outside the totals). Both ordered by township, village and name."""
    rows = month_records(region_scoped_records, month)
    approved = AttendanceSheet.State.APPROVED
    return rows.filter(sheet__state=approved), rows.exclude(sheet__state=approved)


def month_records(region_scoped_records, month):
    return (
        region_scoped_records.filter(sheet__month=month)
        .select_related("assignment__cadre__unit", "assignment__village", "sheet__township")
        .order_by("sheet__township__code", "assignment__village__code", "assignment__cadre__name")
    )


# --- minimums missed: month, quarter, year ---------------------------------------------------------
MONTH, QUARTER, YEAR = "month", "quarter", "year"
QUARTER_NAMES = [
    gettext_lazy("first quarter"),
    gettext_lazy("second quarter"),
    gettext_lazy("third quarter"),
    gettext_lazy("fourth quarter"),
]


@dataclass(frozen=True)
class Shortfall:
    """A minimum that applied and was missed: the period, the days in the village and the minimum."""

    assignment_id: int
    period: str  # MONTH, QUARTER or YEAR
    first: datetime.date
    last: datetime.date
    present: int
    required: int

    @property
    def label(self):
        """The period in words: 2025年3月, 2025年第二季度, 2025年."""
        if self.period == MONTH:
            return _("%(year)d-%(month)02d") % {"year": self.first.year, "month": self.first.month}
        if self.period == QUARTER:
            return _("%(year)d, %(quarter)s") % {
                "year": self.first.year,
                "quarter": QUARTER_NAMES[(self.first.month - 1) // 3],
            }
        return _("the year %(year)d") % {"year": self.first.year}

    @property
    def reason(self):
        """“2025年第二季度在村42天，少于50天”."""
        return _("%(period)s: %(present)d days in the village, fewer than %(required)d") % {
            "period": self.label,
            "present": self.present,
            "required": self.required,
        }


def minimums_missed(assignments, year, through=None, today=None, whole_year=False):
    """The minimums that applied to each assignment in ``year`` and were missed:
    {assignment id: [Shortfall, …]} in date order (months, then quarters, then the year), each with
    the days in the village and the minimum. Four queries whatever the number of assignments, their cadres' other assignments in the year included.

    - a month: its row's days in the village below its ``required_days`` (pro-rated, stored with
      the row);
    - a quarter (``days_per_quarter`` of the township's policy, off when empty or 0): the days in the
      village of its months' rows against the minimum pro-rated by the days the assignment covers in
      the quarter (a cadre starting on 15 May owes 50 × 47/91 = 26 days in the second quarter);
    - the year (``days_per_year``, when set): the same over the whole year.

    Quarters and years are judged per PERSON: a cadre adjusted within the period is judged on the
    days in the village over all their assignments in it against the sum of each one's pro-rated
    minimum, and a miss is reported once, on the latest of the given assignments in the period.

    Unfinished periods: a period is judged only once it is over (its last day is before ``today``),
    or for every period of the year when ``whole_year`` is set (the appraisal of a finished year).
    A period still running is never reported as missed, however far behind it is. ``through`` (a
    month) leaves out periods ending after that month. A quarter or year is judged only when every month of
    it that the assignment covers has a row: a month never recorded proves neither presence nor
    absence (the missing sheet is a to-do of its own), and judging the rest against the whole
    minimum would wrongly fail everyone. Rows count whatever their sheet's state (open, submitted
    or approved), like the grid's running sums.
    """
    today = today or timezone.localdate()
    y_first, y_last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    end = month_bounds(through)[1] if through else y_last
    in_year = Q(start_date__lte=y_last) & (
        Q(end_date__gte=y_first) | Q(end_date__isnull=True, planned_end_date__gte=y_first)
    )
    if isinstance(assignments, QuerySet):
        # The given assignments and their cadres' other assignments in the year, in one query.
        given_pks = assignments.values("pk")
        fetched = list(
            Assignment.objects.filter(
                Q(pk__in=given_pks) | (Q(cadre__in=assignments.values("cadre")) & in_year)
            )
            .annotate(given=ExpressionWrapper(Q(pk__in=given_pks), output_field=BooleanField()))
            .select_related("village__township")
        )
        assignments = [a for a in fetched if a.given]
        others = [a for a in fetched if not a.given]
    else:
        assignments = list(assignments)
        others = None
    if not assignments:
        return {}

    def judged(last):
        return last <= end and (whole_year or last < today)

    # A quarter and a year are the PERSON's (seed 003 "一个季度不少于50天"): a cadre adjusted from one
    # village (or township) to another within the period is judged on the days in the village over
    # all their assignments in it, against the minimum pro-rated by each assignment's days under its
    # own township's policy — not on each part alone. Their other assignments in the year are read
    # too (one query), even when the caller passed only some (a township's clerk sees one side).
    given = {a.pk: a for a in assignments}
    if others is None:
        others = (
            Assignment.objects.filter(in_year, cadre__in={a.cadre_id for a in assignments})
            .exclude(pk__in=list(given))
            .select_related("village__township")
        )
    everyone = dict(given)
    for other in others:
        everyone[other.pk] = other
    ids = list(everyone)
    policies = Policy.effective_for_many({a.village.township for a in everyone.values()})
    records = AttendanceRecord.objects.filter(
        assignment__in=ids, sheet__month__gte=y_first, sheet__month__lte=end
    ).order_by()
    months = {}  # assignment id → [(month, present, required)] for months below their minimum
    for assignment_id, month, present, required in records.filter(
        assignment__in=list(given), present_days__lt=F("required_days")
    ).values_list("assignment_id", "sheet__month", "present_days", "required_days"):
        months.setdefault(assignment_id, []).append((month, present or 0, required))
    sums, counted = {}, {}  # (assignment id, quarter 1-4) → days in the village, months with a row
    for row in (
        records.values("assignment_id", quarter=ExtractQuarter("sheet__month"))
        .annotate(days=Sum("present_days"), rows=Count("pk"))
        .values_list("assignment_id", "quarter", "days", "rows")
    ):
        sums[row[:2]], counted[row[:2]] = row[2] or 0, row[3]

    def complete(a, quarters):
        """Every month of these quarters that the assignment covers has a row (one row a month)."""
        covered = 0
        for q in quarters:
            q_first = datetime.date(year, q * 3 - 2, 1)
            for m in range(3):
                month = q_first.replace(month=q_first.month + m)
                covered += bool(covered_days(a, *month_bounds(month)))
        return covered == sum(counted.get((a.pk, q), 0) for q in quarters)

    by_cadre = {}
    for a in sorted(everyone.values(), key=lambda x: (x.start_date, x.pk)):
        by_cadre.setdefault(a.cadre_id, []).append(a)

    def person_period(own, setting, first, last, quarters):
        """(the assignment the miss is reported on, present, required) when the person's days in
        the village over ``first``–``last`` fall below the minimum, else None. Judged only when
        every month any of their assignments covers in the period has a row."""
        parts = [
            a
            for a in own
            if covered_days(a, first, last) and getattr(policies[a.village.township.pk], setting)
        ]
        if not parts or not any((a.pk, q) in sums for a in parts for q in quarters):
            return None
        if not all(complete(a, quarters) for a in own if covered_days(a, first, last)):
            return None
        total = (last - first).days + 1
        owed = sum(
            Decimal(getattr(policies[a.village.township.pk], setting)) * covered_days(a, first, last) / total
            for a in parts
        )
        required = int(owed.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        present = sum(sums.get((a.pk, q), 0) for a in parts for q in quarters)
        shown = [a for a in parts if a.pk in given]
        if present >= required or not shown:
            return None
        return shown[-1], present, required

    result = {}
    for a in assignments:
        for month, present, required in sorted(months.get(a.pk, [])):
            if judged(month_bounds(month)[1]):
                result.setdefault(a.pk, []).append(
                    Shortfall(a.pk, MONTH, month, month_bounds(month)[1], present, required)
                )
    for own in by_cadre.values():
        for q in range(1, 5):
            q_first, q_last = quarter_bounds(datetime.date(year, q * 3 - 2, 1))
            if judged(q_last) and (found := person_period(own, "days_per_quarter", q_first, q_last, [q])):
                shown, present, required = found
                result.setdefault(shown.pk, []).append(
                    Shortfall(shown.pk, QUARTER, q_first, q_last, present, required)
                )
        if judged(y_last) and (found := person_period(own, "days_per_year", y_first, y_last, range(1, 5))):
            shown, present, required = found
            result.setdefault(shown.pk, []).append(
                Shortfall(shown.pk, YEAR, y_first, y_last, present, required)
            )
    order = {MONTH: 0, QUARTER: 1, YEAR: 2}
    for missed in result.values():
        missed.sort(key=lambda s: (order[s.period], s.first))
    return result


def last_finished_quarter(today):
    """(first, last) of the quarter that ended most recently before ``today``."""
    q_first, _q_last = quarter_bounds(today.replace(day=1))
    return quarter_bounds((q_first - datetime.timedelta(days=1)).replace(day=1))


def behind_lately(assignments, today=None):
    """Who missed the quarterly minimum in the last finished quarter, or the yearly minimum in the
    last finished year (where the policy sets one), as of ``today``: a list of (assignment, Shortfall),
    the quarter first. ``assignments`` is a queryset (already scoped); those serving in either period
    are judged. A constant number of queries (minimums_missed, at most twice)."""
    today = today or timezone.localdate()
    q_first, q_last = last_finished_quarter(today)
    y_first, y_last = datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)
    candidates = {
        a.pk: a
        for a in assignments.filter(start_date__lte=q_last)
        .filter(Q(end_date__gte=y_first) | Q(end_date__isnull=True, planned_end_date__gte=y_first))
        .select_related("cadre", "village__township")
        .order_by("village__code", "cadre__name", "pk")
    }
    last_year = [a for a in candidates.values() if covered_days(a, y_first, y_last)]
    this_quarter = [a for a in candidates.values() if covered_days(a, q_first, q_last)]
    if q_first.year == y_first.year:  # the fourth quarter of last year: one call for both
        quarter = yearly = minimums_missed(last_year, y_first.year, today=today)
    else:
        quarter = minimums_missed(this_quarter, q_first.year, today=today)
        yearly = minimums_missed(last_year, y_first.year, today=today)
    found = []
    for pk, missed in quarter.items():
        found += [(candidates[pk], s) for s in missed if s.period == QUARTER and s.first == q_first]
    for pk, missed in yearly.items():
        found += [(candidates[pk], s) for s in missed if s.period == YEAR]
    order = {pk: n for n, pk in enumerate(candidates)}
    found.sort(key=lambda x: (x[1].period != QUARTER, order[x[0].pk]))
    return found
