"""Excel exports (花名册, 考勤表, 考核结果, 选派覆盖统计, 生活补助发放表).

Each ``build_*`` function takes querysets ALREADY scoped to the caller's jurisdiction (views scope with
``accounts.access.scope(user, …)``, the ``export`` command with ``Model.objects.in_region(region)``),
the period, and a binary file-like object to write the workbook to. ``build(kind, scope, out, …)``
dispatches by kind with ``scope`` a function that narrows a queryset.

Workbooks are written with openpyxl in write-only mode and rows stream from the database with
``.iterator(chunk_size=…)`` and ``select_related``: memory stays flat and the number of queries does
not grow with the row count. A sheet that would pass Excel's 1,048,576 rows continues on another sheet
(title and headers repeated).

The Chinese column headers, titles and legend are data, not UI: they are the column names of the
official paper forms and stay Chinese whatever the user's language. Labels of coded values come from
the models' choices, rendered with Chinese active.
"""

import datetime
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.access import mask_id_number
from appraisal import rules as appraisal_rules
from appraisal.models import Appraisal, AppraisalRound
from assignments import attendance as attendance_rules
from assignments import coverage as coverage_rules
from assignments.models import Assignment, AttendanceRecord
from assignments.models.attendance import BUSINESS, OUTSIDE, legend, month_bounds, to_marks
from villages.models import Region, Village

from .numerals import amount_capitals
from .workbook import (  # noqa: F401 (names the views, tasks and tests read from here)
    _BORDER,
    _CENTER,
    _HEADER_FILL,
    _HOLIDAY_FILL,
    _TITLE_FONT,
    APPRAISAL_COLUMNS,
    CHUNK,
    CONTENT_TYPE,
    DATE,
    LANGUAGE,
    MONEY,
    MONTH,
    ROSTER_COLUMNS,
    Column,
    Sheet,
    _text_width,
    _workbook,
    cn_date,
    layout_fields,
    progress_hook,
    safe,
    text_cell,
)

# Official names of the exports (data: the forms' titles).
KINDS = {
    "roster": "驻村干部花名册",
    "attendance": "驻村干部考勤表",
    "appraisal": "驻村干部考核结果",
    "coverage": "选派覆盖统计",
    "allowance": "驻村干部生活补助发放表",
}


# The forms' titles as the office names them: "莱阳市" + "驻村第一书记和工作队员花名册".
FORMS = {
    "roster": "驻村第一书记和工作队员花名册",
    "attendance": "驻村第一书记和工作队员考勤表",
    "appraisal": "驻村第一书记和工作队员考核结果汇总表",
    "coverage": "驻村第一书记和工作队选派覆盖情况统计表",
    "allowance": "驻村第一书记和工作队员生活补助发放表",
}
SIGNATURES = ("填表人", "审核人", "负责人")


class ExportError(ValueError):
    """A bad parameter: the message says which and what is expected (Chinese / English)."""


def _title(kind, region_label, period=""):
    """The region (and the page's filter) first, then the form's name; a month or a year in brackets."""
    return f"{region_label}{FORMS[kind]}" + (f"（{period}）" if period else "")


def _form(kind, region_label, *, period="", stated=""):
    """Sheet options of export ``kind``: title, the period stated on the unit line, filled today."""
    return {
        "title": _title(kind, region_label, period),
        "period": stated,
        "filled_on": timezone.localdate(),
    }


def _usual_widths():
    """Column widths (by header) that fit the longest label of a coded column, so 村类别, 学历 and the
    like are never cut (a cell holding several categories wraps). Labels in the active language."""
    from cadres.models import Cadre

    def fit(labels):  # at most 24: a longer label (其他（矛盾问题集中…）) wraps onto two lines
        return min(max(_text_width(str(label)) for label in labels) + 2, 24)

    return {
        "村类别": fit(Village.Category.labels),
        "学历": fit(label for _v, label in Cadre._meta.get_field("education").flatchoices),
        "政治面貌": fit(label for _v, label in Cadre._meta.get_field("political_status").flatchoices),
        "职级": fit(label for _v, label in Cadre._meta.get_field("rank").flatchoices),
        "派出层级": fit(label for _v, label in Assignment._meta.get_field("dispatch_level").flatchoices),
        "职务": fit(label for _v, label in Assignment._meta.get_field("role").flatchoices),
        "身份证号": 21,
        "联系电话": 14,
    }


