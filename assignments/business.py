"""Official business (差, code B) written into the township's sheets from a confirmed trip report
(外出报备, fieldwork.Trip). The same pattern as approved leave (leave.write_leave_into_sheets): open
sheets take the days at once, closed ones are marked for the county to reopen.

This module knows nothing of trips: it takes an assignment and a date range, so the app above
(fieldwork) calls it and the layering holds."""

import datetime

from django.db.models import F
from django.utils.translation import gettext as _

from . import attendance
from .models import AttendanceRecord, AttendanceSheet
from .models.attendance import BUSINESS, LEAVE, OUTSIDE, REST, month_bounds

# Codes a trip never overwrites: leave is its own record (approved leave wins), a rest day or
# holiday stays H, and a day outside the term is no day of the assignment.
KEPT = {LEAVE, REST, OUTSIDE}


def write_business_into_sheets(assignment, first, last):
    """Set B on the working days ``first``–``last`` of the assignment's rows in open sheets (past days
    and days still to come alike, as approved leave writes L ahead), leaving L, H and '-' alone.

    A submitted or approved sheet cannot change: it is marked ``needs_correction`` with a note naming
    the cadre and the days, for the county to reopen; reopening writes them in
    (sync_business_into_sheet). A sheet without the cadre's row is left as is. Returns the closed
    sheets."""
    township = assignment.village.township
    wd = attendance.work_days(township)
    closed = []
    month = first.replace(day=1)
    while month <= last:
        m_first, m_last = month_bounds(month)
        lo, hi = max(first, m_first), min(last, m_last)
        # The sheet row is locked first, as leave does: a grid save or a submit waits for us.
        sheet = (
            AttendanceSheet.objects.select_for_update().filter(township_id=township.pk, month=month).first()
        )
        if sheet is not None and sheet.state != AttendanceSheet.State.OPEN:
            dates = wd.dates(lo, hi)
            if dates:
                note = _("%(cadre)s: days %(days)s (official business confirmed)") % {
                    "cadre": assignment.cadre.name,
                    "days": ", ".join(str(d.day) for d in dates),
                }
                sheet.needs_correction = True
                sheet.correction_note = "\n".join(x for x in [sheet.correction_note, note] if x)
                sheet.save(update_fields=["needs_correction", "correction_note"])
                closed.append(sheet)
        elif sheet is not None:
            record = AttendanceRecord.objects.filter(assignment=assignment, sheet=sheet).first()
            if record is not None:
                _set_business(record, sheet, township, lo, hi)
        month = m_last + datetime.timedelta(days=1)
    return closed


def _set_business(record, sheet, township, lo, hi):
    cal = attendance.calendar_for(township, sheet.month)
    days = list(record.days)
    d = lo
    while d <= hi:
        i = d.day - 1
        if days[i] not in KEPT and not cal.days[i].is_rest:
            days[i] = BUSINESS
        d += datetime.timedelta(days=1)
    new = "".join(days)
    if new == record.days:
        return False
    record.days = new
    record.save(update_fields=["days"])
    # A grid loaded before this change must not overwrite it.
    AttendanceSheet.objects.filter(pk=record.sheet_id).update(version=F("version") + 1)
    return True


def sync_business_into_sheet(sheet):
    """After the county reopens a sheet: write in the trips confirmed while it was closed (as
    leave.sync_leave_into_sheet does for leave). The trips come from the trace providers (fieldwork
    registers one), in one query whatever the number of rows."""
    from . import traces

    first, last = sheet.bounds
    records = {r.assignment_id: r for r in sheet.records.all()}
    if not records:
        return
    township = sheet.township
    for provider in traces._providers:
        for assignment_id, start, end, kind in provider(list(records), first, last):
            if kind == traces.TRIP and assignment_id in records:
                _set_business(records[assignment_id], sheet, township, max(start, first), min(end, last))
