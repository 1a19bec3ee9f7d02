"""The figures on each role's home page, computed in a constant number of grouped queries.

Compliance is counted on approved sheets only: a month's figure is the share of cadres on approved
sheets whose days in the village reach their (pro-rated) minimum. A sheet still being filled says
nothing yet, so approving a sheet is what moves the county's figure.
"""

import datetime
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts import access
from accounts.models import Role
from appraisal.models import Appraisal, AppraisalRound, Grade
from assignments import attendance, coverage, leave
from assignments.models import (
    Assignment,
    AttendanceRecord,
    AttendanceSheet,
    LeaveRequest,
    SpotCheck,
)
from assignments.models.attendance import month_bounds
from config.generation import data_generation
from villages.models import Region, Village

from . import charts

APPROVED = AttendanceSheet.State.APPROVED


def first_of_month(day):
    return day.replace(day=1)


def months_back(month, n):
    """The n months ending with ``month``, oldest first."""
    months = [month]
    for _ in range(n - 1):
        months.append(first_of_month(months[-1] - datetime.timedelta(days=1)))
    return months[::-1]


@dataclass
class Compliance:
    records: int = 0  # cadre-months with a record this month
    approved: int = 0  # of which on approved sheets
    compliant: int = 0  # of which reach the minimum

    @property
    def rate(self):
        """Percent of approved records at or above the minimum; None before any approval."""
        return round(100 * self.compliant / self.approved) if self.approved else None


def _compliance_counts(records, key):
    rows = (
        records.order_by()
        .values(key)
        .annotate(
            records=Count("pk"),
            approved=Count("pk", filter=Q(sheet__state=APPROVED)),
            compliant=Count("pk", filter=Q(sheet__state=APPROVED, present_days__gte=F("required_days"))),
        )
    )
    return {r[key]: Compliance(r["records"], r["approved"], r["compliant"]) for r in rows}


def compliance_by(records, month, key):
    """{group value: Compliance} for one month; key is e.g. "sheet__township"."""
    return _compliance_counts(records.filter(sheet__month=month), key)


def compliance_trend(records, months):
    """[(month, Compliance)] for the given months, in one query."""
    counts = _compliance_counts(records.filter(sheet__month__in=months), "sheet__month")
    return [(m, counts.get(m, Compliance())) for m in months]


def total(compliances):
    t = Compliance()
    for c in compliances:
        t.records += c.records
        t.approved += c.approved
        t.compliant += c.compliant
    return t


@dataclass
class Bar:
    label: str
    value: int | None  # percent, None = nothing approved yet
    url: str
    note: str = ""
    detail: Compliance = field(default_factory=Compliance)


def _scoped(user, queryset, region):
    qs = access.scope(user, queryset)
    return qs.in_region(region) if region is not None else qs


