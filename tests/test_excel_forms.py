"""The exports are printable Chinese reporting forms (issue 15): each workbook is built from a small
world, opened with openpyxl and read for the form's furniture — the title as the office names it, the
填报单位（盖章） / 填报日期 line, the 序号 column, every table cell ruled, title and headers repeated on
every printed page, 第 N 页 共 M 页 in the footer and the signature line below the table."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from accounts import access
from appraisal.models import AppraisalRound
from assignments.models import AttendanceRecord, AttendanceSheet
from excel import exports
from excel.workbook import _HOLIDAY_FILL, Column, Sheet, _workbook

DAY = datetime.date(2026, 2, 10)
FEB = datetime.date(2026, 2, 1)
SIGNATURES = {
    "roster": ("填表人：", "审核人：", "负责人："),
    "attendance": ("填报人：", "审核人：", "乡镇党委（盖章）："),
    "appraisal": ("填表人：", "审核人：", "负责人："),
    "coverage": ("填表人：", "审核人：", "负责人："),
    "allowance": ("制表人：", "审核人：", "负责人："),
}


@pytest.fixture
def world(tree, make_village, make_cadre, dispatch, personas):
    """沐浴店镇 (t1): 东村 with 张伟 and 李娜, February's sheet approved; 团旺镇 (t2): 西村 with 王强,
    February's sheet still open; the county's 2025 annual appraisal round."""
    east = make_village(tree["t1"], name="东村", categories=("poverty_exit", "weak_org"))
    west = make_village(tree["t2"], name="西村", categories=("revitalization",))
    t1 = [
        dispatch(make_cadre(name="张伟"), east),
        dispatch(make_cadre(name="李娜"), east, role="team_member"),
    ]
    t2 = [dispatch(make_cadre(name="王强"), west)]
    for township, assignments in ((tree["t1"], t1), (tree["t2"], t2)):
        sheet = AttendanceSheet.objects.create(township=township, month=FEB)
        for a in assignments:
            days = "P" * 18 + "B" * 2 + "L" * 3 + "A" + "H" * 4
            AttendanceRecord.objects.create(sheet=sheet, assignment=a, days=days, required_days=16)
    first = AttendanceSheet.objects.get(township=tree["t1"])
    first.submit(personas["clerk"])
    first.approve(personas["county_admin"])
    return {"round": AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])}


def export(kind, world, personas, user="county_admin", label="莱阳市"):
    out = io.BytesIO()
    exports.build(
        kind,
        lambda qs: access.scope(personas[user], qs),
        out,
        region_label=label,
        day=DAY,
        month=FEB,
        round_=world["round"],
    )
    out.seek(0)
    return load_workbook(out)


def table_end(ws):
    """The last row of the table: the row before the blank one that precedes the signature line."""
    first = int(ws.freeze_panes[1:])
    return next(r for r in range(first, ws.max_row + 1) if all(c.value is None for c in ws[r])) - 1


def outer_sides(ws):
    """{coordinate: the sides of the cell on the edge of its merged range}: openpyxl, reading a merged
    range, keeps only the range's outline (the inner borders of its cells are not drawn anyway)."""
    sides = {}
    for rng in ws.merged_cells.ranges:
        for row in range(rng.min_row, rng.max_row + 1):
            for col in range(rng.min_col, rng.max_col + 1):
                sides[(row, col)] = {
                    side
                    for side, edge in (
                        ("left", col == rng.min_col),
                        ("right", col == rng.max_col),
                        ("top", row == rng.min_row),
                        ("bottom", row == rng.max_row),
                    )
                    if edge
                }
    return sides


def header_row(ws):
    return next(r for r in range(1, 8) if ws.cell(r, 1).value == "序号")


@pytest.mark.parametrize("kind", list(exports.KINDS))
def test_every_export_is_a_ruled_form_with_title_unit_line_page_numbers_and_signatures(kind, world, personas):
    wb = export(kind, world, personas)
    for ws in wb.worksheets:
        assert ws["A1"].value.startswith(f"莱阳市{exports.FORMS[kind]}")
        assert ws["A2"].value == "填报单位（盖章）："
        assert any(str(c.value).startswith("填报日期：") for c in ws[2])
        top = header_row(ws)
        assert ws.cell(top, 1).value == "序号"
        first = int(ws.freeze_panes[1:])  # the first row of the table's body
        # title, unit line, band and headers come back at the top of every printed page
        assert ws.print_title_rows == f"$1:${first - 1}"
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        last = table_end(ws)
        assert last >= first  # the table has rows
        merged, everywhere = outer_sides(ws), {"left", "right", "top", "bottom"}
        for row in ws.iter_rows(min_row=top, max_row=last, max_col=ws.max_column):
            for cell in row:
                for side in merged.get((cell.row, cell.column), everywhere):
                    assert getattr(cell.border, side).style == "thin", (ws.title, cell.coordinate, side)
        signature = ws.cell(ws.max_row, 1).value
        assert ws.max_row == last + 2 and all(role in signature for role in SIGNATURES[kind])
        assert ws.cell(ws.max_row, 2).value is None  # one merged cell: an import reads nothing there


