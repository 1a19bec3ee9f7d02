"""Export layouts per region (docs/excel-layouts.md): which columns a roster or appraisal return
has, in which order and under which headings.

A province or a city may store one layout per return (``ExportLayout``); a county exports in the
nearest one above it — its city's, else its province's — and the built-in layout
(``workbook.BUILTIN``) stays available everywhere. The roster layout also shapes the cadres import
template (its columns that are cadre fields, under its headings) and its headings are accepted by
the cadres import (``import_headers``).
"""

from django.utils.translation import gettext as _

from villages.models import Region

from . import workbook
from .models import ExportLayout
from .workbook import FORMULA_STARTS

KINDS = ("roster", "appraisal")
MAX_HEADING = 30
LAYOUT_LEVELS = ("province", "city")
BUILTIN_CHOICE = "builtin"  # ?layout=builtin: the built-in layout, whatever the region's


def column_errors(kind, pairs):
    """[(key or None, message)] of what is wrong with ``pairs`` ((key, heading)) as a ``kind``
    layout; each message names the column and says how to fix it."""
    available = workbook.AVAILABLE.get(kind)
    if available is None:
        return [(None, _("Unknown return “%(kind)s”.") % {"kind": kind})]
    if not pairs:
        return [(None, _("Choose at least one column."))]
    errors, seen_keys, seen_headings = [], set(), {}
    for key, heading in pairs:
        field = available.get(key)
        if field is None:
            errors.append((None, _("Unknown column “%(key)s”.") % {"key": key}))
            continue
        if key in seen_keys:
            errors.append((key, _("The column “%(name)s” is chosen twice.") % {"name": field.heading}))
            continue
        seen_keys.add(key)
        heading = (heading or "").strip()
        name = field.heading
        if not heading:
            errors.append(
                (key, _("The heading of the column “%(name)s” is empty: enter a heading.") % {"name": name})
            )
        elif len(heading) > MAX_HEADING:
            errors.append(
                (
                    key,
                    _("The heading of the column “%(name)s” is %(n)d characters long: at most %(max)d.")
                    % {"name": name, "n": len(heading), "max": MAX_HEADING},
                )
            )
        elif heading.startswith(FORMULA_STARTS):
            errors.append(
                (
                    key,
                    _(
                        "The heading of the column “%(name)s” starts with “%(char)s”, which a spreadsheet "
                        "reads as a formula: start it with a letter, a digit or a Chinese character."
                    )
                    % {"name": name, "char": heading[0]},
                )
            )
        elif heading in seen_headings:
            errors.append(
                (
                    key,
                    _(
                        "The heading “%(heading)s” of the column “%(name)s” is also the heading of “%(other)s”: "
                        "give each column its own heading."
                    )
                    % {"heading": heading, "name": name, "other": seen_headings[heading]},
                )
            )
        else:
            seen_headings[heading] = name
    return errors


def region_of(user):
    """The region whose layouts apply to ``user``'s exports (a unit liaison: the unit's), or None."""
    if user.region_id:
        return user.region
    unit = getattr(user, "unit", None) if getattr(user, "unit_id", None) else None
    return unit.region if unit is not None and unit.region_id else None


def effective(region, kind):
    """The layout ``region`` exports ``kind`` in: its own (a province or city), else the nearest
    one above it (city before province); None: the built-in layout. One query."""
    if region is None:
        return None
    codes = [region.code, *region.ancestor_codes]
    found = list(ExportLayout.objects.filter(kind=kind, region__code__in=codes).select_related("region"))
    found.sort(key=lambda layout: -len(layout.region.prefix))  # the nearest first
    return found[0] if found else None


def chosen(user, kind, choice=""):
    """The (key, heading) pairs an export of ``kind`` by ``user`` is written in: the effective
    layout, or None (the built-in one) when ``choice`` is ``builtin`` or nothing applies."""
    if kind not in KINDS or choice == BUILTIN_CHOICE:
        return None
    layout = effective(region_of(user), kind)
    return layout.pairs if layout else None


def for_region(region, kind):
    """The layout ``region`` itself stores for ``kind``, or None."""
    return ExportLayout.objects.filter(region=region, kind=kind).first()


def save(region, kind, pairs, user):
    """Store ``pairs`` as ``region``'s ``kind`` layout (validated by the model)."""
    layout = for_region(region, kind) or ExportLayout(region=region, kind=kind)
    layout.columns = [{"key": key, "heading": heading.strip()} for key, heading in pairs]
    layout.updated_by = user
    layout.full_clean()
    layout.save()
    return layout


def layout_regions():
    """The regions that may hold a layout."""
    return Region.objects.filter(level__in=LAYOUT_LEVELS)


# --- the cadres import ------------------------------------------------------------------------------
def template_columns(import_columns, pairs):
    """[(import column, heading)] of the cadres import template for roster layout ``pairs``: the
    layout's columns that are cadre fields the import reads, in its order and under its headings,
    then the import's required columns the layout leaves out (under their own headers)."""
    by_attr = {c.attr: c for c in import_columns}
    available = workbook.AVAILABLE["roster"]
    result, used = [], set()
    for key, heading in pairs:
        field = available.get(key)
        col = by_attr.get(field.import_attr) if field else None
        if col is not None and col.attr not in used:
            result.append((col, heading))
            used.add(col.attr)
    result += [(c, c.header) for c in import_columns if c.required and c.attr not in used]
    return result


def import_headers():
    """({heading: import attr}, {heading}) over the stored roster layouts: the headings the cadres
    import accepts for a cadre field, and those it ignores (a layout's other columns, so a roster
    exported in a layout imports). A heading two layouts give different fields is left out."""
    available = workbook.AVAILABLE["roster"]
    aliases, ignored, clash = {}, set(), set()
    for columns in ExportLayout.objects.filter(kind="roster").values_list("columns", flat=True):
        for column in columns:
            field = available.get(column.get("key"))
            heading = column.get("heading")
            if field is None or not heading:
                continue
            if field.import_attr is None:
                ignored.add(heading)
            elif aliases.setdefault(heading, field.import_attr) != field.import_attr:
                clash.add(heading)
    for heading in clash:
        del aliases[heading]
    return aliases, ignored - aliases.keys()