def region_figures(user, region, today=None, month=None):
    """What a county admin, a city or a province sees; ``region`` narrows the user's own scope.

    The compliance chart shows ``month`` when given; otherwise this month once any of its sheets
    is approved, and last month until then (sheets are approved after the month ends).
    """
    today = today or timezone.localdate()
    chosen = month
    month = first_of_month(today)
    year = today.year
    villages = _scoped(user, Village.objects.all(), region)
    assignments = _scoped(user, Assignment.objects.all(), region)
    serving = assignments.serving_on(today)
    records = _scoped(user, AttendanceRecord.objects.all(), region)
    sheets = _scoped(user, AttendanceSheet.objects.all(), region)
    leave_qs = _scoped(user, LeaveRequest.objects.all(), region)
    checks = _scoped(user, SpotCheck.objects.filter(date__year=year), region)
    rounds = _scoped(user, AppraisalRound.objects.all(), region)

    county_level = region is not None and region.level == Region.Level.COUNTY
    if county_level:
        groups = list(_scoped(user, Region.objects.townships(), region).order_by("code"))
        key = "sheet__township"
    else:
        counties = Region.objects.filter(level=Region.Level.COUNTY)
        groups = list(
            _scoped(user, counties, region).order_by("code") if region else counties.order_by("code")
        )
        key = "sheet__township__parent"
    chart_month = chosen or month
    by_group = compliance_by(records, chart_month, key)
    if chosen is None and not total(by_group.values()).approved:
        chart_month = months_back(month, 2)[0]
        by_group = compliance_by(records, chart_month, key)
    bars = []
    for g in groups:
        c = by_group.get(g.pk, Compliance())
        url = (
            reverse("attendance:sheet", args=[g.code, f"{chart_month:%Y-%m}"])
            if county_level
            else reverse("home") + f"?region={g.code}"
        )
        bars.append(Bar(g.name, c.rate, url, detail=c))
    trend = compliance_trend(records, months_back(month, 12))
    overview = "attendance:overview"
    trend_chart = charts.columns(
        [(f"{m:%m}", c.rate, reverse(overview, args=[f"{m:%Y-%m}"])) for m, c in trend]
    )
    soon = today + datetime.timedelta(days=90)
    latest_round = rounds.select_related("county").order_by("-year", "kind").first()
    round_counts = None
    if latest_round is not None:
        round_counts = Appraisal.objects.filter(round=latest_round).aggregate(
            total=Count("pk"),
            graded=Count("pk", filter=~Q(grade="") & ~Q(grade=Grade.UNGRADED)),
            excellent=Count("pk", filter=Q(grade=Grade.EXCELLENT)),
        )
    return {
        "region": region,
        "county_level": county_level,
        "month": month,
        "chart_month": chart_month,
        "summary": coverage.summary(villages, today),
        "gaps": coverage.filter_state(
            coverage.annotate(villages.select_related("township"), today), "gap"
        ).order_by("code")[:15],
        "serving_count": serving.count(),
        "secretary_count": serving.filter(role=Assignment.Role.FIRST_SECRETARY).count(),
        "bars": bars,
        "bar_chart": charts.bars([(b.label, b.detail.rate, b.url) for b in bars]),
        "trend_chart": trend_chart,
        "month_total": total(
            (compliance_by(records, month, key) if chart_month != month else by_group).values()
        ),
        "chart_total": total(by_group.values()),
        "prev_month": months_back(chart_month, 2)[0],
        "next_month": first_of_month(chart_month + datetime.timedelta(days=32)),
        "trend": trend,
        "ending_soon": serving.filter(end_date__isnull=True, planned_end_date__lte=soon)
        .select_related("cadre", "village")
        .order_by("planned_end_date")[:10],
        "ending_soon_count": serving.filter(end_date__isnull=True, planned_end_date__lte=soon).count(),
        "pending_county_leave": leave_qs.filter(
            state=LeaveRequest.State.PENDING, approval_level=LeaveRequest.Level.COUNTY
        )
        .select_related("assignment__cadre", "assignment__village")
        .order_by("start_date")[:10],
        "pending_leave_count": leave_qs.filter(state=LeaveRequest.State.PENDING).count(),
        "submitted_sheets": sheets.filter(state=AttendanceSheet.State.SUBMITTED)
        .select_related("township")
        .order_by("month", "township__code")[:10],
        "submitted_count": sheets.filter(state=AttendanceSheet.State.SUBMITTED).count(),
        "discrepancy_count": leave.count_discrepancies(checks),
        "flagged": leave.over_leave_cap_all(serving, year),
        "behind_periods": attendance.behind_lately(assignments, today),
        "latest_round": latest_round,
        "round_counts": round_counts,
    }


# Home-page tiles that count a duty of the to-do list: (tile, to-do kind). On the user's own home
# page the to-do count is the tile's number, so the tile, the header's badge and the to-do page
# are one figure; a drill-down into a smaller region shows that region's own figure.
TODO_TILES = [
    ("sheets_waiting", "approve_sheet"),
    ("leave_to_decide", "decide_leave"),
    ("no_secretary", "replace_secretary"),
    ("behind_periods", "behind_minimum"),
    ("flagged", "recall"),
]


def tile_counts(figures, todo_counts=None):
    """{tile: number} for a home page; ``todo_counts`` (dashboard.todos.counts) decides the duties."""
    tiles = {
        "sheets_waiting": figures.get("submitted_count"),
        "leave_to_decide": figures.get("pending_leave_count", len(figures.get("pending_leave") or [])),
        "no_secretary": (figures.get("summary") or {}).get("no_secretary"),
        "behind_periods": len(figures.get("behind_periods") or []),
        "flagged": len(figures.get("flagged") or []),
    }
    for tile, kind in TODO_TILES:
        if todo_counts is not None and kind in todo_counts:
            tiles[tile] = todo_counts[kind]
    if todo_counts:  # a user with duties (viewers have none)
        tiles["todo"] = sum(todo_counts.values())
    return tiles


