"""fieldwork's records as traces on the attendance grid (assignments/traces.py): a diary entry's
date, a check-in's local date, a confirmed trip's days. One query for every row of a sheet."""

from django.db.models import CharField, F, Value
from django.db.models.functions import TruncDate

from assignments import traces

from .models import CheckIn, DiaryEntry, Trip


def _spans(qs, start, end, kind):
    """(assignment id, first day, last day, kind) of ``qs``, in the shape every part of the union shares."""
    return (
        qs.order_by()
        .annotate(t_start=start, t_end=end, t_kind=Value(kind, output_field=CharField()))
        .values_list("assignment_id", "t_start", "t_end", "t_kind")
    )


def provider(assignment_ids, first, last):
    diary = _spans(
        DiaryEntry.objects.filter(assignment__in=assignment_ids, date__gte=first, date__lte=last),
        F("date"),
        F("date"),
        traces.DIARY,
    ).distinct()
    # A check-in's day is its local date (TruncDate uses the current time zone, Asia/Shanghai).
    checkins = _spans(
        CheckIn.objects.annotate(day=TruncDate("created_at")).filter(
            assignment__in=assignment_ids, day__gte=first, day__lte=last
        ),
        F("day"),
        F("day"),
        traces.CHECKIN,
    ).distinct()
    trips = _spans(
        Trip.objects.filter(
            assignment__in=assignment_ids,
            state=Trip.State.CONFIRMED,
            start_date__lte=last,
            end_date__gte=first,
        ),
        F("start_date"),
        F("end_date"),
        traces.TRIP,
    )
    return list(diary.union(checkins, trips, all=True))


def connect():
    traces.register(provider)
