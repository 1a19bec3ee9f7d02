"""Attendance pages: the township's month grid, its workflow, the county overview, allowances."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access
from accounts.models import Role
from config.generation import data_generation
from villages.models import Region

from . import attendance, leave, traces
from .models import Assignment, AttendanceRecord, AttendanceSheet, LeaveRequest, SpotCheck
from .models.attendance import MARKS, legend, to_codes

WEEKDAYS = [
    pgettext_lazy("weekday initial", "Mo"),
    pgettext_lazy("weekday initial", "Tu"),
    pgettext_lazy("weekday initial", "We"),
    pgettext_lazy("weekday initial", "Th"),
    pgettext_lazy("weekday initial", "Fr"),
    pgettext_lazy("weekday initial", "Sa"),
    pgettext_lazy("weekday initial", "Su"),
]


def _month_or_404(text):
    month = attendance.parse_month(text)
    if month is None or not 2000 <= month.year <= 2100:
        raise Http404
    return month


def _this_month():
    return timezone.localdate().replace(day=1)


@login_required
def index(request):
    user = request.user
    month = f"{_this_month():%Y-%m}"
    if user.role == Role.TOWNSHIP_CLERK and user.region_id:
        return redirect("attendance:sheet", user.region.code, month)
    return redirect("attendance:overview", month)


def _cells_html(
    cells, can_edit, leave_dates=frozenset(), today=None, discrepancies=None, day_traces=None, filled=()
):
    """A row's day cells, joined here rather than in a template loop or format_html_join: a
    township's month is ~900 cells, and both cost most of the page's time (docs/performance.md).
    Every value is escaped; codes and day kinds come from fixed sets. ``future`` and ``onleave``
    classes let the grid's script refuse what the server would refuse (P/A/B to come, L off leave).
    ``day_traces`` (assignments/traces.py) puts the cadre's own records under the mark as letters
    (data-t, drawn by CSS so the script's writes to the cell keep them); ``filled`` marks the days
    a fill from those records proposed."""
    parts = []
    discrepancies = discrepancies or {}
    day_traces = day_traces or {}
    drawn = {}
    for i, (code, day) in enumerate(cells):
        c = escape(code)
        m = escape(MARKS.get(code, code))
        tab = ' tabindex="0"' if can_edit and code != "-" else ""
        extra = (" future" if today and day.date > today else "") + (
            " onleave" if day.date in leave_dates else ""
        )
        found = ""
        kinds = day_traces.get(i)
        said = ""
        if kinds:
            key = frozenset(kinds)
            if key not in drawn:  # a handful of combinations over the whole grid
                said = escape(_("The cadre's records: %(kinds)s") % {"kinds": traces.labels(kinds)})
                drawn[key] = (escape(traces.letters(kinds)), said)
            letters, said = drawn[key]
            found = f' data-t="{letters}" data-traces="{said}" title="{said}"'
        if i in filled:
            extra += " filled"
        check = discrepancies.get(day.date)
        if check is not None:
            # A spot check found the cadre away on a day the sheet records in the village.
            text = escape(
                _(
                    "Discrepancy: a spot check on %(date)s found the cadre away (不在岗); the sheet says %(code)s."
                )
                % {"date": day.date.isoformat(), "code": MARKS.get(code, code)}
            )
            extra += " discrepancy"
            if kinds:
                found = f' data-t="{letters}" data-traces="{said}"'
            title = f"{text} {said}" if said else text
            found += f' title="{title}" data-found="{title}"'
        parts.append(f'<td class="cell {escape(day.kind)}{extra} code-{c}" data-i="{i}"{tab}{found}>{m}</td>')
    return mark_safe("".join(parts))


@login_required
@require_http_methods(["GET", "POST"])
def sheet(request, code, month):
    month = _month_or_404(month)
    if request.method == "POST":
        if "fill" in request.POST:
            return _fill(request, code, month)
        return _save(request, code, month)
    township = access.get_object_or_404(request.user, Region.objects.townships(), code=code)
    # A GET never writes: a month nobody has saved yet is shown from its defaults, and the sheet is
    # created by the first save.
    sheet = _sheet_of(township, month)
    can_edit = sheet.is_open and access.can(request.user, access.KEEP_ATTENDANCE, sheet)
    today = timezone.localdate()
    part, data = _grid_part(request, sheet, can_edit, today)
    return _render_sheet(request, sheet, part, data, can_edit)


def _sheet_of(township, month):
    sheet = (
        AttendanceSheet.objects.select_related("updated_by", "submitted_by", "approved_by")
        .filter(township=township, month=month)
        .first()
    ) or AttendanceSheet(township=township, month=month)
    sheet.township = township
    return sheet


def _render_sheet(request, sheet, part, data, can_edit, **extra):
    month = sheet.month
    return render(
        request,
        "assignments/sheet.html",
        {
            "sheet": sheet,
            **part,
            # The rows, calendar and history as data: read from the cache only if something uses
            # them (the page itself shows the drawn HTML).
            "rows": SimpleLazyObject(lambda: data()["rows"]),
            "calendar": SimpleLazyObject(lambda: data()["calendar"]),
            "history": SimpleLazyObject(lambda: data()["history"]),
            "can_edit": can_edit,
            "can_submit": sheet.is_open and access.can(request.user, access.KEEP_ATTENDANCE, sheet),
            "can_approve": access.can(request.user, access.APPROVE_ATTENDANCE, sheet),
            "legend": legend(),
            "trace_legend": traces.legend(),
            "marks": "".join(code + mark for code, mark in MARKS.items()),
            "prev": (month - datetime.timedelta(days=1)).replace(day=1),
            "next": (month + datetime.timedelta(days=32)).replace(day=1),
            **extra,
        },
    )


def _fill(request, code, month):
    """Fill from the cadre's records (record once): the grid as the clerk has it in the form, with
    the days the township has not decided proposed from the cadre's records (assignments/traces.py
    propose). Shown for review, never saved here: the township saves and submits as always."""
    township = access.get_object_or_404(request.user, Region.objects.townships(), code=code)
    sheet = _sheet_of(township, month)
    access.require(request.user, access.KEEP_ATTENDANCE, sheet)
    if not sheet.is_open:
        messages.error(
            request,
            _("The sheet for %(month)s is %(state)s and cannot be changed; the county can reopen it.")
            % {"month": f"{month:%Y-%m}", "state": sheet.get_state_display()},
        )
        return redirect(sheet)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = sheet.version
    posted, original = {}, {}
    for key, value in request.POST.items():
        if key.startswith("row-") and key[4:].isdigit():
            posted[int(key[4:])] = to_codes(value)
        elif key.startswith("orig-") and key[5:].isdigit():
            original[int(key[5:])] = value
    today = timezone.localdate()
    filled_rows = []

    def prepare(rows, cal):
        filled = {}
        for row in rows:
            pk = row.assignment.pk
            # Start from what the form holds (the clerk's unsaved changes stay), when it is whole.
            if len(posted.get(pk, "")) == len(row.days):
                row.days = posted[pk]
            row.original = original.get(pk) or (row.record.days if row.record else row.days)
            before = row.present
            row.days, changes = traces.propose(row.days, row.traces, cal, today, row.saved)
            if row.quarter_required:
                row.quarter_present += row.present - before
            if row.year_required:
                row.year_present += row.present - before
            row.cell_list = row.cells(cal)
            left = ", ".join(str(i + 1) for i in traces.still_open(row.days, cal, today))
            if changes:
                row.filled = True
                filled[pk] = {i for i, _c, _k in changes}
            if changes or left:
                filled_rows.append((row, _fill_summary(changes, cal), left))
        return filled

    part, data = _compute_grid_part(request, sheet, True, today, prepare=prepare)
    # The form goes back with the version the clerk loaded: a save by someone else meanwhile is
    # still found out when this one is saved.
    sheet.version = version
    return _render_sheet(
        request,
        sheet,
        part,
        lambda: data,
        True,
        fill_report=filled_rows,
        fill_shown=True,
        fill_any=any(groups for _r, groups, _l in filled_rows),
    )


def _fill_summary(changes, cal):
    """[(mark, what the records say, day numbers)] for one row's proposed days, grouped."""
    groups = {}
    for i, code, kinds in changes:
        groups.setdefault((code, traces.labels(kinds)), []).append(cal.days[i].date.day)
    return [(MARKS.get(code, code), said, ", ".join(map(str, days))) for (code, said), days in groups.items()]