def _categories(village):
    return "、".join(str(Village.Category(c).label) for c in village.categories if c in Village.Category)


def _county(township):
    return township.parent.name if township.parent_id else ""


# --- 1. roster 花名册 --------------------------------------------------------------------------------
def _labels(model, field):
    """{stored value: label} in the active language, so rows need no get_FOO_display() each."""
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


class _Context:
    """What a column's value is made with: label tables, the masking choice, the row's number."""

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.n = 0


def build_roster(assignments, out, *, region_label, day=None, mask_ids=False, layout=None):
    """One row per assignment serving on ``day`` (default today), in ``layout``'s columns
    ((key, heading) pairs of ``workbook.AVAILABLE["roster"]``; None: the built-in layout)."""
    from cadres.models import Cadre

    day = day or timezone.localdate()
    chosen = layout_fields("roster", layout)
    fields = list(dict.fromkeys(path for f, _c in chosen for path in f.fields))
    position = {path: i for i, path in enumerate(fields)}
    makers = [(f.value, [position[path] for path in f.fields]) for f, _c in chosen]
    # Plain tuples, not model instances: a province's roster is tens of thousands of rows, and
    # building six models per row cost more than writing the row (docs/performance.md).
    rows = (
        assignments.serving_on(day)
        .order_by("village__code", "role", "cadre__name", "pk")
        .values_list(*(fields or ["pk"]))
    )
    with override(LANGUAGE):
        ctx = _Context(
            gender=_labels(Cadre, "gender"),
            status=_labels(Cadre, "political_status"),
            rank=_labels(Cadre, "rank"),
            education=_labels(Cadre, "education"),
            level=_labels(Assignment, "dispatch_level"),
            role=_labels(Assignment, "role"),
            category={c.value: str(c.label) for c in Village.Category},
            mask_ids=mask_ids,
            mask=mask_id_number if mask_ids else (lambda v: v),
        )
        wb = _workbook()
        columns = [c for _f, c in chosen]
        form = _form("roster", region_label, stated=f"统计时点：{cn_date(day)}")
        sheet = Sheet(wb, "花名册", form.pop("title"), columns, widths=_usual_widths(), **form)
        for n, r in enumerate(rows.iterator(chunk_size=CHUNK), start=1):
            ctx.n = n
            sheet.append([value(ctx, *[r[i] for i in at]) for value, at in makers])
        listed = sheet.rows - sheet.furniture_rows
        sheet.sign(*SIGNATURES)
        wb.save(out)
    return listed


# --- 2. attendance 考勤表 ----------------------------------------------------------------------------
def attendance_legend():
    """The grid's legend (models.attendance.legend), in the export's language: one legend everywhere."""
    with override(LANGUAGE):
        marks = "　".join(f"{m} {label}" for _code, m, label in legend())
        return f"图例：{marks}；灰底为休息日、节假日。"


