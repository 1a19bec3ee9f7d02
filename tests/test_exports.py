"""Excel exports: each workbook built from a scoped queryset and read back with openpyxl."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from accounts import access
from appraisal.models import Appraisal, AppraisalRound
from assignments.models import Assignment, AttendanceRecord, AttendanceSheet, Policy
from excel import exports, workbook
from villages.models import Village

DAY = datetime.date(2026, 2, 10)
FEB = datetime.date(2026, 2, 1)


@pytest.fixture
def world(tree, make_village, make_cadre, dispatch, personas):
    """沐浴店镇 (t1): 东村 with a secretary named "=1+1" and a team member, 北村 with nobody;
    团旺镇 (t2): 西村 with a secretary; 海阳市's 凤城街道 (t3): 南村 with a secretary."""
    east = make_village(tree["t1"], name="东村", categories=("poverty_exit",))
    make_village(tree["t1"], name="北村", categories=("weak_org",))
    west = make_village(tree["t2"], name="西村", categories=("revitalization",))
    south = make_village(tree["t3"], name="南村", categories=("poverty_exit",))
    evil = dispatch(
        make_cadre(name="=1+1", phone="+8613800000000", birth=datetime.date(1986, 7, 15)), east, batch="@批次"
    )
    member = dispatch(make_cadre(name="李四", gender="F"), east, role="team_member")
    west_a = dispatch(make_cadre(name="王五"), west)
    south_a = dispatch(make_cadre(name="赵六", unit=tree["other_unit"], region=tree["other_county"]), south)
    return {"evil": evil, "member": member, "west": west_a, "south": south_a}


def read(buffer):
    buffer.seek(0)
    return load_workbook(buffer)


def data_rows(ws):
    """The table's rows: from the first row below the frozen headers to the blank row before the
    signature line."""
    out = []
    for row in ws.iter_rows(min_row=int(ws.freeze_panes[1:]), values_only=True):
        if all(v is None for v in row):
            break
        out.append(row)
    return out


def headers(ws):
    """The header row: the one whose first cell is 序号 (every export numbers its rows)."""
    row = next(r for r in range(1, 8) if ws.cell(r, 1).value == "序号")
    return [c.value for c in ws[row]]


def at(ws, header):
    """The 1-based column of ``header`` in the header row."""
    return headers(ws).index(header) + 1


def scoped(user):
    return lambda qs: access.scope(user, qs)


def make_sheets(tree, world):
    for township, assignments in (
        (tree["t1"], [world["evil"], world["member"]]),
        (tree["t2"], [world["west"]]),
        (tree["t3"], [world["south"]]),
    ):
        sheet = AttendanceSheet.objects.create(township=township, month=FEB)
        for i, a in enumerate(assignments):
            days = "P" * 20 + "L" * 3 + "H" * 5 if i == 0 else "P" * 10 + "A" * 18
            AttendanceRecord.objects.create(sheet=sheet, assignment=a, days=days, required_days=16)


# --- the chrome -----------------------------------------------------------------------------------
def test_roster_has_title_headers_frozen_panes_and_print_setup(world, personas):
    out = io.BytesIO()
    exports.build("roster", scoped(personas["county_admin"]), out, region_label="莱阳市", day=DAY)
    ws = read(out)["花名册"]
    assert ws["A1"].value == "莱阳市驻村第一书记和工作队员花名册"
    assert "A1:AB1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A2"].value == "填报单位（盖章）："
    assert "统计时点：2026年2月10日" in [c.value for c in ws[2]]
    assert any(str(c.value).startswith("填报日期：") for c in ws[2])
    names = [c.value for c in ws[3]]
    assert names == [c.header for c in exports.ROSTER_COLUMNS]
    assert names[:3] == ["序号", "县(市、区)", "乡镇"] and names[-2:] == ["联系电话", "备注"]
    assert ws["A3"].font.b
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$1:$3"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)  # 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.column_dimensions[get_column_letter(at(ws, "派出单位"))].width == 22