# The grid, its rows and its history change only when the data under them does: cached by the data
# generation (config/generation.py) and the sheet's version, which is read first, so a cached grid is
# never older than the version a save will be checked against (docs/architecture.md).
GRID_CACHE_SECONDS = 300


def _grid_key(request, sheet, can_edit, today):
    user = request.user
    return ":".join(
        str(v)
        for v in (
            "grid",
            sheet.pk,
            sheet.version,
            sheet.state,
            data_generation(request),
            today,
            translation.get_language(),
            can_edit,
            user.role,
            user.region_id,
            user.unit_id,
        )
    )


def _grid_part(request, sheet, can_edit, today):
    """(what the page shows, a function giving the rows, calendar and history as data)."""
    key = _grid_key(request, sheet, can_edit, today)
    part = cache.get(key)
    if part is None:
        part, data = _compute_grid_part(request, sheet, can_edit, today)
        cache.set_many({key: part, key + ":data": data}, GRID_CACHE_SECONDS)
        return part, lambda: data

    def data():
        found = cache.get(key + ":data")
        return found if found is not None else _compute_grid_part(request, sheet, can_edit, today)[1]

    return part, data


def _compute_grid_part(request, sheet, can_edit, today, prepare=None):
    """``prepare(rows, calendar)`` (the fill) may change the rows' days before they are drawn and
    gives {assignment id: day indexes it filled}."""
    data = attendance.grid(sheet)
    # The rows the user sees: a unit liaison sees the township's sheet for its own cadres only
    # (another unit's cadres are outside its jurisdiction; their pages answer it 404).
    shown = set(
        access.scope(
            request.user, Assignment.objects.filter(pk__in=[r.assignment.pk for r in data["rows"]])
        ).values_list("pk", flat=True)
    )
    rows = [r for r in data["rows"] if r.assignment.pk in shown]
    filled = prepare(rows, data["calendar"]) if prepare else {}
    for row in rows:
        row.cells_html = _cells_html(
            row.cell_list,
            can_edit,
            row.leave_dates,
            today,
            row.discrepancies,
            row.traces,
            filled.get(row.assignment.pk, ()),
        )
        del row.cell_list  # drawn: not kept in the cache
    cal = data["calendar"]
    headers = [(day, WEEKDAYS[day.date.weekday()]) for day in cal.days]
    history = (
        attendance.history(
            sheet, limit=50, records=access.scope(request.user, AttendanceRecord.objects.filter(sheet=sheet))
        )
        if sheet.pk
        else []
    )
    grid_html = render_to_string(
        "assignments/_sheet_grid.html",
        {"rows": rows, "headers": headers, "can_edit": can_edit},
        request=request,
    )
    history_html = render_to_string("assignments/_sheet_history.html", {"history": history}, request=request)
    part = {
        # Rendered by the template engine just above: safe to insert as they are.
        "grid_html": mark_safe(grid_html),  # noqa: S308
        "history_html": mark_safe(history_html),  # noqa: S308
        "row_count": len(rows),
        "calendar_official": cal.official,
        "calendar_year": cal.year,
        "policy": data["policy"],
        "below": sum(1 for r in rows if r.shortfall),
        "submit_from": sheet.submittable_from(today, policy=data["policy"], cal=cal),
    }
    return part, {"rows": rows, "calendar": cal, "history": history}