def build_attendance(records, out, *, region_label, month):
    """One sheet per township, so its band (乡镇（街道）：…) heads every printed page of it: one row
    per cadre with the day marks, the 星期 row under the day numbers, the month's day counts, 备注,
    the legend and the signature line (填报人 / 审核人 / 乡镇党委（盖章）)."""
    first, last = month_bounds(month)
    ndays = (last - first).days + 1
    days_at = 5  # the first day column (0-based)
    columns = [
        Column("序号", 5),
        Column("村", 12),
        Column("姓名", 9),
        Column("职务", 10),
        Column("派出单位", 20),
        *[Column(str(d), 3.2) for d in range(1, ndays + 1)],
        Column("在村天数", 5),
        Column("因公外出天数", 5),
        Column("请假天数", 5),
        Column("缺勤天数", 5),
        Column("应在村天数", 6),
        Column("是否达标", 5),
        Column("备注", 14),
    ]
    weekdays = [None] * days_at
    weekdays += ["一二三四五六日"[(first + datetime.timedelta(days=i)).weekday()] for i in range(ndays)]
    weekdays += [None] * (len(columns) - len(weekdays))
    month_rows = attendance_rules.month_records(records, month)
    rows = month_rows.values_list(
        "assignment_id",
        "sheet__township__code",
        "sheet__township__name",
        "assignment__village__name",
        "assignment__cadre__name",
        "assignment__role",
        "assignment__cadre__unit__name",
        "days",
        "present_days",
        "required_days",
        "leave_days",
        "absent_days",
    )
    period = f"{month.year}年{month.month}月"
    # 备注 also says what the cadre recorded that month (record once): diary entries, the monthly
    # report. Two queries for the whole export.
    from fieldwork.models import DiaryEntry, MonthlyReport

    listed_ids = month_rows.values("assignment_id")
    diary = dict(
        DiaryEntry.objects.filter(assignment__in=listed_ids, date__gte=first, date__lte=last)
        .values("assignment_id")
        .annotate(n=Count("pk"))
        .values_list("assignment_id", "n")
    )
    reported = set(
        MonthlyReport.objects.filter(
            assignment__in=listed_ids, month=first, state=MonthlyReport.State.SUBMITTED
        ).values_list("assignment_id", flat=True)
    )
    with override(LANGUAGE):
        role_label = _labels(Assignment, "role")
        widths = _usual_widths()
        overrides = attendance_rules.month_overrides(month)  # one query, not one per township
        wb = _workbook()
        form = _form("attendance", region_label, period=period, stated=f"考勤月份：{period}")
        title = form.pop("title")
        sheet, township, n, fills, listed = None, None, 0, {}, 0

        def close():
            sheet.line(attendance_legend())
            sheet.sign("填报人", "审核人", "乡镇党委（盖章）")

        for (
            assignment_id,
            code,
            name,
            village,
            cadre,
            role,
            unit,
            days,
            present,
            required,
            leave_days,
            absent_days,
        ) in rows.iterator(chunk_size=CHUNK):
            if code != township:
                if sheet is not None:
                    close()
                township, n = code, 0
                cal = attendance_rules.calendar_for(
                    Region(code=code, level=Region.Level.TOWNSHIP), month, overrides
                )
                fills = {i + days_at: _HOLIDAY_FILL for i, d in enumerate(cal.days) if not d.is_working_day}
                sheet = Sheet(
                    wb,
                    name,
                    title,
                    columns,
                    band=f"乡镇（街道）：{name}",
                    subheader=weekdays,
                    header_fills=fills,
                    widths=widths,
                    **form,
                )
            n += 1
            listed += 1
            days = days.ljust(ndays)[:ndays]
            sheet.append(
                [
                    n,
                    village,
                    cadre,
                    role_label.get(role, role),
                    unit,
                    *to_marks(days),
                    present,
                    days.count(BUSINESS),
                    leave_days,
                    absent_days,
                    required,
                    "是" if present >= required else "否",
                    "；".join(
                        note
                        for note in (
                            "本月部分日期不在任" if OUTSIDE in days else "",
                            f"民情日记{diary[assignment_id]}篇" if diary.get(assignment_id) else "",
                            "月汇报已交" if assignment_id in reported else "",
                        )
                        if note
                    ),
                ],
                fills=fills,
            )
        if sheet is None:  # nothing to report: still the form, empty
            sheet = Sheet(wb, "考勤表", title, columns, subheader=weekdays, widths=widths, **form)
        close()
        wb.save(out)
    return listed  # cadre rows, every township