def clerk_figures(user, today=None):
    """A township clerk's month: the sheet, who is behind so far, leave to decide, recent checks."""
    today = today or timezone.localdate()
    month = first_of_month(today)
    township = user.region
    sheet = AttendanceSheet.objects.filter(township=township, month=month).first()
    records = []
    if sheet is not None:
        records = list(
            sheet.records.select_related("assignment__cadre", "assignment__village").order_by(
                "assignment__village__code", "assignment__cadre__name"
            )
        )
    cal = attendance.calendar_for(township, month)
    behind = [
        {"record": r, "so_far": so_far, "expected": expected}
        for r, so_far, expected in attendance.behind_so_far(records, cal, today)
    ]
    assignments = access.scope(user, Assignment.objects.all())
    serving = assignments.serving_on(today).count()
    leave_qs = access.scope(user, LeaveRequest.objects.all())
    return {
        "township": township,
        "month": month,
        "sheet": sheet,
        "record_count": len(records),
        "serving_count": serving,
        "behind": behind,
        "behind_periods": attendance.behind_lately(assignments, today),
        "elapsed": min(today, month_bounds(month)[1]).day,
        "pending_leave": leave_qs.filter(
            state=LeaveRequest.State.PENDING, approval_level=LeaveRequest.Level.TOWNSHIP
        )
        .select_related("assignment__cadre", "assignment__village")
        .order_by("start_date")[:10],
        "recent_checks": leave.with_findings(access.scope(user, SpotCheck.objects.all()))
        .select_related("assignment__cadre", "assignment__village")
        .order_by("-date", "-pk")[:8],
        "open_sheets": AttendanceSheet.objects.filter(township=township, state=AttendanceSheet.State.OPEN)
        .exclude(month=month)
        .order_by("month")[:6],
    }


def liaison_figures(user, today=None):
    """A dispatching unit's cadres: where they serve, last month's attendance, latest grades."""
    today = today or timezone.localdate()
    last_month = first_of_month(first_of_month(today) - datetime.timedelta(days=1))
    assignments = list(
        access.scope(user, Assignment.objects.all())
        .serving_on(today)
        .select_related("cadre", "village__township")
        .order_by("village__code", "cadre__name")
    )
    ids = [a.pk for a in assignments]
    recs = {
        r.assignment_id: r
        for r in AttendanceRecord.objects.filter(assignment_id__in=ids, sheet__month__gte=last_month)
        .select_related("sheet")
        .order_by("sheet__month")
    }
    grades = {}
    for a in (
        access.scope(user, Appraisal.objects.filter(cadre__in={a.cadre_id for a in assignments}))
        .select_related("round")
        .order_by("round__year", "round__kind")
    ):
        grades[a.cadre_id] = a  # a person is appraised: the latest appraisal of the cadre
    for a in assignments:
        a.latest_record = recs.get(a.pk)
        a.latest_appraisal = grades.get(a.cadre_id)
    return {"unit": user.unit, "assignments": assignments, "month": last_month}


# City and province viewers read figures over thousands of villages and act on none of them; their
# dashboards are computed at most once per VIEWER_CACHE_SECONDS per region (and per process).
VIEWER_CACHE_SECONDS = 300
LIVE_CACHE_SECONDS = 300  # bounds the one gap a generation key leaves (docs/architecture.md)


def viewer_figures(user, region, month=None):
    """region_figures, cached. A county's figures are cached by the data generation, so they are
    always live (any write moves it: config/generation.py); read-only viewers above the county get
    figures up to VIEWER_CACHE_SECONDS old (the page says when they were computed), since at their
    scale some write somewhere moves the generation almost every second."""
    today = timezone.localdate()
    if user.role not in (Role.PROVINCE, Role.CITY):
        key = ":".join(
            [
                "dashboard-live",
                str(user.role),
                str(user.region_id),
                region.code if region else "-",
                str(month),
                str(today),
                str(data_generation()),
            ]
        )
        figures = cache.get(key)
        if figures is None:
            figures = region_figures(user, region, today=today, month=month)
            figures = {k: list(v) if isinstance(v, QuerySet) else v for k, v in figures.items()}
            cache.set(key, figures, LIVE_CACHE_SECONDS)
        return figures
    key = ":".join(
        ["dashboard", user.role, str(user.region_id), region.code if region else "-", str(month), str(today)]
    )
    figures = cache.get(key)
    if figures is None:
        figures = region_figures(user, region, today=today, month=month)
        figures = {k: list(v) if isinstance(v, QuerySet) else v for k, v in figures.items()}
        figures["computed_at"] = timezone.now()
        cache.set(key, figures, VIEWER_CACHE_SECONDS)
    return figures


def latest_plan_figures(user, region):
    """The county's latest finished check plan (精准督查) and its figures — whether the risk-selected
    checks find more than the random ones — for the county home; None below or above a county."""
    from supervision import plans
    from supervision.models import SpotCheckPlan

    if region is None or region.level != Region.Level.COUNTY:
        return None
    this_month = timezone.localdate().replace(day=1)
    visible = access.scope(user, SpotCheckPlan.objects.filter(region=region)).order_by("-month", "-pk")
    plan = visible.filter(month__lt=this_month).first() or visible.first()
    return {"plan": plan, "figures": plans.figures(plan)} if plan else None