def _save(request, code, month):
    township = access.get_object_or_404(request.user, Region.objects.townships(), code=code)
    access.require(request.user, access.KEEP_ATTENDANCE, AttendanceSheet(township=township, month=month))
    # A month nobody has saved yet has no sheet: save_grid creates it with the first valid save, so a
    # refused save writes nothing.
    sheet = AttendanceSheet.objects.filter(township=township, month=month).first() or AttendanceSheet(
        township=township, month=month
    )
    sheet.township = township
    posted, original = {}, {}
    for key, value in request.POST.items():
        if key.startswith("row-") and key[4:].isdigit():
            posted[int(key[4:])] = value
        elif key.startswith("orig-") and key[5:].isdigit():
            original[int(key[5:])] = value
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        messages.error(
            request, _("The form is incomplete (no sheet version); reload the page and try again.")
        )
        return redirect(sheet)
    try:
        saved = attendance.save_grid(sheet, posted, version, request.user, original)
    except attendance.GridError as exc:
        for message in exc.messages[:30]:
            messages.error(request, message)
        if len(exc.messages) > 30:
            messages.error(request, _("… and %(n)d more problems.") % {"n": len(exc.messages) - 30})
        messages.error(request, _("Nothing was saved."))
    except attendance.Conflict as exc:
        who = str(exc.sheet.updated_by or _("someone"))
        when = timezone.localtime(exc.sheet.updated_at).strftime("%H:%M:%S") if exc.sheet.updated_at else ""
        messages.error(
            request,
            _("%(who)s saved this sheet at %(when)s after you opened it; your changes were not saved.")
            % {"who": who, "when": when},
        )
        for name, days in exc.changed_rows:
            messages.warning(
                request,
                _("%(name)s: days %(days)s were changed.")
                % {"name": name, "days": ", ".join(map(str, days))},
            )
        messages.info(request, _("The page now shows the saved sheet; enter your changes again."))
    else:
        messages.success(request, _("Saved %(n)d rows.") % {"n": saved})
    return redirect(sheet)