def test_roster_rows_labels_and_dates(world, personas):
    out = io.BytesIO()
    exports.build("roster", scoped(personas["county_admin"]), out, region_label="莱阳市", day=DAY)
    ws = read(out).active
    rows = data_rows(ws)
    assert len(rows) == 3  # 东村 ×2 and 西村; 海阳市's 南村 is outside the county
    first = dict(zip(headers(ws), rows[0], strict=True))
    assert first["序号"] == 1
    assert first["县(市、区)"] == "莱阳市" and first["乡镇"] == "沐浴店镇" and first["村"] == "东村"
    assert first["村类别"] == "脱贫村"
    assert first["性别"] == "男" and first["政治面貌"] == "中共党员" and first["职务"] == "第一书记"
    assert first["职级"] == "正科级" and first["派出单位"] == "莱阳市财政局"
    assert first["出生年月"] == datetime.datetime(1986, 7, 15)
    assert ws.cell(4, at(ws, "出生年月")).number_format == "yyyy-mm"
    assert ws.cell(4, at(ws, "任职时间")).number_format == "yyyy-mm-dd"
    assert first["转正时间"] == datetime.datetime(2011, 7, 1)  # make_cadre: joined 2010-07-01 + 1 year
    assert ws.cell(4, at(ws, "转正时间")).number_format == "yyyy-mm-dd"
    assert first["任职时间"] == datetime.datetime(2025, 3, 1)
    assert first["计划期满"] == datetime.datetime.combine(world["evil"].planned_end_date, datetime.time())
    second = dict(zip(headers(ws), rows[1], strict=True))
    assert second["姓名"] == "李四" and second["职务"] == "工作队员" and second["性别"] == "女"
    assert rows[2][3] == "西村"


def test_formula_like_text_stays_text(world, personas):
    out = io.BytesIO()
    exports.build("roster", scoped(personas["county_admin"]), out, region_label="莱阳市", day=DAY)
    ws = read(out).active
    name, batch, phone = (ws.cell(4, at(ws, h)) for h in ("姓名", "批次", "联系电话"))
    assert (name.value, name.data_type) == ("=1+1", "s")
    assert (batch.value, batch.data_type) == ("@批次", "s")
    assert (phone.value, phone.data_type) == ("+8613800000000", "s")
    assert name.quotePrefix


def test_safe_leaves_ordinary_values_alone():
    from openpyxl import Workbook

    ws = Workbook(write_only=True).create_sheet()
    assert exports.safe(ws, "张伟") == "张伟"
    assert exports.safe(ws, -5) == -5
    assert exports.safe(ws, "-5").data_type == "s"


def test_clerk_gets_only_her_township(world, personas):
    out = io.BytesIO()
    exports.build("roster", scoped(personas["clerk"]), out, region_label="沐浴店镇", day=DAY)
    rows = data_rows(read(out).active)
    assert [r[2] for r in rows] == ["沐浴店镇", "沐浴店镇"]
    assert {r[6] for r in rows} == {"=1+1", "李四"}


def test_liaison_gets_only_her_units_cadres(world, personas):
    out = io.BytesIO()
    exports.build("roster", scoped(personas["liaison"]), out, region_label="莱阳市财政局", day=DAY)
    assert {r[6] for r in data_rows(read(out).active)} == {"=1+1", "李四", "王五"}


def test_roster_query_count_does_not_grow_with_rows(
    world, personas, make_village, make_cadre, dispatch, tree
):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            exports.build("roster", scoped(personas["county_admin"]), io.BytesIO(), region_label="x", day=DAY)
        return len(ctx)

    before = count()
    for i in range(5):
        dispatch(make_cadre(name=f"新{i}"), make_village(tree["t2"]))
    assert count() == before


