"""What the exports and the imports share: the formula guard, the styled write-only sheet and the
column definitions that a layout, an export and its import template have in common.

Neither ``exports`` nor ``imports`` reaches into the other: both read this module.
"""

import contextvars
import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

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
_TITLE_FONT = Font(bold=True, size=14)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HOLIDAY_FILL = PatternFill("solid", fgColor="D9D9D9")  # rest days and holidays, as on screen
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _text_width(text):
    return sum(2 if ord(c) > 0x2E80 else 1 for c in str(text))


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


class Sheet:
    """A write-only sheet with the chrome every export has: a merged title row, bold headers, frozen
    panes, column widths, A4 landscape fit to width; continues on a new sheet at Excel's row limit."""

    def __init__(self, wb, name, title, columns):
        self.wb, self.name, self.title, self.columns = wb, name, title, columns
        self.part = 0
        self._new_sheet()

    def _new_sheet(self):
        self.part += 1
        name = self.name if self.part == 1 else f"{self.name}（{self.part}）"
        ws = self.wb.create_sheet(name[:31])
        n = len(self.columns)
        last = get_column_letter(n)
        ws.merged_cells.add(f"A1:{last}1")
        ws.freeze_panes = "A3"
        ws.print_title_rows = "1:2"
        for i, col in enumerate(self.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        title = text_cell(ws, self.title)  # the region's name comes first: guarded like any cell
        title.font, title.alignment = _TITLE_FONT, _CENTER
        ws.append([title])
        # The header row is as tall as its longest wrapped header (a CJK character is two widths),
        # so a long header does not spill over the title in LibreOffice or on paper.
        lines = max(math.ceil(_text_width(col.header) / max(col.width - 1, 1)) for col in self.columns)
        ws.row_dimensions[2].height = 15 * max(lines, 1) + 3
        headers = []
        for col in self.columns:
            cell = text_cell(ws, col.header)
            cell.font, cell.alignment, cell.fill, cell.border = _BOLD, _CENTER, _HEADER_FILL, _BORDER
            headers.append(cell)
        ws.append(headers)
        self.ws, self.rows = ws, 2
        self._cells = {}  # reused styled cells, per sheet
        self._formats = [col.number_format for col in self.columns]

    def _styled(self, i, fmt, bold, fill):
        """A styled cell for column ``i``, made once per sheet and style and reused row after row:
        a write-only sheet serialises each row as it is appended, and setting a style on a new cell
        (a lookup in the workbook's style tables) cost more than writing it."""
        key = (i, fmt, bold, id(fill) if fill else None)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = WriteOnlyCell(self.ws)
            if fmt:
                cell.number_format = fmt
            if bold:
                cell.font = _BOLD
            if fill:
                cell.fill = fill
        return cell

    def append(self, values, *, bold=False, fills=None, merge_to=None):
        """One row; dates and numbers get their column's format, strings go through ``safe``.
        ``fills`` maps a column index to a fill; ``merge_to`` merges from A to that column (1-based)."""
        if self.rows >= MAX_ROWS:
            self._new_sheet()
        ws, cells, formats = self.ws, [], self._formats
        for i, value in enumerate(values):
            fill = fills.get(i) if fills else None
            kind = type(value)
            if kind is str and not (bold or fill):  # the common case: plain text
                cells.append(safe(ws, value) if value[:1] in _FORMULA_FIRST else value)
                continue
            fmt = formats[i] if i < len(formats) else None
            if isinstance(value, Promise):  # a lazy label
                value = str(value)
            if isinstance(value, datetime.datetime):
                value = value.date()
            if isinstance(value, datetime.date) and not fmt:
                fmt = DATE
            numeric = isinstance(value, datetime.date | int | float | Decimal)
            if isinstance(value, str) and value.startswith(FORMULA_STARTS):
                value = safe(ws, value)  # a fresh quote-prefixed cell, styled below
                if bold:
                    value.font = _BOLD
                if fill:
                    value.fill = fill
            elif bold or fill or (fmt and numeric):
                cell = self._styled(i, fmt if numeric else None, bold, fill)
                cell.value = value
                value = cell
            cells.append(value)
        ws.append(cells)
        self.rows += 1
        hook = progress_hook.get()
        if hook is not None:
            hook()
        if merge_to:
            ws.merged_cells.add(f"A{self.rows}:{get_column_letter(merge_to)}{self.rows}")


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