@login_required
@require_POST
def sheet_action(request, code, month, action):
    month = _month_or_404(month)
    sheet = access.get_object_or_404(
        request.user, AttendanceSheet.objects.select_related("township"), township__code=code, month=month
    )
    needed = access.KEEP_ATTENDANCE if action == "submit" else access.APPROVE_ATTENDANCE
    access.require(request.user, needed, sheet)
    try:
        if action == "submit":
            sheet.submit(request.user)
            messages.success(request, _("The sheet is submitted to the county."))
        elif action == "approve":
            sheet.approve(request.user)
            messages.success(request, _("The sheet is approved; it is now read-only."))
        elif action == "reopen":
            sheet.reopen(request.user, request.POST.get("reason", ""))
            messages.success(request, _("The sheet is reopened for correction."))
        else:
            raise Http404
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(sheet)


@login_required
def overview(request, month):
    month = _month_or_404(month)
    user = request.user
    townships = access.scope(user, Region.objects.townships())
    sheets = AttendanceSheet.objects.filter(township=OuterRef("pk"), month=month)
    records = access.scope(user, AttendanceRecord.objects.filter(sheet__month=month))
    below = dict(
        records.below_minimum()
        .values("sheet__township")
        .annotate(n=Count("pk"))
        .values_list("sheet__township", "n")
    )
    counted = dict(
        records.values("sheet__township").annotate(n=Count("pk")).values_list("sheet__township", "n")
    )
    rows = list(
        townships.annotate(state=Subquery(sheets.values("state")[:1]))
        .order_by("code")
        .values("pk", "code", "name", "state")
    )
    states = dict(AttendanceSheet.State.choices)
    for row in rows:
        row["state_label"] = states.get(row["state"], _("Not started"))
        row["below"] = below.get(row["pk"], 0)
        row["records"] = counted.get(row["pk"], 0)
    first, last = attendance.month_bounds(month)
    checks = access.scope(user, SpotCheck.objects.filter(date__gte=first, date__lte=last))
    found = leave.discrepancies(checks).select_related("assignment__cadre", "assignment__village__township")
    pending = leave.mark_leaves(
        access.scope(user, LeaveRequest.objects.filter(state="pending", approval_level="county"))
        .select_related("assignment__cadre", "assignment__village__township")
        .order_by("start_date")
    )
    below_list = (
        records.below_minimum()
        .select_related("assignment__cadre", "assignment__village", "sheet__township")
        .order_by("sheet__township__code", "assignment__cadre__name")[:100]
    )
    # Quarterly and yearly minimums: the last quarter (and year) finished by the end of this month.
    as_of = min(timezone.localdate(), last + datetime.timedelta(days=1))
    behind_periods = attendance.behind_lately(access.scope(user, Assignment.objects.all()), as_of)
    return render(
        request,
        "assignments/overview.html",
        {
            "month": month,
            "behind_periods": behind_periods,
            "behind_quarter": attendance.last_finished_quarter(as_of),
            "rows": rows,
            "discrepancies": found,
            "pending": pending,
            "below_list": below_list,
            "prev": (month - datetime.timedelta(days=1)).replace(day=1),
            "next": (month + datetime.timedelta(days=32)).replace(day=1),
        },
    )


@login_required
def allowance(request, month):
    month = _month_or_404(month)
    records = access.scope(request.user, AttendanceRecord.objects.all())
    township_code = request.GET.get("township")
    if township_code and not (
        township_code.isascii() and township_code.isdigit() and len(township_code) == 12
    ):
        messages.error(
            request, _("The township filter is not a 12-digit township code; showing every township.")
        )
        township_code = None
    if township_code:
        records = records.filter(sheet__township__code=township_code)
    paid, unapproved = attendance.allowance_records(records, month)
    groups, grand = {}, {"days": 0, "amount": 0, "count": 0, "unapproved": 0}
    for r in paid:
        r.amount = attendance.payable_allowance(r)
        g = groups.setdefault(
            r.sheet.township_id, {"township": r.sheet.township, "rows": [], "days": 0, "amount": 0}
        )
        g["rows"].append(r)
        g["days"] += r.present_days
        g["amount"] += r.amount
        grand["days"] += r.present_days
        grand["amount"] += r.amount
        grand["count"] += 1
    unapproved = list(unapproved)
    grand["unapproved"] = len(unapproved)
    return render(
        request,
        "assignments/allowance.html",
        {
            "month": month,
            "groups": groups.values(),
            "grand": grand,
            "unapproved": unapproved,
            "townships": access.scope(request.user, Region.objects.townships()),
            "township_code": township_code or "",
        },
    )