# --- 3. appraisal 考核结果 ---------------------------------------------------------------------------
def build_appraisal(appraisals, out, *, region_label, round_, shown=None, layout=None):
    """The round's results (one row per person) with the grade caps and their reasons, the quota
    summary line naming the setting that applies, and the shortfall recorded when it was closed.
    ``shown``, a test of a person's facts, lists only the people the round page's filters show; the
    quota line still counts the whole round, as the page does. ``layout``: (key, heading) pairs of
    ``workbook.AVAILABLE["appraisal"]`` (None: the built-in layout)."""
    rows = list(
        appraisals.filter(round=round_).select_related("cadre__unit").order_by("cadre__name", "pk")
    )  # facts_for needs them all at once: a round is one county's cadres
    with override(LANGUAGE):
        facts, policy = appraisal_rules.facts_for(round_, rows)
        quota = appraisal_rules.quota(rows, facts, policy, round_.kind)

        def place(ap):
            served = facts[ap.pk].assignments
            latest = served[-1] if served else None
            return (
                latest.village.code if latest else "",
                latest.role if latest else "",
                ap.cadre.name,
                ap.pk,
            )

        rows.sort(key=place)
        listed = rows if shown is None else [ap for ap in rows if shown(facts[ap.pk])]
        period = f"{round_.year}年{round_.get_kind_display()}"
        wb = _workbook()
        chosen = layout_fields("appraisal", layout)
        columns = [c for _f, c in chosen]
        form = _form("appraisal", region_label, period=period, stated=f"考核年度：{round_.year}年")
        sheet = Sheet(wb, "考核结果", form.pop("title"), columns, widths=_usual_widths(), **form)
        ctx = _Context()
        for n, ap in enumerate(listed, start=1):
            f = facts[ap.pk]  # f.assignments: every assignment of the person in the county that year
            ctx.n = n
            sheet.append([field.value(ctx, ap, f) for field, _c in chosen])
        limit = f"至多 {quota.max_allowed} 人" if quota.max_allowed is not None else "不设上限"
        summary = (
            ""
            if listed is rows
            else f"本表列出筛选出的 {len(listed)} 人；优秀名额按全轮 {len(rows)} 人计算。"
        )
        summary += (
            f"优秀名额：参加定等 {quota.graded} 人，评为优秀 {quota.excellent} 人"
            f"（{quota.percent}%），至少 {quota.min_needed} 人，{limit}；可评优秀 {quota.eligible} 人。"
            f"适用设置：{quota.setting}。"
        )
        if round_.shortfall:
            summary += f" 定稿时记录优秀名额缺口 {round_.shortfall} 人（受等次限制）。"
        else:
            problems = quota.problems()
            if problems:
                summary += " " + " ".join(str(p) for p in problems)
        sheet.append([summary], bold=True, merge_to=len(columns))
        visible = {ap.cadre_id for ap in rows}  # the reasons of the people this export may show
        for item in (
            [i for i in round_.shortfall_reasons if i.get("cadre") in visible] if round_.shortfall else []
        ):
            sheet.append(
                [f"缺口原因：{item['name']}，最高可评{item['cap']}：{'；'.join(item['reasons'])}"],
                merge_to=len(columns),
            )
        sheet.sign(*SIGNATURES)
        wb.save(out)
    return len(rows)


# --- 4. coverage 选派覆盖统计 --------------------------------------------------------------------------
COVERAGE_COLUMNS = [
    Column("序号", 5),
    Column("县(市、区)", 12),
    Column("乡镇", 14),
    Column("村总数", 8),
    Column("脱贫村", 8),
    Column("乡村振兴任务重的村", 10),
    Column("党组织软弱涣散村", 10),
    Column("其他村", 8),
    Column("需选派村", 8),
    Column("已有第一书记", 10),
    Column("缺第一书记", 10),
    Column("需工作队村", 10),
    Column("工作队达标", 10),
    Column("工作队人数不足", 8),
    Column("召回待补派", 10),
    Column("期满待补派", 10),
]
_COUNTS = (
    "total",
    "poverty_exit",
    "revitalization",
    "weak_org",
    "other",
    "required",
    "has_secretary",
    "no_secretary",
    "needs_team",
    "team_ok",
    "team_short",
    "recall_gap",
    "term_gap",
)


def _tally(counts, v):
    cats = set(v.categories)
    counts["total"] += 1
    for c in ("poverty_exit", "revitalization", "weak_org", "other"):
        counts[c] += c in cats
    counts["required"] += bool(v.needs_secretary or v.needs_team)
    counts["has_secretary"] += bool(v.needs_secretary and not v.lacks_secretary)
    counts["no_secretary"] += bool(v.lacks_secretary)
    counts["needs_team"] += bool(v.needs_team)
    counts["team_ok"] += bool(v.needs_team and not v.team_short)
    counts["team_short"] += bool(v.team_short)
    counts["recall_gap"] += bool(v.recall_gap)
    counts["term_gap"] += bool(v.term_gap)