def test_a_full_sheet_continues_on_another(world, personas, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_ROWS", 5)  # title + unit line + header + 2 rows
    out = io.BytesIO()
    exports.build("roster", scoped(personas["county_admin"]), out, region_label="莱阳市", day=DAY)
    wb = read(out)
    assert wb.sheetnames == ["花名册", "花名册（2）"]
    assert [r[0] for r in data_rows(wb.worksheets[0])] == [1, 2]
    assert [r[0] for r in data_rows(wb.worksheets[1])] == [3]
    assert wb.worksheets[1]["A1"].value == "莱阳市驻村第一书记和工作队员花名册"
    assert wb.worksheets[1]["A3"].value == "序号"


# --- attendance -----------------------------------------------------------------------------------
def test_attendance_sheet_per_township_with_weekdays_counts_legend_and_shaded_holidays(world, personas, tree):
    make_sheets(tree, world)
    out = io.BytesIO()
    exports.build("attendance", scoped(personas["county_admin"]), out, region_label="莱阳市", month=FEB)
    wb = read(out)
    assert wb.sheetnames == ["沐浴店镇", "团旺镇"]  # 海阳市's 凤城街道 is outside the county
    ws = wb["沐浴店镇"]
    assert ws["A1"].value == "莱阳市驻村第一书记和工作队员考勤表（2026年2月）"
    # the township's band is one of the print titles: it heads every printed page of the township
    assert ws["A3"].value == "乡镇（街道）：沐浴店镇" and ws.print_title_rows == "$1:$5"
    names = headers(ws)
    assert names[:5] == ["序号", "村", "姓名", "职务", "派出单位"]
    assert names[5:33] == [str(d) for d in range(1, 29)]
    assert names[33:] == [
        "在村天数",
        "因公外出天数",
        "请假天数",
        "缺勤天数",
        "应在村天数",
        "是否达标",
        "备注",
    ]
    weekdays = [c.value for c in ws[5]][5:33]
    assert weekdays[:8] == ["日", "一", "二", "三", "四", "五", "六", "日"]  # 2026-02-01 is a Sunday
    rows = data_rows(ws)
    evil, member = rows[0], rows[1]
    assert evil[2] == "=1+1" and evil[4] == "莱阳市财政局" and evil[5] == "√" and evil[25] == "假"
    assert evil[33:] == (20, 0, 3, 0, 16, "是", None)
    assert member[33:] == (10, 0, 0, 18, 16, "否", None)
    assert rows[-1][0].startswith("图例：√ 在村")
    assert [r[2] for r in data_rows(wb["团旺镇"])[:-1]] == ["王五"]
    assert all("赵六" not in (r[2] or "") for ws in wb for r in data_rows(ws) if len(r) > 2)
    # 2026-02-01 is a Sunday: shaded, in the table and its header; 2026-02-02 a Monday: not.
    assert ws.cell(6, 6).fill.fgColor.rgb.endswith("D9D9D9") and ws.cell(4, 6).fill.fgColor.rgb.endswith(
        "D9D9D9"
    )
    assert ws.cell(6, 7).fill.fill_type is None
    assert (
        ws.cell(ws.max_row, 1).value.startswith("填报人：")
        and "乡镇党委（盖章）：" in ws.cell(ws.max_row, 1).value
    )


def test_a_townships_attendance_export_holds_that_township_only(world, personas, tree):
    make_sheets(tree, world)
    out = io.BytesIO()
    exports.build("attendance", scoped(personas["clerk"]), out, region_label="沐浴店镇", month=FEB)
    wb = read(out)
    assert wb.sheetnames == ["沐浴店镇"]
    assert [r[2] for r in data_rows(wb.active)[:-1]] == ["=1+1", "李四"]


# --- allowance ------------------------------------------------------------------------------------
def approve_all(personas):
    for sheet in AttendanceSheet.objects.all():
        sheet.submit(personas["clerk"])
        sheet.approve(personas["county_admin"])


def test_allowance_rows_subtotals_and_total(world, personas, tree):
    make_sheets(tree, world)
    approve_all(personas)
    out = io.BytesIO()
    exports.build("allowance", scoped(personas["county_admin"]), out, region_label="莱阳市", month=FEB)
    ws = read(out).active
    assert headers(ws)[9] == "发放金额（元）"
    rows = data_rows(ws)
    assert [r[3] for r in rows[:2]] == ["=1+1", "李四"]
    assert rows[0][9] == pytest.approx(160.0)  # 20 × 6 + 40
    assert rows[1][9] == pytest.approx(100.0)  # 10 × 6 + 40
    assert rows[2][1] == "沐浴店镇小计" and rows[2][9] == pytest.approx(260.0)
    assert rows[-2][1] == "合计" and rows[-2][6] == 50 and rows[-2][9] == pytest.approx(420.0)
    assert rows[-1][0] == "合计发放金额（大写）：人民币肆佰贰拾元整"
    assert ws.cell(4, 10).number_format == "#,##0.00"
    assert "制表人：" in ws.cell(ws.max_row, 1).value


def test_allowance_for_the_clerk_holds_only_her_township(world, personas, tree):
    make_sheets(tree, world)
    approve_all(personas)
    out = io.BytesIO()
    exports.build("allowance", scoped(personas["clerk"]), out, region_label="沐浴店镇", month=FEB)
    rows = data_rows(read(out).active)
    assert [r[3] for r in rows[:-3]] == ["=1+1", "李四"]
    assert rows[-2][9] == pytest.approx(260.0)


def test_allowance_export_pays_approved_sheets_at_their_fixed_rates_and_lists_the_others_as_unapproved(
    world, personas, tree
):
    make_sheets(tree, world)
    t1 = AttendanceSheet.objects.get(township=tree["t1"])
    t1.submit(personas["clerk"])
    t1.approve(personas["county_admin"])
    # A later policy change does not touch the month already approved.
    Policy.objects.create(
        region=tree["county"], allowance_per_day=Decimal("9"), allowance_per_month=Decimal("50")
    )
    out = io.BytesIO()
    exports.build("allowance", scoped(personas["county_admin"]), out, region_label="莱阳市", month=FEB)
    rows = data_rows(read(out).active)
    assert rows[0][7] == pytest.approx(6.0) and rows[0][8] == pytest.approx(40.0)
    assert rows[0][9] == pytest.approx(160.0) and rows[1][9] == pytest.approx(100.0)
    total = next(r for r in rows if r[1] == "合计")
    assert total[9] == pytest.approx(260.0) and total[6] == 30 and total[5] == "2 人"
    after = rows[rows.index(total) + 1 :]
    assert after[0][0] == "合计发放金额（大写）：人民币贰佰陆拾元整"
    assert after[1][0].startswith("未审批")
    assert [(r[1], r[3], r[9]) for r in after[2:]] == [("团旺镇", world["west"].cadre.name, "未审批")]


# --- appraisal ------------------------------------------------------------------------------------
def test_appraisal_results_with_caps_and_quota_line(world, personas, tree):
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    Appraisal.objects.filter(round=round_, cadre=world["evil"].cadre).update(
        score=Decimal("91.5"), grade="excellent"
    )
    out = io.BytesIO()
    name = exports.build(
        "appraisal", scoped(personas["county_admin"]), out, region_label="莱阳市", round_=round_
    )
    assert name.startswith("驻村干部考核结果-莱阳市-2025")
    ws = read(out).active
    assert headers(ws)[:8] == ["序号", "姓名", "派出单位", "乡镇", "村", "职务", "得分", "等次"]
    rows = data_rows(ws)
    assert len(rows) == 4  # three people and the quota line
    evil = rows[0]
    assert evil[1] == "=1+1" and ws.cell(4, 2).data_type == "s"
    assert evil[6] == pytest.approx(91.5) and evil[7] == "优秀" and evil[8] == "优秀"
    assert rows[-1][0].startswith("优秀名额：")


def test_appraisal_for_the_clerk_holds_only_her_township(world, personas, tree):
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    out = io.BytesIO()
    exports.build("appraisal", scoped(personas["clerk"]), out, region_label="沐浴店镇", round_=round_)
    rows = data_rows(read(out).active)
    assert {r[1] for r in rows[:-1]} == {"=1+1", "李四"}


# --- coverage -------------------------------------------------------------------------------------
def test_coverage_per_township_with_county_subtotal_and_total(world, personas):
    out = io.BytesIO()
    exports.build("coverage", scoped(personas["viewer"]), out, region_label="烟台市", day=DAY)
    ws = read(out).active
    rows = [dict(zip(headers(ws), r, strict=True)) for r in data_rows(ws)]
    assert [(r["县(市、区)"], r["乡镇"] or "") for r in rows] == [
        ("莱阳市", "沐浴店镇"),
        ("莱阳市", "团旺镇"),
        ("莱阳市小计", ""),
        ("海阳市", "凤城街道"),
        ("海阳市小计", ""),
        ("合计", ""),
    ]
    t1 = rows[0]
    assert t1["村总数"] == 2 and t1["脱贫村"] == 1 and t1["党组织软弱涣散村"] == 1
    assert t1["已有第一书记"] == 1 and t1["缺第一书记"] == 1  # 北村 has nobody
    assert rows[2]["村总数"] == 3 and rows[-1]["村总数"] == 4
    assert rows[-1]["已有第一书记"] == 3


def test_coverage_for_the_county_leaves_out_the_other_county(world, personas):
    out = io.BytesIO()
    exports.build("coverage", scoped(personas["county_admin"]), out, region_label="莱阳市", day=DAY)
    rows = data_rows(read(out).active)
    assert "海阳市小计" not in [r[1] for r in rows]
    assert rows[-1][3] == Village.objects.filter(code__startswith="370682").count()


# --- parameters and the command -------------------------------------------------------------------
def test_bad_parameters_are_refused_clearly():
    # Messages are translated; each names the value that is wrong.
    with pytest.raises(exports.ExportError, match="2026-13"):
        exports.parse_month("2026-13")
    with pytest.raises(exports.ExportError, match="2026/02/01"):
        exports.parse_date("2026/02/01")
    with pytest.raises(exports.ExportError, match="payroll"):
        exports.check_kind("payroll")
    assert exports.parse_month("2026-02") == FEB


def test_command_writes_the_file(world, tmp_path):
    target = tmp_path / "roster.xlsx"
    call_command("export", "roster", "--region", "370682100000", "--date", "2026-02-10", "-o", str(target))
    rows = data_rows(load_workbook(target).active)
    assert {r[6] for r in rows} == {"=1+1", "李四"}  # the township only


def test_command_appraisal_by_year(world, personas, tree, tmp_path):
    AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    target = tmp_path / "a.xlsx"
    call_command("export", "appraisal", "--region", "370682000000", "--year", "2025", "-o", str(target))
    assert load_workbook(target).active["B4"].value == "=1+1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["payroll", "--region", "370682000000"], "payroll"),
        (["roster", "--region", "999999000000"], "999999000000"),
        (["attendance", "--region", "370682000000", "--month", "2026-2x"], "2026-2x"),
        (["appraisal", "--region", "370682000000"], "--round"),
        (["appraisal", "--region", "370682000000", "--round", "999999"], "999999"),
    ],
)
def test_command_errors(tree, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export", *args, "-o", str(tmp_path / "x.xlsx"))


def test_assignments_are_streamed_in_chunks(world, personas, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 1)
    out = io.BytesIO()
    exports.build_roster(Assignment.objects.all(), out, region_label="全省", day=DAY)
    assert len(data_rows(read(out).active)) == 4


def test_county_admin_downloads_the_roster_from_the_browser(
    client_for, personas, tree, make_village, make_cadre, dispatch
):
    from django.urls import reverse

    dispatch(
        make_cadre(name="在岗者"), make_village(), start=datetime.date.today() - datetime.timedelta(days=10)
    )
    client = client_for(personas["county_admin"])
    assert client.get(reverse("excel:exports")).status_code == 200
    response = client.get(reverse("excel:export", args=["roster"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    assert "在岗者" in [c.value for row in wb.active.iter_rows() for c in row]


def test_export_with_a_bad_month_is_refused(client_for, personas):
    from django.urls import reverse

    client = client_for(personas["county_admin"])
    assert client.get(reverse("excel:export", args=["attendance"]), {"month": "2026-13"}).status_code == 400
    assert client.get(reverse("excel:export", args=["nonsense"])).status_code == 404


def test_a_large_export_runs_in_the_background_with_progress(
    settings,
    tmp_path,
    client_for,
    personas,
    make_village,
    make_cadre,
    dispatch,
    django_capture_on_commit_callbacks,
):
    from django.urls import reverse
    from django_tasks_db.models import DBTaskResult

    from excel import tasks
    from excel.models import ExportJob

    settings.EXPORT_FOREGROUND_MAX_ROWS = 0  # everything counts as large here
    settings.EXPORT_DIR = tmp_path
    dispatch(
        make_cadre(name="后台导出"), make_village(), start=datetime.date.today() - datetime.timedelta(days=5)
    )
    client = client_for(personas["county_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("excel:export", args=["roster"]))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert DBTaskResult.objects.count() == 1  # queued for the worker
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200 and b'http-equiv="refresh"' in page.content
    tasks.run_export.call(job.pk)  # what `manage.py db_worker` does
    job.refresh_from_db()
    assert job.state == "done" and job.rows_done >= 1 and job.percent == 100
    download = client.get(reverse("excel:job_download", args=[job.pk]))
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert "后台导出" in [c.value for row in wb.active.iter_rows() for c in row]
    other = client_for(personas["other_admin"])
    assert other.get(job.get_absolute_url()).status_code == 404


def test_id_numbers_are_masked_for_clerks_and_full_for_the_county_only_when_asked_for(
    client_for, personas, make_village, make_cadre, dispatch
):
    from django.urls import reverse

    cadre = make_cadre(name="身份证测试")
    dispatch(cadre, make_village(), start=datetime.date.today() - datetime.timedelta(days=5))

    def ids(user, **query):
        response = client_for(user).get(reverse("excel:export", args=["roster"]), query)
        cells = [
            c.value for row in load_workbook(io.BytesIO(response.content)).active.iter_rows() for c in row
        ]
        return [v for v in cells if isinstance(v, str) and len(v) == 18 and v.startswith(cadre.id_number[:6])]

    assert ids(personas["county_admin"]) == [cadre.masked_id_number]
    assert ids(personas["county_admin"], ids="full") == [cadre.id_number]
    assert ids(personas["clerk"]) == [cadre.masked_id_number]
    page = client_for(personas["clerk"]).get(cadre.get_absolute_url()).content.decode()
    assert cadre.id_number not in page and cadre.masked_id_number in page
