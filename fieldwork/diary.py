"""The rules of the work diary (民情日记) and the monthly report (月汇报); docs/fieldwork-diary.md.

Edit window: a cadre writes, edits and deletes entries dated in the current or the previous month
(late entries for last month are common in the first days of a month), never in the future, and
never in a month whose report is already submitted (the township has the figures then).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from assignments.models import Assignment
from assignments.models.attendance import month_bounds

from .models import DiaryEntry, MonthlyReport, Trip


def previous_month(today):
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def window(today):
    """The first and last day a cadre may write an entry for."""
    return previous_month(today), today


def serving_in(queryset, month):
    """Assignments of ``queryset`` that serve any day of ``month``."""
    first, last = month_bounds(month)
    return queryset.filter(start_date__lte=last).filter(
        Q(end_date__gte=first) | Q(end_date__isnull=True, planned_end_date__gte=first)
    )


def assignment_on(cadre_id, day):
    """The cadre's assignment serving on ``day`` (the latest starting one)."""
    return (
        Assignment.objects.for_cadre(cadre_id)
        .serving_on(day)
        .select_related("village")
        .order_by("-start_date")
        .first()
    )


def month_submitted(cadre_id, day):
    return MonthlyReport.objects.filter(
        assignment__cadre_id=cadre_id, month=day.replace(day=1), state=MonthlyReport.State.SUBMITTED
    ).exists()


def check_date(cadre_id, day, today):
    """The assignment an entry on ``day`` belongs to, or ValidationError saying why not."""
    first, last = window(today)
    if day > today:
        raise ValidationError({"date": _("The date is in the future. Write about a day that has passed.")})
    if day < first:
        raise ValidationError(
            {
                "date": _("Entries can be written for this month and last month only (from %(first)s).")
                % {"first": f"{first:%Y-%m-%d}"}
            }
        )
    assignment = assignment_on(cadre_id, day)
    if assignment is None:
        raise ValidationError({"date": _("You were not serving in a village on this date. Check the date.")})
    if month_submitted(cadre_id, day):
        raise ValidationError(
            {
                "date": _("The report for %(month)s is already submitted; its entries can no longer change.")
                % {"month": f"{day:%Y-%m}"}
            }
        )
    return assignment


def editable(entry, today):
    first, _last = window(today)
    return entry.date >= first and not month_submitted(entry.assignment.cadre_id, entry.date)


def figures(entries):
    """Counts by kind and households visited of a queryset of entries."""
    rows = entries.values("kind").annotate(n=Count("pk"), h=Sum("households"))
    counts = dict.fromkeys(DiaryEntry.Kind.values, 0)
    households = 0
    for row in rows:
        counts[row["kind"]] = row["n"]
        households += row["h"] or 0
    return counts, households


def entries_for_report(report_or_assignment, month):
    assignment = getattr(report_or_assignment, "assignment", report_or_assignment)
    first, last = month_bounds(month)
    return DiaryEntry.objects.filter(
        assignment__cadre_id=assignment.cadre_id, date__gte=first, date__lte=last
    )


def prefill(report):
    """Refresh a draft's figures from the cadre's entries of its month (a submitted one is frozen)."""
    if report.state != MonthlyReport.State.DRAFT:
        return report
    report.counts, report.households = figures(entries_for_report(report, report.month))
    return report


def kind_rows(counts):
    """[(label, count)] in the order of the kinds, for the pages."""
    return [(label, counts.get(value, 0)) for value, label in DiaryEntry.Kind.choices]


def report_missing(cadre_id, month):
    """Whether the cadre served in ``month`` and has not submitted its report for it."""
    served = serving_in(Assignment.objects.for_cadre(cadre_id), month).exists()
    return served and not month_submitted(cadre_id, month)


def missing_reports(assignments, month):
    """One assignment a cadre (the latest of the month) among ``assignments`` serving in ``month``
    whose cadre has not submitted the month's report."""
    submitted = MonthlyReport.objects.filter(month=month, state=MonthlyReport.State.SUBMITTED).values(
        "assignment__cadre_id"
    )
    return (
        serving_in(assignments, month)
        .exclude(cadre_id__in=submitted)
        .order_by("cadre_id", "-start_date")
        .distinct("cadre_id")
    )


def half_year(cadre_id, year, half):
    """What the cadre recorded in a half year (the 专项考察 looks at it, nobody retypes it): diary
    counts by kind and households visited, monthly reports submitted, trips confirmed. Three queries."""
    first = datetime.date(year, 1 if half == 1 else 7, 1)
    last = datetime.date(year, 6, 30) if half == 1 else datetime.date(year, 12, 31)
    counts, households = figures(
        DiaryEntry.objects.filter(assignment__cadre_id=cadre_id, date__range=(first, last))
    )
    reports = MonthlyReport.objects.filter(
        assignment__cadre_id=cadre_id, month__range=(first, last), state=MonthlyReport.State.SUBMITTED
    ).count()
    trips = Trip.objects.filter(
        assignment__cadre_id=cadre_id, state=Trip.State.CONFIRMED, start_date__lte=last, end_date__gte=first
    ).count()
    return {
        "first": first,
        "last": last,
        "kinds": kind_rows(counts),
        "entries": sum(counts.values()),
        "households": households,
        "reports": reports,
        "trips": trips,
    }
