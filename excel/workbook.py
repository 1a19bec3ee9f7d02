"""What the exports and the imports share: the formula guard, the styled write-only sheet and the
column definitions that a layout, an export and its import template have in common.

Neither ``exports`` nor ``imports`` reaches into the other: both read this module.
"""

import contextvars
import datetime
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_576  # Excel's rows per sheet (title and header rows included)
CHUNK = 2000
LANGUAGE = "zh-hans"

DATE = "yyyy-mm-dd"
MONTH = "yyyy-mm"
MONEY = "#,##0.00"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_STARTS)

_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=16)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HOLIDAY_FILL = PatternFill("solid", fgColor="D9D9D9")  # rest days and holidays, as on screen
_THIN = Side(style="thin", color="000000")  # black: the rules of a printed form
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _text_width(text):
    return sum(2 if ord(c) > 0x2E80 else 1 for c in str(text))


CJK_WRAP = 1.6  # a CJK character's share of a column's width, as LibreOffice and Excel draw it


def _lines(text, room):
    """How many lines ``text`` takes in a column that holds ``room`` widths a line."""
    if text.isascii():  # codes, ID and phone numbers: one width a character, counted at C speed
        return -(-len(text) // room)
    return math.ceil(sum(CJK_WRAP if ord(c) > 0x2E80 else 1 for c in text) / room)


# --- cells ----------------------------------------------------------------------------------------
def safe(ws, value):
    """A cell value that a spreadsheet will never run as a formula.

    Strings starting with = + - @ (or a tab / carriage return) become text cells with Excel's quote
    prefix, so they show and stay literal even when the user edits the cell.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return text_cell(ws, value)
    return value


def text_cell(ws, value):
    """A cell object (for chrome: the title, the headers) that goes through the same guard."""
    cell = WriteOnlyCell(ws, value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


@dataclass
class Column:
    header: str
    width: float = 10
    number_format: str | None = None


# Set while a background export runs: called with the number of rows written so far.
progress_hook = contextvars.ContextVar("export_progress_hook", default=None)
PROGRESS_EVERY = 500


# Per-column alignment: money right-aligned with an indent (never touching the text beside it),
# dates, codes and short fields centred, longer text left; everything wraps, so nothing is cut.
_MONEYLIKE = frozenset({MONEY, "0.0", "0.00"})
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_RIGHT = Alignment(horizontal="right", vertical="center", wrap_text=True, indent=1)
_TITLE_ALIGN = Alignment(horizontal="center", vertical="center")
_LINE_LEFT = Alignment(horizontal="left", vertical="center")
_LINE_RIGHT = Alignment(horizontal="right", vertical="center")
_LINE_FONT = Font(size=11)
_SIGN_ALIGN = Alignment(horizontal="left", vertical="bottom")
FOOTER = "第 &P 页 共 &N 页"  # Excel's page codes: this page, all pages
POINTS_PER_LINE = 15  # one line of 11-point text, as Excel and LibreOffice draw it


_SHEET_NAME_BANNED = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet's name


def _alignment(col):
    if col.number_format in _MONEYLIKE:
        return _RIGHT
    if col.number_format or col.width <= 10:
        return _CENTER
    return _LEFT


def cn_date(day):
    """2026年2月1日: how a form writes a date."""
    return f"{day.year}年{day.month}月{day.day}日"


class Sheet:
    """A write-only sheet laid out as a printed Chinese reporting form:

    - row 1, the title (merged, large); row 2, the 填报单位（盖章） / period / 填报日期 line;
      optionally a band row (the township of an attendance sheet); the header row, optionally a
      second header row (the weekdays under the day numbers);
    - title, unit line, band and headers repeat at the top of every printed page (print titles),
      the footer numbers the pages 第 N 页 共 M 页 (Excel's &P / &N);
    - every table cell ruled (thin border), headers tall enough for their wrapped text, columns at
      least as wide as their longest usual value (``widths``, by header);
    - ``sign(...)`` closes the table with the signature line (填表人 / 审核人 / 负责人 …);
    - A4 landscape, fit to width; continues on a new sheet at Excel's row limit, furniture repeated.

    The keyword options default so that ``Sheet(wb, name, title, columns)`` is a complete form.
    """

    def __init__(
        self,
        wb,
        name,
        title,
        columns,
        *,
        unit="",
        period="",
        filled_on=None,
        band=None,
        subheader=None,
        header_fills=None,
        widths=None,
    ):
        self.wb, self.name, self.title, self.columns = wb, name, title, columns
        self.unit, self.period, self.band = unit, period, band
        self.filled_on = filled_on or datetime.date.today()
        self.subheader, self.header_fills = subheader, header_fills or {}
        widths = widths or {}
        self.widths = [max(col.width, widths.get(col.header, 0)) for col in columns]
        self._aligns = [_alignment(col) for col in columns]
        self.part = 0
        self._new_sheet()

    # --- the furniture ----------------------------------------------------------------------
    def _merged_line(self, ws, row, text, *, font=None, align=_LINE_LEFT, height=None, ruled=False):
        """One line of text over the whole width (a single cell A, merged: an import reading the
        file sees it in the first column only)."""
        n = len(self.columns)
        if height:
            ws.row_dimensions[row].height = height
        cell = text_cell(ws, text)
        cell.alignment = align
        if font:
            cell.font = font
        cells = [cell]
        if ruled:
            cell.border = _BORDER
            cells += [self._blank_ruled(ws) for _ in range(n - 1)]
        ws.append(cells)
        if n > 1:
            ws.merged_cells.add(f"A{row}:{get_column_letter(n)}{row}")

    @staticmethod
    def _blank_ruled(ws):
        cell = WriteOnlyCell(ws)
        cell.border = _BORDER
        return cell

    def _unit_line(self, ws, row):
        """填报单位（盖章）：… on the left, the period in the middle, 填报日期 on the right: three
        merged parts of the row."""
        n = len(self.columns)
        left = f"填报单位（盖章）：{self.unit}"
        right = f"填报日期：{cn_date(self.filled_on)}"
        ws.row_dimensions[row].height = 24
        if n < 3:
            self._merged_line(ws, row, f"{left}　　{self.period}　　{right}")
            return
        a, b = n * 2 // 5, n * 3 // 5  # left two fifths, middle fifth, right two fifths
        cells = [text_cell(ws, left)] + [None] * (a - 1)
        cells += [text_cell(ws, self.period)] + [None] * (b - a - 1)
        cells += [text_cell(ws, right)]
        cells[0].alignment, cells[a].alignment, cells[b].alignment = _LINE_LEFT, _CENTER, _LINE_RIGHT
        for c in (cells[0], cells[a], cells[b]):
            c.font = _LINE_FONT
        ws.append(cells)
        for first, last in ((1, a), (a + 1, b), (b + 1, n)):
            if last > first:
                ws.merged_cells.add(f"{get_column_letter(first)}{row}:{get_column_letter(last)}{row}")

    def _new_sheet(self):
        self.part += 1
        name = self.name if self.part == 1 else f"{self.name}（{self.part}）"
        ws = self.wb.create_sheet(_SHEET_NAME_BANNED.sub("", name)[:31] or "Sheet")
        for i, width in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top, ws.page_margins.bottom = 0.5, 0.6
        ws.page_margins.footer = 0.25
        ws.oddFooter.center.text = FOOTER
        ws.oddFooter.center.size = 10
        ws.evenFooter.center.text = FOOTER
        ws.firstFooter.center.text = FOOTER
        # Known before the first row is written: the sheet's view goes out with it.
        last = 3 + (self.band is not None) + (self.subheader is not None)
        ws.print_title_rows = f"1:{last}"
        ws.freeze_panes = f"A{last + 1}"
        # row 1: the title, guarded like any cell (the region's name comes first)
        self._merged_line(ws, 1, self.title, font=_TITLE_FONT, align=_TITLE_ALIGN, height=32)
        self._unit_line(ws, 2)
        row = 2
        if self.band is not None:
            row += 1
            self._merged_line(ws, row, self.band, font=_BOLD, height=20, ruled=True)
        row += 1
        self.header_row = row
        # The header row is as tall as its longest wrapped header (a CJK character is two widths),
        # so a long header does not spill over the title in LibreOffice or on paper.
        lines = max(
            math.ceil(_text_width(col.header) / max(w - 1, 1))
            for col, w in zip(self.columns, self.widths, strict=True)
        )
        ws.row_dimensions[row].height = POINTS_PER_LINE * max(lines, 1) + 6
        ws.append(self._header_cells(ws, [col.header for col in self.columns]))
        if self.subheader is not None:
            row += 1
            ws.row_dimensions[row].height = POINTS_PER_LINE + 5
            ws.append(self._header_cells(ws, self.subheader))
            # a column without a second header is one header cell over both rows
            for i, sub in enumerate(self.subheader, start=1):
                if sub is None:
                    letter = get_column_letter(i)
                    ws.merged_cells.add(f"{letter}{row - 1}:{letter}{row}")
        self.ws, self.rows, self.furniture_rows = ws, row, row
        self._cells = {}  # reused styled cells, per sheet
        self._formats = [col.number_format for col in self.columns]
        self._plain = [self._styled(i, fmt, False, None) for i, fmt in enumerate(self._formats)]
        self._fit = [max(w - 1, 1) for w in self.widths]  # text widths a line of each column holds
        self._dated = [bool(fmt) for fmt in self._formats]  # a date here takes the column's format

    def _header_cells(self, ws, values):
        cells = []
        for i, value in enumerate(values):
            cell = text_cell(ws, value)
            cell.font, cell.alignment, cell.border = _BOLD, _CENTER, _BORDER
            cell.fill = self.header_fills.get(i, _HEADER_FILL)
            cells.append(cell)
        return cells

    # --- the table --------------------------------------------------------------------------
    def _styled(self, i, fmt, bold, fill):
        """A ruled cell for column ``i``, made once per sheet and style and reused row after row:
        a write-only sheet serialises each row as it is appended, and setting a style on a new cell
        (a lookup in the workbook's style tables) cost more than writing it."""
        key = (i, fmt, bold, id(fill) if fill else None)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = WriteOnlyCell(self.ws)
            cell.border = _BORDER
            cell.alignment = self._aligns[i] if i < len(self._aligns) else _LEFT
            if fmt:
                cell.number_format = fmt
            if bold:
                cell.font = _BOLD
            if fill:
                cell.fill = fill
        return cell

    def append(self, values, *, bold=False, fills=None, merge_to=None):
        """One table row, every cell ruled; dates and numbers get their column's format, strings go
        through ``safe``. ``fills`` maps a column index to a fill; ``merge_to`` merges from A to that
        column (1-based), the row as tall as the merged text needs."""
        if self.rows >= MAX_ROWS:
            self._new_sheet()
        ws, cells = self.ws, []
        lines = 1
        if merge_to:
            values = list(values) + [None] * (merge_to - len(values))
            text = str(values[0] or "")
            room = sum(self.widths[:merge_to]) - 2
            lines = math.ceil(_text_width(text) / max(room, 1)) if text else 1
        if bold or fills or merge_to or len(values) > len(self._plain):
            fit = self._fit
            for i, value in enumerate(values):
                if type(value) is str and not merge_to and i < len(fit) and len(value) * CJK_WRAP > fit[i]:
                    lines = max(lines, _lines(value, fit[i]))
                cells.append(self._cell(value, i, bold, fills.get(i) if fills else None))
        else:
            # The common case, kept lean: each column's plain ruled cell takes the value.
            for i, value, cell, room, dated in zip(
                range(len(values)), values, self._plain, self._fit, self._dated, strict=False
            ):
                kind = type(value)
                if kind is str:
                    if value[:1] in _FORMULA_FIRST:
                        cells.append(self._guarded(value, i, False, None))
                        continue
                    if len(value) * CJK_WRAP > room:  # may wrap: count its lines
                        k = _lines(value, room)
                        if k > lines:
                            lines = k
                elif not (kind is int or value is None or (kind is datetime.date and dated)):
                    cells.append(self._cell(value, i, False, None))
                    continue
                cell.value = value
                cells.append(cell)
        self.rows += 1
        if lines > 1:
            # Neither Excel nor LibreOffice grows a row for wrapped text on opening the file: the
            # row is made as tall as its longest wrapped cell, and the entry dropped once written
            # (a write-only sheet writes the row on append), so memory stays flat.
            # The writer only reads the row's attributes: a plain dict of them costs a fraction of
            # a RowDimension object.
            ws.row_dimensions[self.rows] = {"ht": str(POINTS_PER_LINE * lines + 3), "customHeight": "1"}
            ws.append(cells)
            del ws.row_dimensions[self.rows]
        else:
            ws.append(cells)
        hook = progress_hook.get()
        if hook is not None:
            hook()
        if merge_to:
            ws.merged_cells.add(f"A{self.rows}:{get_column_letter(merge_to)}{self.rows}")

    def _cell(self, value, i, bold, fill):
        """Any value in column ``i``: dates and numbers get the column's format (a date without one
        yyyy-mm-dd), lazy labels become text, formula-like text is quote-prefixed."""
        fmt = self._formats[i] if i < len(self._formats) else None
        if isinstance(value, Promise):  # a lazy label
            value = str(value)
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date) and not fmt:
            fmt = DATE
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            return self._guarded(value, i, bold, fill)
        cell = self._styled(i, fmt, bold, fill)
        cell.value = value
        return cell

    def _guarded(self, value, i, bold, fill):
        """A fresh quote-prefixed text cell, ruled and styled like its column."""
        cell = text_cell(self.ws, value)
        cell.border = _BORDER
        cell.alignment = self._aligns[i] if i < len(self._aligns) else _LEFT
        if bold:
            cell.font = _BOLD
        if fill:
            cell.fill = fill
        return cell

    def line(self, text, *, bold=False):
        """A ruled line of text across the whole table (a summary, a legend), left-aligned and as
        tall as its wrapped text."""
        if self.rows >= MAX_ROWS:
            self._new_sheet()
        n = len(self.columns)
        lines = math.ceil(_text_width(text) / max(sum(self.widths) - 2, 1))
        self.rows += 1
        if lines > 1:
            self.ws.row_dimensions[self.rows].height = POINTS_PER_LINE * lines + 4
        cell = self._guarded(text, 0, bold, None)
        cell.alignment = _LEFT
        self.ws.append([cell] + [self._blank_ruled(self.ws) for _ in range(n - 1)])
        if n > 1:
            self.ws.merged_cells.add(f"A{self.rows}:{get_column_letter(n)}{self.rows}")

    def sign(self, *roles):
        """Close the form: a blank row, then the signature line — each role followed by room to
        sign (``sign("填表人", "审核人", "负责人")``). One merged cell, so an import of the file
        reads nothing in its columns."""
        roles = roles or ("填表人", "审核人", "负责人")
        # Each role gets an equal share of the table's width (a full-width space is two widths).
        share = sum(self.widths) / len(roles)
        text = "".join(
            f"{role}：" + "　" * max(int((share - _text_width(role) - 2) / 2 / 1.15), 4) for role in roles
        ).rstrip("　")
        self.ws.append([])
        self.rows += 1
        self.rows += 1
        self._merged_line(self.ws, self.rows, text, font=_LINE_FONT, align=_SIGN_ALIGN, height=36)


def _workbook():
    return Workbook(write_only=True)


# --- column definitions -----------------------------------------------------------------------
# Every column a roster or appraisal return may have (docs/excel-layouts.md). A layout is a list of
# (key, heading) pairs over these; the built-in layouts below are the keys in the official order.
# ``fields`` are the roster's ``values_list`` paths a value is made from; ``value`` makes the cell
# from them (roster: value(ctx, *fields); appraisal: value(ctx, appraisal, facts)). ``ctx`` holds
# the export's label tables and choices (built by exports.py, so this module needs no models).
# ``import_attr`` names the cadre import's field the column fills (the layout's import template).
@dataclass(frozen=True)
class Field:
    key: str
    heading: str
    width: float = 10
    number_format: str | None = None
    fields: tuple = ()
    value: Callable | None = None
    import_attr: str | None = None

    def column(self, heading=None):
        return Column(heading or self.heading, self.width, self.number_format)


def _yes(value):
    return "是" if value else "否"


def _role(ctx, role, leader):
    label = ctx.role.get(role, role)
    return f"{label}（工作队长）" if leader else label


def _birth(ctx, value):
    return value.replace(day=1) if ctx.mask_ids and value else value  # beside a masked ID: year-month


ROSTER_FIELDS_AVAILABLE = [
    Field("seq", "序号", 6, value=lambda c: c.n),
    Field("county", "县(市、区)", 12, None, ("village__township__parent__name",), lambda c, v: v or ""),
    Field("township", "乡镇", 12, None, ("village__township__name",), lambda c, v: v),
    Field("village", "村", 12, None, ("village__name",), lambda c, v: v),
    Field("village_code", "村代码", 14, None, ("village__code",), lambda c, v: v),
    Field(
        "village_categories",
        "村类别",
        18,
        None,
        ("village__categories",),
        lambda c, v: "、".join(c.category[x] for x in v if x in c.category),
    ),
    Field("name", "姓名", 10, None, ("cadre__name",), lambda c, v: v, "name"),
    Field("gender", "性别", 6, None, ("cadre__gender",), lambda c, v: c.gender.get(v, v), "gender"),
    Field("ethnicity", "民族", 8, None, ("cadre__ethnicity",), lambda c, v: v, "ethnicity"),
    Field("birth_date", "出生年月", 10, MONTH, ("cadre__birth_date",), _birth, "birth_date"),
    Field("id_number", "身份证号", 20, None, ("cadre__id_number",), lambda c, v: c.mask(v), "id_number"),
    Field(
        "political_status",
        "政治面貌",
        12,
        None,
        ("cadre__political_status",),
        lambda c, v: c.status.get(v, v),
        "political_status",
    ),
    Field(
        "party_joined_on",
        "入党时间",
        10,
        MONTH,
        ("cadre__party_joined_on",),
        lambda c, v: v,
        "party_joined_on",
    ),
    Field(
        "party_full_member_on",
        "转正时间",
        11,
        DATE,
        ("cadre__party_full_member_on",),
        lambda c, v: v,
        "party_full_member_on",
    ),
    Field(
        "work_started_on",
        "参加工作时间",
        12,
        MONTH,
        ("cadre__work_started_on",),
        lambda c, v: v,
        "work_started_on",
    ),
    Field("unit", "派出单位", 22, None, ("cadre__unit__name",), lambda c, v: v, "unit"),
    Field("position", "现任职务", 16, None, ("cadre__position",), lambda c, v: v, "position"),
    Field("dispatch_level", "派出层级", 8, None, ("dispatch_level",), lambda c, v: c.level.get(v, v)),
    Field("rank", "职级", 8, None, ("cadre__rank",), lambda c, v: c.rank.get(v, v), "rank"),
    Field(
        "education", "学历", 12, None, ("cadre__education",), lambda c, v: c.education.get(v, v), "education"
    ),
    Field("specialty", "专业特长", 14, None, ("cadre__specialty",), lambda c, v: v, "specialty"),
    Field("full_time", "是否脱产", 8, None, ("cadre__full_time",), lambda c, v: _yes(v), "full_time"),
    # A work-team leader (工作队长, usually the first secretary) shows in the role: 第一书记（工作队长）.
    Field("role", "职务", 16, None, ("role", "team_leader"), _role),
    Field("team_leader", "是否工作队长", 8, None, ("team_leader",), lambda c, v: _yes(v)),
    Field("batch", "批次", 14, None, ("batch",), lambda c, v: v),
    Field("start_date", "任职时间", 11, DATE, ("start_date",), lambda c, v: v),
    Field("planned_end_date", "计划期满", 11, DATE, ("planned_end_date",), lambda c, v: v),
    Field("phone", "联系电话", 14, None, ("cadre__phone",), lambda c, v: v, "phone"),
    Field("note", "备注", 24, None, ("cadre__note",), lambda c, v: v, "note"),
]


def _served(f, text):
    """The distinct ``text(assignment)`` over the person's assignments in the county that year."""
    return "、".join(dict.fromkeys(text(a) for a in f.assignments))


def _appraisal_role(ctx, a):
    label = str(a.get_role_display())
    return f"{label}（工作队长）" if a.team_leader else label


def _cadre(name):
    return lambda c, ap, f: getattr(ap.cadre, name)


def _cadre_label(name):
    return lambda c, ap, f: str(getattr(ap.cadre, f"get_{name}_display")()) if getattr(ap.cadre, name) else ""


APPRAISAL_FIELDS_AVAILABLE = [
    Field("seq", "序号", 6, value=lambda c, ap, f: c.n),
    Field("name", "姓名", 10, value=_cadre("name")),
    Field("gender", "性别", 6, value=_cadre_label("gender")),
    Field("ethnicity", "民族", 8, value=_cadre("ethnicity")),
    Field("birth_date", "出生年月", 10, MONTH, value=lambda c, ap, f: ap.cadre.birth_date.replace(day=1)),
    Field("political_status", "政治面貌", 12, value=_cadre_label("political_status")),
    Field("unit", "派出单位", 22, value=lambda c, ap, f: ap.cadre.unit.name),
    Field("position", "现任职务", 16, value=_cadre("position")),
    Field("rank", "职级", 8, value=_cadre_label("rank")),
    Field("education", "学历", 12, value=_cadre_label("education")),
    Field("township", "乡镇", 12, value=lambda c, ap, f: _served(f, lambda a: a.village.township.name)),
    Field("village", "村", 12, value=lambda c, ap, f: _served(f, lambda a: a.village.name)),
    Field("role", "职务", 10, value=lambda c, ap, f: _served(f, lambda a: _appraisal_role(c, a))),
    Field("score", "得分", 8, "0.0", value=lambda c, ap, f: ap.score),
    Field("grade", "等次", 10, value=lambda c, ap, f: ap.get_grade_display() if ap.grade else ""),
    Field("cap", "最高可评等次", 12, value=lambda c, ap, f: f.cap_label),
    Field("cap_reasons", "限制原因", 40, value=lambda c, ap, f: "；".join(str(x) for x in f.cap_reasons)),
    Field("ungraded_reason", "不确定等次原因", 30, value=lambda c, ap, f: ap.ungraded_reason),
    Field("phone", "联系电话", 14, value=_cadre("phone")),
]

AVAILABLE = {
    "roster": {f.key: f for f in ROSTER_FIELDS_AVAILABLE},
    "appraisal": {f.key: f for f in APPRAISAL_FIELDS_AVAILABLE},
}

# The built-in layouts: the official forms' columns, in their order.
BUILTIN = {
    "roster": [
        "seq",
        "county",
        "township",
        "village",
        "village_code",
        "village_categories",
        "name",
        "gender",
        "ethnicity",
        "birth_date",
        "id_number",
        "political_status",
        "party_joined_on",
        "party_full_member_on",
        "work_started_on",
        "unit",
        "position",
        "dispatch_level",
        "rank",
        "education",
        "specialty",
        "full_time",
        "role",
        "batch",
        "start_date",
        "planned_end_date",
        "phone",
        "note",
    ],
    "appraisal": [
        "seq",
        "name",
        "unit",
        "township",
        "village",
        "role",
        "score",
        "grade",
        "cap",
        "cap_reasons",
        "ungraded_reason",
    ],
}


def builtin_layout(kind):
    """The built-in layout as (key, heading) pairs."""
    return [(key, AVAILABLE[kind][key].heading) for key in BUILTIN[kind]]


def layout_fields(kind, layout=None):
    """[(Field, Column)] of ``layout`` ((key, heading) pairs; None: the built-in one). A key no longer
    offered is skipped, so a stored layout never breaks an export; nothing left: the built-in one."""
    available = AVAILABLE[kind]
    chosen = [(available[key], heading) for key, heading in (layout or ()) if key in available]
    if not chosen:
        chosen = [(available[key], None) for key in BUILTIN[kind]]
    return [(f, f.column(heading)) for f, heading in chosen]


ROSTER_COLUMNS = [c for _f, c in layout_fields("roster")]
APPRAISAL_COLUMNS = [c for _f, c in layout_fields("appraisal")]