def build_coverage(villages, out, *, region_label, day=None):
    """Per county and township: villages by category, with a first secretary, with a sufficient
    team, and the gaps; a subtotal per county and a grand total."""
    day = day or timezone.localdate()
    rows = coverage_rules.annotate(villages, day).select_related("township__parent").order_by("code")

    def zero():
        return dict.fromkeys(_COUNTS, 0)

    with override(LANGUAGE):
        wb = _workbook()
        form = _form("coverage", region_label, stated=f"统计时点：{cn_date(day)}")
        sheet = Sheet(wb, "覆盖统计", form.pop("title"), COVERAGE_COLUMNS, **form)
        county = township = None  # county: the township's parent (its code)
        county_counts, township_counts, grand = zero(), zero(), zero()
        number = 0  # 序号 of the township rows

        def flush_township():
            nonlocal number
            if township is not None:
                number += 1
                sheet.append([number, _county(township), township.name, *township_counts.values()])

        def flush_county():
            if township is not None:
                sheet.append(["", f"{_county(township)}小计", "", *county_counts.values()], bold=True)

        for v in rows.iterator(chunk_size=CHUNK):
            if township is None or v.township_id != township.code:
                flush_township()
                if township is None or v.township.parent_id != county:
                    flush_county()
                    county, county_counts = v.township.parent_id, zero()
                township, township_counts = v.township, zero()
            for counts in (township_counts, county_counts, grand):
                _tally(counts, v)
        flush_township()
        flush_county()
        sheet.append(["", "合计", "", *grand.values()], bold=True)
        sheet.sign(*SIGNATURES)
        wb.save(out)
    return grand


# --- 5. allowance 生活补助发放表 -----------------------------------------------------------------------
ALLOWANCE_COLUMNS = [
    Column("序号", 6),
    Column("乡镇", 12),
    Column("村", 12),
    Column("姓名", 10),
    Column("职务", 10),
    Column("派出单位", 22),
    Column("在村天数", 9),
    Column("补助标准（元/天）", 11, MONEY),
    Column("交通补助（元/月）", 11, MONEY),
    Column("发放金额（元）", 12, MONEY),
    Column("领取人签字", 12),
]


UNAPPROVED = "未审批"


def build_allowance(records, out, *, region_label, month):
    """Per township, one row per cadre on an approved sheet: days in village × the rate fixed when the
    sheet was approved + transport; township and grand totals. Rows of sheets not approved follow the
    total, marked 未审批 and outside every total (attendance.allowance_records / payable_allowance)."""
    paid, unapproved = attendance_rules.allowance_records(records, month)
    with override(LANGUAGE):
        wb = _workbook()
        period = f"{month.year}年{month.month}月"
        form = _form("allowance", region_label, period=period, stated=f"发放月份：{period}")
        sheet = Sheet(wb, "生活补助", form.pop("title"), ALLOWANCE_COLUMNS, **form)
        township, n = None, 0
        sub_days, sub_amount, days, amount = 0, Decimal(0), 0, Decimal(0)

        def subtotal():
            sheet.append(
                ["", f"{township.name}小计", "", "", "", "", sub_days, None, None, sub_amount, ""],
                bold=True,
            )

        def cells(number, r, rate, transport, money):
            a = r.assignment
            return [
                number,
                r.sheet.township.name,
                a.village.name,
                a.cadre.name,
                a.get_role_display(),
                a.cadre.unit.name,
                r.present_days,
                rate,
                transport,
                money,
                "",
            ]

        for r in paid.iterator(chunk_size=CHUNK):
            if township is None or r.sheet.township_id != township.pk:
                if township is not None:
                    subtotal()
                township, sub_days, sub_amount = r.sheet.township, 0, Decimal(0)
            money = attendance_rules.payable_allowance(r)
            n += 1
            sheet.append(cells(n, r, r.sheet.allowance_per_day, r.sheet.allowance_per_month, money))
            sub_days += r.present_days
            sub_amount += money
            days += r.present_days
            amount += money
        if township is not None:
            subtotal()
        sheet.append(["", "合计", "", "", "", f"{n} 人", days, None, None, amount, ""], bold=True)
        sheet.line(f"合计发放金额（大写）：人民币{amount_capitals(amount)}", bold=True)
        for i, r in enumerate(unapproved.iterator(chunk_size=CHUNK)):
            if i == 0:
                sheet.line(f"{UNAPPROVED}（考勤表未经审批，不发放，不计入合计）：", bold=True)
            sheet.append(cells("", r, None, None, UNAPPROVED))
        sheet.sign("制表人", "审核人", "负责人")
        wb.save(out)
    return n, amount


