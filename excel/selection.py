"""What an export started from a page writes: the rows that page shows.

A page's export link carries the page's own parameters. ``read(kind, user, data)`` turns them into a
``Selection``: ``scope``, the function ``exports.build`` narrows each queryset with (the user's
jurisdiction through ``accounts.access``, then the page's choice); ``label``, the place and the
filters the workbook's title and file name state; ``query``, the parameters a background export
reads again (``excel.tasks``); ``shown``, the people an appraisal export lists.

- roster, coverage — the village list: its filters, read by the list's own filter set
  (``assignments.filters.VillageFilter`` through ``filters.selected``): the coverage of the villages
  the list shows, every page of them, and the roster of the cadres serving in those villages.
- attendance, allowance — a township's sheet, the allowance page: ``township`` (a township code),
  looked up within the jurisdiction as the sheet page looks it up, so a township outside it answers
  404: that township's records only.
- appraisal — the round page: ``township`` and ``role``, read and applied by the round page's own
  filters (``appraisal.filters``); the quota line still counts the whole round.

Without these parameters (the exports page): everything in the jurisdiction.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.http import QueryDict
from django.utils.translation import gettext_lazy, override

from accounts import access
from appraisal import filters as round_filters
from assignments import filters as list_filters
from assignments.models import Assignment, AttendanceRecord
from villages.models import Region, Village

from . import exports

VILLAGE_LIST = ("roster", "coverage")
TOWNSHIP_MONTH = ("attendance", "allowance")
ROUND_PAGE = ("township", "role")

# Characters a file name may not hold (the label is part of the workbook's file name).
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass
class Selection:
    scope: Callable
    label: str
    query: str = ""
    shown: Callable | None = None


def _params(kind):
    if kind in VILLAGE_LIST:
        return list(list_filters.VillageFilter.base_filters)
    if kind in TOWNSHIP_MONTH:
        return ["township"]
    if kind == "appraisal":
        return list(ROUND_PAGE)
    return []


def _query(kind, data):
    """The page's parameters this export reads, as a query string (kept by a background job)."""
    query = QueryDict(mutable=True)
    for name in _params(kind):
        values = [v for v in data.getlist(name) if v]
        if values:
            query.setlist(name, values)
    return query.urlencode()


def _label(place, chosen):
    """``place``, then the filters as 「name：value」 pairs, in Chinese like the rest of the workbook."""
    if not chosen:
        return place
    with override(exports.LANGUAGE):
        text = "；".join(f"{name}：{value}" for name, value in chosen)
    return f"{place}（{_UNSAFE.sub('', text)}）"


def _chosen(filterset):
    """(label, value label) of each filter the list applies, in the order of its form."""
    chosen = []
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, "", [], ()):
            continue
        field = filterset.form.fields[name]
        if isinstance(value, Region):
            text = value.name
        else:
            text = dict(getattr(field, "choices", ())).get(value, value)
        chosen.append((field.label, text))
    return chosen


def read(kind, user, data, *, place, round_=None):
    """The selection of export ``kind`` for ``user`` from the page parameters ``data`` (a QueryDict:
    the request's, or a background job's ``query``). ``place`` names the jurisdiction (the title's
    place when nothing narrower is chosen). Raises Http404 for a township outside the jurisdiction."""

    def jurisdiction(queryset):
        return access.scope(user, queryset)

    query = _query(kind, data)
    data = QueryDict(query)
    if kind in VILLAGE_LIST and data:
        villages, filterset = list_filters.selected(
            list_filters.VillageFilter, data, jurisdiction(Village.objects.all()), user=user
        )
        if filterset is not None:

            def scope(queryset):
                if queryset.model is Village:
                    return queryset.filter(pk__in=villages.values("pk"))
                if queryset.model is Assignment:
                    return jurisdiction(queryset).filter(village__in=villages.values("pk"))
                return jurisdiction(queryset)

            return Selection(scope, _label(place, _chosen(filterset)), query)
    if kind in TOWNSHIP_MONTH and data.get("township"):
        township = access.get_object_or_404(user, Region.objects.townships(), code=data["township"])

        def scope(queryset):
            narrowed = jurisdiction(queryset)
            if queryset.model is AttendanceRecord:
                return narrowed.filter(sheet__township=township)
            return narrowed

        return Selection(scope, township.name, query)
    if kind == "appraisal" and round_ is not None and data:
        filters = round_filters.round_filters(round_, user, data)
        chosen = []
        if filters["township"]:
            chosen.append((gettext_lazy("Township"), filters["township"].name))
        if filters["role"]:
            chosen.append((gettext_lazy("Role"), dict(Assignment.Role.choices)[filters["role"]]))
        if chosen:
            return Selection(
                jurisdiction,
                _label(place, chosen),
                query,
                shown=lambda facts: round_filters.shows(filters, facts),
            )
    return Selection(jurisdiction, place, "")
