"""What the cadre's own records say about each day (record once): a diary entry, a check-in, a
confirmed trip (外出报备), approved leave. The grid shows them beside the township's marks and proposes
codes from them for an open sheet; the township still decides, saves and submits.

assignments sits below fieldwork (tests/test_layering.py), so it cannot read fieldwork's models:
fieldwork registers a provider here at start-up (fieldwork/apps.py). Leave is assignments' own and
comes from the grid's leave dates (no extra query).

A provider is ``provider(assignment_ids, first, last)`` giving (assignment id, first day, last day,
kind) tuples in one query, whatever the number of rows.
"""

import datetime

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models.attendance import BUSINESS, LEAVE, NOT_YET, PRESENT

DIARY, CHECKIN, TRIP, ON_LEAVE = "diary", "checkin", "trip", "leave"
# Order of the letters under a cell; the label names the record in the cell's title and the legend.
KINDS = {
    DIARY: (pgettext_lazy("grid trace letter: diary entry", "D"), _("Diary entry")),
    CHECKIN: (pgettext_lazy("grid trace letter: check-in", "C"), _("Check-in")),
    TRIP: (pgettext_lazy("grid trace letter: confirmed trip", "T"), _("Confirmed trip report")),
    ON_LEAVE: (pgettext_lazy("grid trace letter: approved leave", "L"), _("Approved leave")),
}

_providers = []


def register(provider):
    """Add a provider of traces (once: ready() may run more than once in tests)."""
    if provider not in _providers:
        _providers.append(provider)


def traces_for(assignment_ids, first, last, leave_dates=None):
    """{assignment id: {day index (0 = ``first``): set of kinds}} for the days ``first``–``last``.

    ``leave_dates`` ({assignment id: dates}, as the grid has them already) adds approved leave."""
    out = {}

    def add(pk, start, end, kind):
        d = max(start, first)
        while d <= min(end, last):
            out.setdefault(pk, {}).setdefault((d - first).days, set()).add(kind)
            d += datetime.timedelta(days=1)

    ids = list(assignment_ids)
    if ids:
        for provider in _providers:
            for pk, start, end, kind in provider(ids, first, last):
                add(pk, start, end, kind)
    for pk, dates in (leave_dates or {}).items():
        for d in dates:
            add(pk, d, d, ON_LEAVE)
    return out


def letters(kinds):
    return "".join(str(KINDS[k][0]) for k in KINDS if k in kinds)


def labels(kinds):
    return "、".join(str(KINDS[k][1]) for k in KINDS if k in kinds)


def legend():
    return [(str(letter), str(label)) for letter, label in KINDS.values()]


def propose(days, day_traces, cal, today, saved):
    """The codes the cadre's records propose for one row: (new days, [(day index, code, kinds)]).

    Only days the township has not decided change: every working day of a row never saved (it shows
    its defaults), and a day of a saved row still marked · (not yet recorded) once it has come. A
    confirmed trip proposes 差, approved leave 假, a diary entry or a check-in √. Rest days, days to
    come and days the township set (√ 差 假 × in a saved row) stay; × is never proposed, and a day
    without any record is left for the township to decide."""
    new, changes = list(days), []
    for i, code in enumerate(days):
        kinds = day_traces.get(i)
        if not kinds:
            continue
        day = cal.days[i]
        if day.is_rest or day.date > today:
            continue
        undecided = code == NOT_YET or (not saved and code == PRESENT)
        if not undecided:
            continue
        # The record that decides the mark is named with it (a trip day with a diary entry is 差).
        if ON_LEAVE in kinds:
            proposed, source = LEAVE, {ON_LEAVE}
        elif TRIP in kinds:
            proposed, source = BUSINESS, {TRIP}
        elif kinds & {DIARY, CHECKIN}:
            proposed, source = PRESENT, kinds & {DIARY, CHECKIN}
        else:
            continue
        if proposed != code:
            new[i] = proposed
            changes.append((i, proposed, source))
    return "".join(new), changes


def still_open(days, cal, today):
    """Day indexes still · (not yet recorded) although they have come: what a fill leaves to the
    township when no record of the cadre's speaks for them."""
    return [
        i
        for i, code in enumerate(days)
        if code == NOT_YET and cal.days[i].date <= today and not cal.days[i].is_rest
    ]


def untraced_present_days(days, day_traces, cal):
    """Day indexes marked √ with no record of the cadre's at all. Where the county has check-in on,
    this is a question for supervision to ask — never an absence by itself."""
    return [
        i
        for i, code in enumerate(days)
        if code == PRESENT and not day_traces.get(i) and not cal.days[i].is_rest
    ]