# --- parameters and dispatch ----------------------------------------------------------------------
def parse_month(text):
    month = attendance_rules.parse_month(text) if text else None
    if text and (month is None or not 1900 <= month.year <= 2999):
        raise ExportError(
            _("The month “%(value)s” is not a month: write it as YYYY-MM, e.g. 2026-03.") % {"value": text}
        )
    return month


def parse_date(text):
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        raise ExportError(
            _("The date “%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2026-03-01.")
            % {"value": text}
        ) from None


def parse_year(text):
    if not text:
        return None
    if not (str(text).isdigit() and 1900 <= int(text) <= 2999):
        raise ExportError(
            _("The year “%(value)s” is not a year: write four digits, e.g. 2025.") % {"value": text}
        )
    return int(text)


def parse_round_id(text):
    if not text:
        return None
    if not str(text).isdigit():
        raise ExportError(_("The appraisal round “%(value)s” is not a round number.") % {"value": text})
    return int(text)


def check_kind(kind):
    if kind not in KINDS:
        raise ExportError(
            _("Unknown export “%(kind)s”; choose one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(KINDS)}
        )


def find_round(rounds, year):
    """The one annual round of ``year`` among ``rounds`` (already scoped), else a clear error."""
    found = list(rounds.filter(year=year, kind=AppraisalRound.Kind.ANNUAL)[:2])
    if len(found) != 1:
        raise ExportError(
            _("There are %(n)d annual rounds for %(year)d in your jurisdiction: choose the round.")
            % {"n": len(found), "year": year}
        )
    return found[0]


def estimate_rows(kind, scope, *, day=None, month=None, round_=None):
    """About how many rows export ``kind`` will write (one query): decides foreground or background
    and sizes the progress bar."""
    today = timezone.localdate()
    if kind == "roster":
        return scope(Assignment.objects.all()).serving_on(day or today).count()
    if kind == "coverage":
        return scope(Village.objects.all()).count()
    if kind in ("attendance", "allowance"):
        return scope(AttendanceRecord.objects.filter(sheet__month=month or today.replace(day=1))).count()
    return scope(Appraisal.objects.filter(round=round_)).count() if round_ else 0


def filename(kind, region_label, period):
    return f"{KINDS[kind]}-{region_label}-{period}.xlsx"


def build(
    kind,
    scope,
    out,
    *,
    region_label,
    day=None,
    month=None,
    round_=None,
    mask_ids=False,
    shown=None,
    layout=None,
):
    """Write export ``kind`` to ``out``; ``scope`` narrows a queryset to the jurisdiction.
    Returns the file name to offer. ``round_`` must already be looked up within the jurisdiction;
    ``shown`` picks the people an appraisal export lists (``build_appraisal``); ``layout`` the
    columns of a roster or appraisal return (``excel.layouts``; None: the built-in layout)."""
    check_kind(kind)
    today = timezone.localdate()
    if kind == "roster":
        day = day or today
        build_roster(
            scope(Assignment.objects.all()),
            out,
            region_label=region_label,
            day=day,
            mask_ids=mask_ids,
            layout=layout,
        )
        return filename(kind, region_label, f"{day:%Y-%m-%d}")
    if kind == "coverage":
        day = day or today
        build_coverage(scope(Village.objects.all()), out, region_label=region_label, day=day)
        return filename(kind, region_label, f"{day:%Y-%m-%d}")
    if kind in ("attendance", "allowance"):
        month = month or today.replace(day=1)
        builder = build_attendance if kind == "attendance" else build_allowance
        builder(scope(AttendanceRecord.objects.all()), out, region_label=region_label, month=month)
        return filename(kind, region_label, f"{month:%Y-%m}")
    if round_ is None:
        raise ExportError(_("Choose the appraisal round or the year."))
    build_appraisal(
        scope(Appraisal.objects.all()),
        out,
        region_label=region_label,
        round_=round_,
        shown=shown,
        layout=layout,
    )
    with override(LANGUAGE):
        return filename(kind, region_label, f"{round_.year}-{round_.get_kind_display()}")