def test_the_attendance_form_has_weekdays_under_the_day_numbers_and_a_band_on_every_page(world, personas):
    wb = export("attendance", world, personas)
    assert wb.sheetnames == ["沐浴店镇", "团旺镇"]
    ws = wb["沐浴店镇"]
    assert ws["A3"].value == "乡镇（街道）：沐浴店镇" and ws.print_title_rows == "$1:$5"
    days = [c.value for c in ws[4]][5:33]
    weekdays = [c.value for c in ws[5]][5:33]
    assert days[:2] == ["1", "2"] and weekdays[:7] == ["日", "一", "二", "三", "四", "五", "六"]
    assert "A4:A5" in {str(r) for r in ws.merged_cells.ranges}  # 序号 spans both header rows
    body = list(ws.iter_rows(min_row=6, max_row=table_end(ws), values_only=True))
    by_name = {r[2]: r for r in body if isinstance(r[0], int)}
    # 在村 (P and B counted), 因公外出, 请假, 缺勤, 应在村, 达标, 备注
    assert by_name["张伟"][4] == "莱阳市财政局"
    assert by_name["张伟"][33:] == (20, 2, 3, 1, 16, "是", None)
    assert body[-1][0].startswith("图例：√ 在村")


def test_the_allowance_form_states_the_total_in_capitals_and_lists_unapproved_rows_apart(world, personas):
    ws = export("allowance", world, personas).active
    body = list(ws.iter_rows(min_row=4, max_row=table_end(ws), values_only=True))
    total = next(i for i, r in enumerate(body) if r[1] == "合计")
    paid = body[:total]
    assert {r[3] for r in paid if isinstance(r[0], int)} == {"张伟", "李娜"}
    # 20 days × 6 + 40 each: 160 × 2 = 320, in figures and in capitals
    assert body[total][9] == pytest.approx(320.0)
    assert body[total + 1][0] == "合计发放金额（大写）：人民币叁佰贰拾元整"
    assert body[total + 2][0].startswith("未审批")
    assert [(r[3], r[9]) for r in body[total + 3 :]] == [("王强", "未审批")]


def test_a_townships_forms_hold_that_township_only(world, personas):
    for kind in ("roster", "attendance", "allowance"):
        wb = export(kind, world, personas, user="clerk", label="沐浴店镇")
        names = {c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row}
        assert {"张伟", "李娜"} <= names and "王强" not in names, kind
        assert wb.active["A1"].value.startswith("沐浴店镇驻村第一书记和工作队员")


def test_a_wrapped_row_is_made_tall_enough_and_no_row_heights_pile_up_in_memory():
    wb = _workbook()
    sheet = Sheet(wb, "表", "标题", [Column("序号", 5), Column("派出单位", 12)])
    furniture = len(sheet.ws.row_dimensions)
    for n in range(1, 201):
        sheet.append([n, "中国邮政集团有限公司莱阳市分公司" if n % 2 else "财政局"])
    sheet.append([201, "中国邮政集团有限公司莱阳市分公司"], fills={0: _HOLIDAY_FILL})  # a shaded row too
    assert len(sheet.ws.row_dimensions) == furniture  # written and dropped row by row
    sheet.sign()
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    ws = load_workbook(out).active
    assert ws.row_dimensions[4].height >= 30  # 16 characters in a 12-wide column: two lines or more
    assert ws.row_dimensions[5].height is None  # 财政局 fits on one line
    assert ws.row_dimensions[204].height >= 30 and ws.cell(204, 1).fill.fgColor.rgb.endswith("D9D9D9")
    assert ws.cell(ws.max_row, 1).value.startswith("填表人：")


@pytest.mark.parametrize("kind", ["attendance", "allowance"])
def test_a_sheet_per_township_costs_no_query_per_township(kind, world, personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(user, label):
        with CaptureQueriesContext(connection) as ctx:
            wb = export(kind, world, personas, user=user, label=label)
        return len(ctx), wb

    one, wb_one = count("clerk", "沐浴店镇")
    two, wb_two = count("county_admin", "莱阳市")
    assert "团旺镇" not in str([c for ws in wb_one for row in ws.iter_rows(values_only=True) for c in row])
    assert "团旺镇" in str([c for ws in wb_two for row in ws.iter_rows(values_only=True) for c in row])
    assert one == two
