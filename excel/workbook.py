"""What the exports and the imports share: the formula guard, the styled write-only sheet and the
column definitions that a layout, an export and its import template have in common.

Neither ``exports`` nor ``imports`` reaches into the other: both read this module.
"""

import contextvars
import datetime
import math
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
ROSTER_COLUMNS = [
    Column("序号", 6),
    Column("县(市、区)", 12),
    Column("乡镇", 12),
    Column("村", 12),
    Column("村代码", 14),
    Column("村类别", 18),
    Column("姓名", 10),
    Column("性别", 6),
    Column("出生年月", 10, MONTH),
    Column("身份证号", 20),
    Column("政治面貌", 12),
    Column("入党时间", 10, MONTH),
    Column("转正时间", 11, DATE),
    Column("派出单位", 22),
    Column("派出层级", 8),
    Column("职级", 8),
    Column("学历", 12),
    Column("职务", 10),
    Column("批次", 14),
    Column("任职时间", 11, DATE),
    Column("计划期满", 11, DATE),
    Column("联系电话", 14),
]
