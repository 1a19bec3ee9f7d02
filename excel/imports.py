"""Excel imports (村、驻村干部、驻村任职): validate the whole workbook, then write it in one transaction.

``run(kind, fileobj, user, filename=…)`` returns a ``Result``: either every row error found (and
nothing written) or the counts of created, updated and unchanged rows. A file that cannot be imported
at all (not .xlsx, too large, too many rows, a zip bomb, missing or unknown headers, duplicate keys)
raises ``ImportRefused`` with a message that says why.

Business rules stay in the models: each row becomes a model instance and ``full_clean()`` (for
assignments ``Assignment.clean()``, i.e. ``assignments.rules.assignment_errors``) decides; this module
only parses cells, resolves references within the user's jurisdiction and translates each
``ValidationError`` into (row, column, value, message). ``full_clean`` runs with
``validate_unique=False, validate_constraints=False``: uniqueness is resolved here in bulk by natural
key, and every check constraint has its friendly twin in ``clean()`` — running the constraints in
Python would cost one query per constraint per row. The database constraints stay the backstop.

Reading: python-calamine (Rust) reads 10,000 × 21 cells in ~0.3 s; openpyxl's read-only mode took
~6 s on this machine. Before calamine sees the file, the zip directory is checked: total and per-member
uncompressed sizes and the compression ratio (zip bombs).

The Chinese headers are data (the column names of the roster export and the official forms), not UI.
"""

import datetime
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from accounts import access
from assignments import rules
from assignments.models import Assignment, AssignmentEvent, Policy
from cadres import ethnicity, filing, idcard
from cadres.dates import term_end
from cadres.models import Cadre, Level, Unit
from villages.models import Region, Village

from . import layouts, reading
from .workbook import CONTENT_TYPE, LANGUAGE, ROSTER_COLUMNS  # noqa: F401 (CONTENT_TYPE for the views)

# Limits (module constants, so a deployment — or a test — can change them).
MAX_BYTES = 10 * 1024 * 1024  # the uploaded file
MAX_ROWS = 50_000  # data rows
MAX_UNCOMPRESSED = 300 * 1024 * 1024  # all members of the zip together, uncompressed
MAX_RATIO = 200  # uncompressed ÷ compressed for any member larger than RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
HEADER_SEARCH_ROWS = 20  # the header row may follow a title and notes (offices' own sheets)
MAX_COLUMNS = 200  # columns of a CSV row (a workbook's are bounded by the pre-scans)
BATCH = 1000

KINDS = {"villages": "村", "cadres": "驻村干部", "assignments": "驻村任职"}


class ImportRefused(Exception):
    """The file as a whole cannot be imported; ``str(exc)`` says why."""


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str
    cell: str = ""  # where, as a spreadsheet names it: 花名册!J5 (花名册!5:5 for the whole row)


@dataclass
class Result:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)
    sheet: str = ""  # the sheet read (a CSV file: its name)
    notes: list = field(default_factory=list)  # what was read and skipped, in words

    @property
    def ok(self):
        return not self.errors


class CellError(ValueError):
    pass


# --- cells --------------------------------------------------------------------------------------
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_FULLWIDTH = {0xFF10 + i: ord("0") + i for i in range(10)} | {
    0xFF0D: "-",
    0xFF0F: "/",
    0xFF0E: ".",
    0x3000: " ",
    0xFF0C: ",",
    0xFF1A: ":",
}


_CLEAN = _INVISIBLE | _FULLWIDTH  # one pass over the string instead of two
_MAYBE_EMPTY = frozenset(c for c in map(chr, range(0x3001)) if c.isspace()) | set(map(chr, _INVISIBLE))


def text(value):
    """A cell as clean text: no zero-width characters, full-width digits made ASCII, stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).translate(_CLEAN).strip()


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE8_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")


# Excel's day numbers (1900 date system; day 1 is 1900-01-01, and Excel counts a 29 February 1900
# that never was, so from day 61 on the origin is 1899-12-30). Only 1920-01-01 … 2099-12-31 (days
# 7306 … 73050) are taken as dates: no year (1900–2099) or month written as a number (2012.1) falls
# in that range, so a number there is a date and nothing else.
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
SERIAL_FIRST, SERIAL_LAST = 7306, 73050


def _date_from_number(value, month_ok):
    """A numeric cell in a date column: an Excel day number, or 20240301 written as a number."""
    if 1900 <= value < 2100:
        if month_ok and not float(value).is_integer():
            raise CellError(
                _(
                    "The month arrived as a number (%(value)s), so 2012.10 cannot be told from 2012.1. Set "
                    "the column's format to text and enter the month as 2012-10."
                )
                % {"value": value}
            )
        raise CellError(
            _("A number (%(value)s) is not a date: enter a date like 2024-03-01 or a month like 2010-07.")
            % {"value": value}
        )
    if SERIAL_FIRST <= value <= SERIAL_LAST:
        return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
    if float(value).is_integer() and 19000101 <= value <= 20991231:
        return None  # 20240301: read as text below
    raise CellError(
        _(
            "The number %(value)s is not a date: enter a date like 2024-03-01 (or format the cell as a "
            "date in Excel)."
        )
        % {"value": value}
    )


def parse_date(value, *, month_ok=False):
    """A real Excel date, or text 2024-03-01 / 2024/3/1 / 2024.03.01 / 2024年3月1日 / 20240301;
    with ``month_ok`` also 2010-07 (→ the first of the month). Returns (date, is_month_only).
    A plain number is an Excel day number only in 1920…2099 (see ``SERIAL_FIRST``); a month that
    arrived as a number (2012.1) is refused: it may have been 2012.10."""
    if isinstance(value, datetime.datetime):
        return value.date(), False
    if isinstance(value, datetime.date):
        return value, False
    if isinstance(value, int | float) and not isinstance(value, bool):
        day = _date_from_number(value, month_ok)
        if day is not None:
            return day, False
    s = text(value)
    m = _DATE_RE.match(s) or _DATE8_RE.match(s)
    month_only = False
    if not m and month_ok:
        m = _MONTH_RE.match(s)
        month_only = bool(m)
    if not m:
        hint = (
            _("a date like 2024-03-01")
            if not month_ok
            else _("a date like 2024-03-01 or a month like 2010-07")
        )
        raise CellError(_("Not a date: enter %(hint)s.") % {"hint": hint})
    y, mo, d = int(m[1]), int(m[2]), int(m[3]) if not month_only else 1
    try:
        return datetime.date(y, mo, d), month_only
    except ValueError:
        raise CellError(
            _("%(value)s is not a real date (no such day in that month).") % {"value": s}
        ) from None


def parse_month(value):
    return parse_date(value, month_ok=True)


_SCIENTIFIC_RE = re.compile(r"\d(?:\.\d*)?[eE]\+?\d+")


def parse_id_number(value):
    """An ID number must arrive as text: a number has been through Excel's 15 significant digits
    (a CSV saved by Excel carries it as the text it showed, 3.70682E+17)."""
    if isinstance(value, str) and _SCIENTIFIC_RE.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError(
            _(
                "The ID number arrived as a number (%(value)s): Excel keeps only 15 significant digits, so "
                "its last digits may have been lost, whatever its check digit says. Set the column's format "
                "to text (文本), type the ID numbers again and import."
            )
            % {"value": f"{value:.5E}" if abs(value) >= 1e15 else value}
        )
    return idcard.normalize(text(value))


_PHONE_BLANKS = re.compile(r"[\s()（）]")
_MOBILE_RE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
_LANDLINE_RE = re.compile(r"0\d{2,3}-?[1-9]\d{6,7}(?:(?:-|转|#|ext\.?)\d{1,6})?", re.IGNORECASE)


def parse_phone(value):
    """An 11-digit mobile number (1[3-9]…, an optional +86 dropped), or a landline with its area code
    (0535-1234567, 0535-12345678, an extension after -, 转 or #); spaces and brackets are dropped."""
    s = text(value)
    compact = _PHONE_BLANKS.sub(
        "", s.replace("(0", "0").replace("（0", "0").replace(")", "-").replace("）", "-")
    )
    compact = compact.replace("--", "-")
    m = _MOBILE_RE.fullmatch(compact)
    if m:
        return m[1]
    if _LANDLINE_RE.fullmatch(compact):
        return compact
    raise CellError(
        _(
            "Not a phone number: enter an 11-digit mobile number such as 13800000000, or a landline with "
            "its area code such as 0535-1234567 (an extension after a further -)."
        )
    )


def parse_ethnicity(value):
    """One of the 56 names (汉族); the name without 族 (汉, 蒙古) is taken too, as forms often print it."""
    s = text(value).replace(" ", "")
    found = _ETHNIC.get(s) or _ETHNIC.get(s + "族")
    if found is None:
        raise CellError(_("Unknown ethnic group: enter one of the 56 names, such as 汉族 or 回族."))
    return found


_ETHNIC = {name: name for name in ethnicity.ETHNIC_GROUPS}


def parse_int(value):
    s = text(value).replace(",", "")
    if not re.fullmatch(r"\d+", s):
        raise CellError(_("Enter a whole number of zero or more."))
    return int(s)


def parse_bool(value):
    s = text(value).lower()
    if s in ("是", "y", "yes", "true", "1", "√"):
        return True
    if s in ("否", "n", "no", "false", "0", ""):
        return False
    raise CellError(_("Enter 是 or 否."))


def _choices_map(choices, extra=None):
    """Label (in every language of the site) or code → code, for a model's choices."""
    from django.conf import settings

    found = {}
    for code, label in choices:
        found[str(code).lower()] = code
        for language, _name in settings.LANGUAGES:
            with override(language):
                found[str(label).lower()] = code
    for k, v in (extra or {}).items():
        found[k.lower()] = v
    return found


def _chinese_labels(choices):
    with override(LANGUAGE):
        return [str(label) for _code, label in choices]


def choice_parser(choices, extra=None):
    cache = {}

    def parse(value):
        # Built on first use (translations need the app registry), with every language's labels, so
        # no per-cell language lookup: 10,000 rows × 5 coded columns made that 0.75 s of an import.
        if not cache:
            cache["map"] = _choices_map(choices, extra)
        s = text(value)
        try:
            return cache["map"][s.lower()]
        except KeyError:
            raise CellError(
                _("Unknown value: choose one of %(labels)s.")
                % {"labels": "、".join(_chinese_labels(choices))}
            ) from None

    return parse


CATEGORY_EXTRA = {
    # Older or local names of the categories, still found in counties' own sheets.
    "乡村振兴重点帮扶村": "revitalization",
    "乡村振兴重点村": "revitalization",
    "重点帮扶村": "revitalization",
    "软弱涣散村": "weak_org",
    "党组织软弱涣散": "weak_org",
    "其他": "other",
}


def parse_categories(value):
    parse_one = _parse_category
    found = []
    for part in re.split(r"[、，,;；\s]+", text(value)):
        if part:
            code = parse_one(part)
            if code not in found:
                found.append(code)
    return found


_parse_category = choice_parser(Village.Category.choices, CATEGORY_EXTRA)
GRADE_EXTRA = {"1": 1, "2": 2, "3": 3, "4": 4, "一类村": 1, "二类村": 2, "三类村": 3, "四类村": 4}
ROLE_EXTRA = {"队员": "team_member", "书记": "first_secretary"}


# --- columns ------------------------------------------------------------------------------------
@dataclass
class Col:
    header: str
    attr: str  # model field (or a pseudo-field handled by the importer)
    parse: object = text
    required: bool = False  # the header must be present (the cell may still be optional)
    aliases: tuple = ()
    choices: list | None = None  # for the template's drop-down
    example: object = ""


def _rank_labels():
    return _chinese_labels(Cadre.Rank.choices)


YES_NO = [("是", "是"), ("否", "否")]
ID_ALIASES = ("身份证号码", "公民身份号码", "公民身份证号码", "身份证", "身份证件号码")

COLUMNS = {
    "villages": [
        Col(
            "村代码",
            "code",
            required=True,
            aliases=("村编码", "行政区划代码", "村级代码"),
            example="示例：370682100201",
        ),
        Col("村名称", "name", required=True, aliases=("村", "村名", "行政村", "村庄名称"), example="大宁村"),
        Col("乡镇代码", "township_code", aliases=("乡镇编码", "镇街代码"), example="370682100000"),
        Col("乡镇名称", "township_name", aliases=("乡镇", "乡镇（街道）", "镇街"), example="沐浴店镇"),
        Col(
            "村类别",
            "categories",
            parse_categories,
            choices=Village.Category.choices,
            example="脱贫村、党组织软弱涣散村",
        ),
        Col("问题突出村", "problem_prominent", parse_bool, choices=YES_NO, example="否"),
        Col(
            "党组织等级",
            "party_org_grade",
            choice_parser(Village.Grade.choices, GRADE_EXTRA),
            choices=Village.Grade.choices,
            example="二类",
        ),
        Col("人口", "population", parse_int, aliases=("户籍人口", "人口数"), example=1200),
        Col("户数", "households", parse_int, aliases=("户籍户数",), example=420),
    ],
    "cadres": [
        Col("姓名", "name", required=True, example="张伟"),
        Col(
            "性别", "gender", choice_parser(Cadre.Gender.choices), choices=Cadre.Gender.choices, example="男"
        ),
        Col(
            "身份证号",
            "id_number",
            parse_id_number,
            required=True,
            aliases=ID_ALIASES,
            example="示例：37068219850501123X",
        ),
        Col("出生年月", "birth_date", parse_month, aliases=("出生日期", "出生时间"), example="1985-05"),
        Col("民族", "ethnicity", parse_ethnicity, choices=ethnicity.CHOICES, example="汉族"),
        Col(
            "政治面貌",
            "political_status",
            choice_parser(
                Cadre.PoliticalStatus.choices, {"党员": "party_member", "预备党员": "probationary"}
            ),
            required=True,
            choices=Cadre.PoliticalStatus.choices,
            example="中共党员",
        ),
        Col("入党时间", "party_joined_on", parse_month, aliases=("入党日期", "入党年月"), example="2010-07"),
        Col("转正时间", "party_full_member_on", parse_month, aliases=("转正日期",), example="2011-07"),
        Col(
            "参加工作时间",
            "work_started_on",
            parse_month,
            aliases=("参加工作日期", "参加工作年月"),
            example="2008-08-01",
        ),
        Col(
            "派出单位",
            "unit",
            required=True,
            aliases=("选派单位", "原单位", "原工作单位"),
            example="莱阳市财政局",
        ),
        Col("是否脱产", "full_time", parse_bool, aliases=("脱产",), choices=YES_NO, example="是"),
        Col(
            "职级",
            "rank",
            choice_parser(Cadre.Rank.choices),
            required=True,
            aliases=("职务职级", "现职级"),
            choices=Cadre.Rank.choices,
            example="正科级",
        ),
        Col(
            "学历",
            "education",
            choice_parser(Cadre.Education.choices),
            aliases=("文化程度", "最高学历"),
            choices=Cadre.Education.choices,
            example="大学本科",
        ),
        Col("专业特长", "specialty", aliases=("特长",), example="农业经济"),
        Col(
            "联系电话",
            "phone",
            parse_phone,
            aliases=("电话", "电话号码", "手机", "手机号", "手机号码", "联系方式"),
            example="13800000000",
        ),
    ],
    "assignments": [
        Col(
            "身份证号",
            "id_number",
            parse_id_number,
            required=True,
            aliases=ID_ALIASES,
            example="示例：37068219850501123X",
        ),
        Col("村代码", "village", required=True, aliases=("村编码", "派驻村代码"), example="370682100201"),
        Col(
            "职务",
            "role",
            choice_parser(Assignment.Role.choices, ROLE_EXTRA),
            required=True,
            aliases=("驻村职务",),
            choices=Assignment.Role.choices,
            example="第一书记",
        ),
        Col(
            "工作队长",
            "team_leader",
            parse_bool,
            aliases=("是否工作队长", "是否队长"),
            choices=YES_NO,
            example="是",
        ),
        Col(
            "任职时间",
            "start_date",
            parse_date,
            required=True,
            aliases=("派驻时间", "到村时间", "驻村时间"),
            example="2025-03-01",
        ),
        Col(
            "计划期满",
            "planned_end_date",
            parse_date,
            aliases=("期满时间", "计划期满时间"),
            example="2027-02-28",
        ),
        Col("批次", "batch", aliases=("选派批次",), example="2025年第一批"),
        Col(
            "派出层级", "dispatch_level", choice_parser(Level.choices), choices=Level.choices, example="县级"
        ),
    ],
}

# Headers of the exports that an import of any kind may carry and ignores (so an export imports).
IGNORED = {c.header for c in ROSTER_COLUMNS} | {"备注"}
KEY_HEADER = {"villages": "村代码", "cadres": "身份证号", "assignments": "身份证号"}


# --- export layouts (excel/layouts.py): the one hook into this module --------------------------------
def _layout_headers(kind, columns, by_header):
    """Add to ``by_header`` the headings the regions' roster layouts give the cadre columns (so a
    template or roster in a layout imports); returns the layouts' other headings, to be ignored."""
    if kind != "cadres":
        return set()
    aliases, ignored = layouts.import_headers()
    by_attr = {c.attr: c for c in columns}
    for name, attr in aliases.items():
        if attr in by_attr:
            by_header.setdefault(header_name(name), by_attr[attr])
    return {header_name(name) for name in ignored}


# --- reading ------------------------------------------------------------------------------------
EXTENSIONS = (".xlsx", ".xls", ".csv")


def file_format(data: bytes, filename: str | None = None):
    """ "xlsx", "xls" or "csv", from the content (a renamed file is read for what it is), after the size
    and the name's extension are checked; refuses anything else with what to do."""
    if filename is not None and not filename.lower().endswith(EXTENSIONS):
        raise ImportRefused(
            _(
                "Only Excel workbooks (.xlsx, .xls) and CSV files can be imported (got %(name)s). Save the "
                "file as .xlsx first."
            )
            % {"name": filename}
        )
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            _("The file is %(size).1f MB; at most %(max).0f MB can be imported. Split it into several files.")
            % {"size": len(data) / 1024 / 1024, "max": MAX_BYTES / 1024 / 1024}
        )
    if data.startswith(_OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise ImportRefused(
                _(
                    "The workbook is protected by a password (encrypted). Remove the password and save it again."
                )
            )
        return "xls"
    if data.startswith(b"PK\x03\x04") or zipfile.is_zipfile(io.BytesIO(data)):
        return "xlsx"
    if filename is not None and filename.lower().endswith(".csv"):
        return "csv"
    raise ImportRefused(
        _(
            "This is not an .xlsx workbook (a CSV or a renamed file?). Save it from Excel or WPS as .xlsx, "
            "or give a CSV file the name ending .csv."
        )
    )


def check_archive(data: bytes, filename: str | None = None):
    """Refuse anything that is not a sane .xlsx before a parser sees it."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if data.startswith(b"PK\x03\x04"):
            raise ImportRefused(
                _(
                    "The workbook is incomplete (cut off while copying or uploading?). Upload the whole file again."
                )
            )
        raise ImportRefused(
            _("This is not an .xlsx workbook (a CSV or a renamed file?). Save it from Excel or WPS as .xlsx.")
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile:
        raise ImportRefused(_("The workbook is damaged and cannot be read.")) from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise ImportRefused(
            _("This is not an .xlsx workbook (an .xls or a renamed file?). Save it as .xlsx.")
        )
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ImportRefused(
            _("The workbook contains macros (VBA). Save it as a plain .xlsx workbook without macros.")
        )
    total = sum(i.file_size for i in infos)
    too_dense = any(
        i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos
    )
    if total > MAX_UNCOMPRESSED or too_dense:
        raise ImportRefused(
            _(
                "The workbook unpacks to %(size).0f MB (or compresses suspiciously well): refused as a "
                "possible zip bomb. Remove empty formatted rows or split the file."
            )
            % {"size": total / 1024 / 1024}
        )


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file: .xls, or an encrypted workbook
MAX_CELLS = 3_000_000  # rows × columns of a sheet's used area (calamine holds the whole rectangle)
MAX_SHEET_ROWS = 1_048_576  # Excel's own limits: a reference past them is not one Excel writes
MAX_SHEET_COLUMNS = 16_384
MAX_SHARED_STRINGS = MAX_CELLS
_CELL_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})\Z")
_RANGE_REF = re.compile(r"[A-Z]{1,3}[1-9][0-9]{0,6}(?::[A-Z]{1,3}[1-9][0-9]{0,6})?\Z")
_ROW_REF = re.compile(r"[1-9][0-9]{0,6}\Z")
# Inside <sheetData> only these elements, each under its own parent; anything else is refused.
_SHEET_DATA_PARENT = {
    "row": {"sheetData"},
    "c": {"row"},
    "v": {"c"},
    "f": {"c"},
    "is": {"c"},
    "t": {"is", "r", "rPh"},
    "r": {"is"},
    "rPh": {"is"},
    "phoneticPr": {"is"},
    "rPr": {"r"},
    "extLst": {"row", "c"},
}
_FREE_INSIDE = {"rPr", "extLst", "phoneticPr"}  # formatting and extensions: never read as data
_SKIPPED_PARTS = (".png", ".jpeg", ".jpg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".bin", ".vml")
_SKIPPED_DIRS = ("xl/media/", "xl/embeddings/", "xl/printerSettings/")


def _column_number(letters, _known={}):  # noqa: B006 (a cache: a sheet uses a few columns)
    n = _known.get(letters)
    if n is None:
        n = 0
        for ch in letters:
            n = n * 26 + ord(ch) - 64
        _known[letters] = n
    return n


class _Refused(Exception):
    """Raised inside the expat callbacks; carries the ImportRefused message out of the parser."""


class _SheetScan:
    """One streaming pass over an XML part of the workbook (expat: no tree, no entity expansion).

    Accepts only what it understands: every cell reference must be one Excel writes (A1 … XFD1048576,
    upper case), every cell carries one, the elements inside <sheetData> are the known few, formulas
    are refused; it records the used rectangle of valued cells, the number of rows and cells, and the
    number of shared strings. A refusal raises ``ImportRefused`` naming the part and the problem.
    """

    def __init__(self, part):
        self.part = part
        self.stack = []
        self.root = None
        self.in_data = False
        self.free = 0  # depth inside a formatting/extension element
        self.cell = None  # (ref, row, col) of the open <c>
        self.valued = False
        self.max_row = self.max_col = 0
        self.rows = self.cells = self.strings = 0
        self.formula_at = None

    def refuse(self, message):
        raise _Refused(message)

    def bad_ref(self, ref, what):
        self.refuse(
            _(
                "The sheet %(part)s has %(what)s %(ref)s, which is not a cell reference Excel or WPS writes "
                "(such as B12, at most XFD1048576). Save the file again from Excel or WPS."
            )
            % {"part": self.part, "what": what, "ref": repr(ref)[:40]}
        )

    def start(self, name, attrs):
        # Without namespace processing a name is as written: "c", or "x:c" with a prefix; its local
        # part is what calamine matches, whatever namespace the prefix stands for.
        local = name.rpartition(":")[2] if ":" in name else name
        stack = self.stack
        parent = stack[-1] if stack else None
        stack.append(local)
        if self.free:
            self.free += 1
        elif self.in_data:  # the hot path: rows and cells
            if parent not in _SHEET_DATA_PARENT.get(local, ()):
                self.refuse(
                    _(
                        "The sheet %(part)s holds an element <%(tag)s> (inside <%(parent)s>) that this "
                        "import does not understand. Save the file again from Excel or WPS as a plain "
                        ".xlsx workbook."
                    )
                    % {"part": self.part, "tag": local[:40], "parent": parent}
                )
            if local == "c":
                self.start_cell(attrs.get("r"))
            elif local == "v" or local == "is" or local == "f":
                self.value(local)
            elif local == "row":
                self.rows += 1
                ref = attrs.get("r")
                if ref is not None and not (_ROW_REF.match(ref) and int(ref) <= MAX_SHEET_ROWS):
                    self.bad_ref(ref, _("a row number"))
            elif local in _FREE_INSIDE:
                self.free = 1
        elif self.root is None:
            self.root = local
        elif self.root == "sst":
            if local == "si" and parent == "sst":
                self.strings += 1
                if self.strings > MAX_SHARED_STRINGS:
                    self.refuse(
                        _("The workbook holds more than %(max)d texts; at most that many can be read.")
                        % {"max": MAX_SHARED_STRINGS}
                    )
        elif self.root in ("worksheet", "dialogsheet") and parent == self.root:
            if local == "sheetData":
                self.in_data = True
            elif local == "dimension":
                ref = attrs.get("ref", "")
                if not _RANGE_REF.match(ref):
                    self.bad_ref(ref, _("the dimension"))

    def start_cell(self, ref):
        if ref is None:
            self.refuse(
                _(
                    "The sheet %(part)s has a cell without a cell reference (in its row %(row)d), which "
                    "Excel and WPS always write. Save the file again from Excel or WPS."
                )
                % {"part": self.part, "row": self.rows}
            )
        m = _CELL_REF.match(ref)
        if not m:
            self.bad_ref(ref, _("the cell reference"))
        row, col = int(m.group(2)), _column_number(m.group(1))
        if row > MAX_SHEET_ROWS or col > MAX_SHEET_COLUMNS:
            self.bad_ref(ref, _("the cell reference"))
        self.cells += 1
        if self.cells > MAX_CELLS:
            self.refuse(
                _("The sheet holds more than %(max)d cells; at most that many can be read. Split the file.")
                % {"max": MAX_CELLS}
            )
        self.cell, self.valued = (ref, row, col), False

    def value(self, local):
        cell = self.cell
        if local == "f" and self.formula_at is None:
            self.formula_at = cell[0]
        if not self.valued:
            self.valued = True
            if cell[1] > self.max_row:
                self.max_row = cell[1]
            if cell[2] > self.max_col:
                self.max_col = cell[2]

    def end(self, name):
        local = self.stack.pop()
        if self.free:
            self.free -= 1
        elif local == "sheetData":
            self.in_data = False
        elif local == "c" and self.in_data:
            self.cell = None

    def doctype(self, *args):
        self.refuse(
            _(
                "The workbook's XML declares entities (%(part)s), which Excel never writes: "
                "refused as a possible XML bomb. Save the file again from Excel or WPS."
            )
            % {"part": self.part}
        )

    def run(self, stream):
        parser = expat.ParserCreate()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.doctype
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        try:
            while chunk := stream.read(1 << 20):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except _Refused as e:
            raise ImportRefused(str(e)) from None
        except expat.ExpatError as e:
            raise ImportRefused(
                _(
                    "The workbook's part %(part)s is not well-formed XML (%(error)s). Save it again from Excel or WPS."
                )
                % {"part": self.part, "error": expat.ErrorString(e.code)}
            ) from None


def _relationship_targets(zf, names):
    """The parts xl/workbook.xml points at (sheets, shared strings…), as calamine resolves them."""
    rels = "xl/_rels/workbook.xml.rels"
    if rels not in names:
        return set()
    targets = set()

    def start(name, attrs):
        target = attrs.get("Target")
        if name.rpartition(" ")[2] == "Relationship" and target and attrs.get("TargetMode") != "External":
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            targets.update({path, posixpath.normpath(path)})

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = _SheetScan(rels).doctype
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        with zf.open(rels) as f:
            parser.ParseFile(f)
    except _Refused as e:
        raise ImportRefused(str(e)) from None
    except expat.ExpatError:
        raise ImportRefused(
            _(
                "The workbook's part %(part)s is not well-formed XML (%(error)s). Save it again from Excel or WPS."
            )
            % {"part": rels, "error": "relationships"}
        ) from None
    return targets & names


def check_sheets(data: bytes):
    """A streaming whitelist pass over the workbook's XML before calamine builds a sheet in memory.

    calamine allocates the used rectangle (last row × last column) at once, so one stray cell at
    XFD1048576 takes tens of gigabytes and aborts the process. Every XML part (and every part the
    workbook's relationships point at, whatever its name) is parsed with expat, which never expands
    entities: a DOCTYPE is refused; in a sheet, every cell reference is checked (``_SheetScan``),
    formulas are refused (their cached value may be stale or missing; paste values instead), and the
    used rectangle, the number of cells and of shared strings are bounded. Anything not understood is
    refused with a message naming the part; so calamine only ever sees a sheet of known, bounded size.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        targets = _relationship_targets(zf, names)
        for info in zf.infolist():
            name = info.filename
            lower = name.lower()
            if info.is_dir() or name == "xl/_rels/workbook.xml.rels":
                continue
            if name not in targets and (lower.endswith(_SKIPPED_PARTS) or lower.startswith(_SKIPPED_DIRS)):
                continue
            scan = _SheetScan(name)
            with zf.open(info) as f:
                scan.run(f)
            if scan.formula_at is not None:
                raise ImportRefused(
                    _(
                        "The sheet holds formulas (the first in cell %(cell)s). Copy the table and paste it "
                        "as values only, then import."
                    )
                    % {"cell": scan.formula_at}
                )
            if scan.max_row * scan.max_col > MAX_CELLS:
                raise ImportRefused(
                    _(
                        "The sheet reaches row %(row)d and column %(col)d, %(cells)d cells in all; at most "
                        "%(max)d can be read. Delete the stray cells below or right of the table (Ctrl+End "
                        "in Excel shows the last one), or split the file."
                    )
                    % {
                        "row": scan.max_row,
                        "col": scan.max_col,
                        "cells": scan.max_row * scan.max_col,
                        "max": MAX_CELLS,
                    }
                )


@dataclass
class Table:
    """What was read: the sheet's name, its rows (lists of cell values, row 1 first) and its format."""

    sheet: str
    rows: list
    format: str


def read_tables(data: bytes, fmt: str, filename: str | None):
    """Yield each sheet as a ``Table``, in the workbook's order (a CSV file is one sheet, named after
    the file). Only after the pre-scans: calamine allocates a sheet's used rectangle at once."""
    if fmt == "csv":
        stem = (filename or "CSV").rsplit("/", 1)[-1].rsplit(".", 1)[0] or "CSV"
        try:
            rows = reading.read_csv(
                data, max_rows=MAX_ROWS + HEADER_SEARCH_ROWS + 1, max_columns=MAX_COLUMNS, max_cells=MAX_CELLS
            )
        except reading.Unreadable as e:
            raise ImportRefused(str(e)) from None
        yield Table(stem, rows, fmt)
        return
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = wb.sheet_names
    except Exception as e:  # calamine raises its own error types for broken files
        raise ImportRefused(_("The workbook cannot be read: %(error)s") % {"error": e}) from None
    for index, name in enumerate(names):
        try:
            sheet = wb.get_sheet_by_index(index)
            # A few rows more than allowed are enough to know the file is too long.
            rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS + HEADER_SEARCH_ROWS + 2)
        except Exception as e:
            raise ImportRefused(
                _("The sheet “%(sheet)s” cannot be read: %(error)s") % {"sheet": name, "error": e}
            ) from None
        yield Table(name, rows, fmt)


def read_sheet(data: bytes):
    """The first sheet's rows as lists of Python values (calamine), after the pre-scans."""
    fmt = file_format(data)
    _prescan(data, fmt)
    return next(read_tables(data, fmt, None)).rows


# Headers are compared without spaces (ASCII, full-width, no-break), line breaks and the * that
# marks a required column: 姓　名, "身份证\n号码", *姓名 all name their column.
_HEADER_NOISE = re.compile(r"[\s\u3000\u00a0*＊]+")


def header_name(value):
    return _HEADER_NOISE.sub("", text(value))


def header_table(kind):
    """Normalized header or alias → Col, for one kind (a new alias is one more name in its Col)."""
    table = {}
    for c in COLUMNS[kind]:
        for name in (c.header, *c.aliases):
            table[header_name(name)] = c
    return table


def _key_names(kind):
    key = KEY_HEADER[kind]
    col = next(c for c in COLUMNS[kind] if c.header == key)
    return {header_name(n) for n in (col.header, *col.aliases)}


def find_header(kind, rows):
    """The index of the first row among the first ``HEADER_SEARCH_ROWS`` holding the key column."""
    keys = _key_names(kind)
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(header_name(v) in keys for v in row if v not in (None, "")):
            return i
    return None


def locate_columns(kind, rows, h=None):
    """(header row index, {attr: column index}); refuses missing, renamed or repeated headers."""
    columns = COLUMNS[kind]
    if h is None:
        h = find_header(kind, rows)
    if h is None:
        raise ImportRefused(
            _("No header row with the column %(key)s in the first %(n)d rows. Use the template's headers.")
            % {"key": KEY_HEADER[kind], "n": HEADER_SEARCH_ROWS}
        )
    by_header = header_table(kind)
    ignored = {header_name(n) for n in IGNORED} | _layout_headers(kind, columns, by_header)
    found, unknown = {}, []
    for i, value in enumerate(rows[h]):
        name = header_name(value)
        if not name:
            continue
        col = by_header.get(name)
        if col is None:
            if name not in ignored:
                unknown.append(name)
            continue
        if col.attr in found:
            raise ImportRefused(_("The column %(name)s appears twice.") % {"name": col.header})
        found[col.attr] = i
    missing = [c.header for c in columns if c.required and c.attr not in found]
    problems = []
    if missing:
        problems.append(_("missing columns: %(names)s") % {"names": "、".join(missing)})
    if unknown:
        problems.append(_("unknown columns (renamed?): %(names)s") % {"names": "、".join(unknown)})
    if problems:
        raise ImportRefused(
            _("The headers do not match the template — %(problems)s. Expected: %(expected)s.")
            % {"problems": "; ".join(problems), "expected": "、".join(c.header for c in columns)}
        )
    return h, found


@dataclass
class Row:
    number: int  # the Excel row number
    cells: dict  # attr → raw value (only for present columns)


@dataclass
class Rows:
    """The data rows of the sheet read, and where they came from."""

    rows: list
    sheet: str
    positions: dict  # attr → column index (0 = A)
    notes: list


def _prescan(data, fmt):
    if fmt == "xlsx":
        check_archive(data)
        check_sheets(data)
    elif fmt == "xls":
        try:
            reading.check_xls(data, max_cells=MAX_CELLS, max_strings=MAX_SHARED_STRINGS)
        except reading.Unreadable as e:
            raise ImportRefused(str(e)) from None


def _example_row(cells, key):
    """The template's example row: its key cell starts with 示例 (an impossible value, never imported)."""
    value = cells.get(key)
    return isinstance(value, str) and value.lstrip().startswith("示例")


def read_rows(kind, data, filename=None):
    """The sheet holding the kind's header (the first such; an instruction sheet before it is skipped
    and said so), its data rows from the row after the header, empty rows and the template's example
    row left out."""
    fmt = file_format(data, filename)
    _prescan(data, fmt)
    notes, passed, table, h, found, first_problem = [], [], None, None, None, None
    for t in read_tables(data, fmt, filename):
        h = find_header(kind, t.rows)
        if h is not None:
            try:
                h, found = locate_columns(kind, t.rows, h)
            except ImportRefused as e:
                # An instruction sheet may list the column names (身份证号 | 说明…): read on, and
                # refuse with this sheet's problem only if no later sheet has the table.
                first_problem = first_problem or ImportRefused(
                    _("Sheet “%(sheet)s”, header row %(row)d: %(problem)s")
                    % {"sheet": t.sheet, "row": h + 1, "problem": e}
                )
            else:
                table = t
                break
        passed.append(t.sheet)
    if table is None and first_problem is not None:
        raise first_problem
    if table is None:
        where = "、".join(f"“{n}”" for n in passed) if len(passed) > 1 else ""
        message = _(
            "No header row with the column %(key)s in the first %(n)d rows. Use the template's headers."
        ) % {"key": KEY_HEADER[kind], "n": HEADER_SEARCH_ROWS}
        if where:
            message += " " + _("Sheets looked at: %(sheets)s.") % {"sheets": where}
        raise ImportRefused(message)
    if passed:
        notes.append(
            _("Read the sheet “%(sheet)s”; skipped %(skipped)s before it (no header row with %(key)s).")
            % {"sheet": table.sheet, "skipped": "、".join(f"“{n}”" for n in passed), "key": KEY_HEADER[kind]}
        )
    key = next(c.attr for c in COLUMNS[kind] if c.header == KEY_HEADER[kind])
    out, examples = [], []
    rows = table.rows
    for i in range(h + 1, len(rows)):
        raw = rows[i]
        width = len(raw)
        cells = {attr: (raw[j] if j < width else "") for attr, j in found.items()}
        if all(v is None or v == "" or (isinstance(v, str) and not text(v)) for v in cells.values()):
            continue
        if _example_row(cells, key):
            examples.append(i + 1)
            continue
        out.append(Row(i + 1, cells))
    if examples:
        notes.append(
            _("Skipped the template's example row (示例): row %(rows)s.")
            % {"rows": "、".join(map(str, examples))}
        )
    if len(out) > MAX_ROWS:
        raise ImportRefused(
            _("The file has more than %(max)d rows; split it into several files.") % {"max": MAX_ROWS}
        )
    if not out:
        if examples:
            raise ImportRefused(
                _(
                    "The file has headers but no data rows: row %(rows)s is the template's example (示例), "
                    "which is never imported. Enter the data below it, or over it."
                )
                % {"rows": "、".join(map(str, examples))}
            )
        raise ImportRefused(_("The file has headers but no data rows."))
    return Rows(out, table.sheet, found, notes)


def parse_rows(kind, data, filename=None):
    return read_rows(kind, data, filename).rows


def _display(value):
    """A cell as the error table shows it; a number too long for Excel as Excel shows it (3.70682E+17),
    not as the digits it no longer holds."""
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 1e15:
        return f"{value:.5E}"
    return text(value)


def refuse_duplicates(rows, key, label):
    seen, dupes = {}, []
    for r in rows:
        k = key(r)
        if not k or (isinstance(k, tuple) and not all(k)):
            continue
        if k in seen:
            dupes.append((k, seen[k], r.number))
        else:
            seen[k] = r.number
    if dupes:
        listed = "; ".join(
            _("%(key)s in rows %(first)d and %(second)d")
            % {"key": " / ".join(map(str, k)) if isinstance(k, tuple) else k, "first": a, "second": b}
            for k, a, b in dupes[:20]
        )
        raise ImportRefused(
            _("The same %(label)s appears more than once in the file (%(n)d times): %(list)s.")
            % {"label": label, "n": len(dupes), "list": listed}
        )


# --- the importers ------------------------------------------------------------------------------
class _Importer:
    """One kind's checks and writes. ``run(rows, result)`` checks every row, appends a ``RowError`` per
    problem to ``self.errors`` (every problem of a row, not only its first) and writes only when there
    is none. ``sheet`` and ``positions`` (attr → column index), set by ``imports.run`` before ``run``,
    let ``error`` name the cell as a spreadsheet does (花名册!J5)."""

    kind = None
    fields = ()  # model fields written, for the change comparison

    def __init__(self, user):
        self.user = user
        self.account = user if getattr(user, "pk", None) else None  # the command's default scope has none
        self.errors = []
        self.headers = {c.attr: c.header for c in COLUMNS[self.kind]}
        self.columns = {c.attr: c for c in COLUMNS[self.kind]}
        self.sheet = ""
        self.positions = {}

    def where(self, row_number, attr):
        sheet = f"'{self.sheet}'" if re.search(r"[\s!'\-]", self.sheet) else self.sheet
        j = self.positions.get(attr)
        if j is None:
            return f"{sheet}!{row_number}:{row_number}"
        return f"{sheet}!{get_column_letter(j + 1)}{row_number}"

    def error(self, row, attr, message, value=None):
        if value is None:
            value = row.cells.get(attr, "")
        self.errors.append(
            RowError(
                row.number,
                self.headers.get(attr, ""),
                _display(value),
                str(message),
                self.where(row.number, attr),
            )
        )

    def cell(self, row, attr, parse=None, **kw):
        """Parse one present cell; an empty cell is None; a bad one is a row error (returns ``_BAD``)."""
        raw = row.cells.get(attr)
        if raw is None or raw == "":
            return None
        # Only a cell that starts with a blank or an invisible character can be empty once cleaned.
        if raw.__class__ is str and raw[0] in _MAYBE_EMPTY and text(raw) == "":
            return None
        col = self.columns[attr]
        try:
            return (parse or col.parse)(raw, **kw)
        except CellError as e:
            self.error(row, attr, e)
            return _BAD

    def validation_errors(self, row, exc, field_to_attr, reported=()):
        """The model's messages, each on its column; one already reported for a cell is not repeated."""
        for name, messages in exc.message_dict.items():
            attr = field_to_attr.get(name, name)
            if attr in reported:
                continue
            for m in messages:
                if name == NON_FIELD_ERRORS:
                    self.error(row, "", m, value="")
                else:
                    self.error(row, attr, m)

    def snapshot(self, obj):
        return tuple(getattr(obj, f) for f in self.fields)


_BAD = object()

_COPY_PLAIN = {
    "CharField",
    "TextField",
    "DateField",
    "BooleanField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "BigIntegerField",
    "ForeignKey",
}
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_insert(model, objs):
    """Insert validated instances with PostgreSQL's COPY: for 10,000 cadres, ~3× faster than
    bulk_create's INSERT … VALUES (no per-parameter binding, no SQL compilation per batch). Runs in
    the caller's transaction; the table's constraints and triggers apply exactly as for INSERT.
    A statement through Django's cursor first sets pghistory's transaction-local context, so rows
    recorded by history triggers keep the request's user."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    # Plain columns are read straight from the instance (get_db_prep_save per value was a third of
    # the COPY's Python time); any other field type goes through Django's own conversion.
    plain = [
        f.attname
        if f.get_internal_type() in _COPY_PLAIN
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
        else f
        for f in fields
    ]
    lines = []
    for obj in objs:
        values = []
        for f in plain:
            if f.__class__ is str:
                value = obj.__dict__[f]
            else:
                value = f.get_db_prep_save(f.pre_save(obj, True), connection)
            if value is None:
                values.append("\\N")
            elif value is True or value is False:
                values.append("t" if value else "f")
            elif isinstance(value, str):
                values.append(value.translate(_COPY_ESCAPES))
            elif isinstance(value, list | dict | tuple):
                raise TypeError(f"copy_insert writes scalar columns only, not {f}")
            else:
                values.append(str(value).translate(_COPY_ESCAPES))  # int, date (isoformat), Decimal
        lines.append("\t".join(values))
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        with connection.wrap_database_errors:
            cursor.copy_expert(sql, io.StringIO("\n".join(lines) + "\n"))


class VillageImporter(_Importer):
    kind = "villages"
    fields = (
        "name",
        "township_id",
        "categories",
        "problem_prominent",
        "party_org_grade",
        "population",
        "households",
    )

    def run(self, rows, result):
        refuse_duplicates(rows, lambda r: text(r.cells.get("code")), "村代码")
        # Whose a code is follows from its digits: a code outside the jurisdiction is refused before
        # anything is looked up, with the same words whether it is registered or not; everything
        # looked up comes through the jurisdiction (no existence oracle).
        inside = []
        for row in rows:
            code, tcode = text(row.cells["code"]), self._township_code(row)
            if re.fullmatch(r"\d{12}", tcode) and not access.owns(self.user, Region(code=tcode)):
                self.error(
                    row,
                    "township_code",
                    _("Township %(code)s lies outside your jurisdiction.") % {"code": tcode},
                    value=tcode,
                )
            elif re.fullmatch(r"\d{12}", code) and not access.owns(self.user, Village(code=code)):
                self.error(
                    row, "code", _("Village %(code)s lies outside your jurisdiction.") % {"code": code}
                )
            else:
                inside.append(row)
        codes = [text(r.cells["code"]) for r in inside]
        existing = {v.code: v for v in access.scope(self.user, Village.objects.filter(code__in=codes))}
        township_codes = {self._township_code(r) for r in inside} - {""}
        townships = {
            t.code: t for t in access.scope(self.user, Region.objects.filter(code__in=township_codes))
        }
        county_codes = {c[:6] + "000000" for c in township_codes}
        counties = {
            c.code: c
            for c in access.scope(self.user, Region.objects.filter(code__in=county_codes, level="county"))
        }
        new_townships = {}
        creates, updates = [], []
        for row in inside:
            code = text(row.cells["code"])
            tcode = self._township_code(row)
            township = townships.get(tcode) or new_townships.get(tcode)
            if township is None and tcode:
                township = self._new_township(row, tcode, counties)
                if township is not None:
                    new_townships[tcode] = township
            village = existing.get(code)
            before = self.snapshot(village) if village else None
            obj = village or Village(code=code)
            bad = set()
            for attr in (
                "name",
                "categories",
                "problem_prominent",
                "party_org_grade",
                "population",
                "households",
            ):
                if attr not in row.cells:
                    continue  # column absent: keep the stored value (or the default)
                value = self.cell(row, attr)
                if value is _BAD:
                    bad.add(attr)
                    continue
                if value is None:
                    value = {"categories": [], "problem_prominent": False, "name": ""}.get(attr)
                setattr(obj, attr, value)
            if township is not None:
                obj.township = township
            try:  # also after a bad cell: the row's other problems are listed too
                obj.full_clean(exclude=["township", *bad], validate_unique=False, validate_constraints=False)
            except ValidationError as e:
                self.validation_errors(row, e, {"township": "township_code"}, reported=bad)
                continue
            if bad:
                continue
            if village is None:
                creates.append(obj)
            elif self.snapshot(obj) != before:
                updates.append(obj)
            else:
                result.unchanged += 1
        if self.errors:
            return
        with transaction.atomic():
            Region.objects.bulk_create(new_townships.values(), batch_size=BATCH)
            Village.objects.bulk_create(creates, batch_size=BATCH)
            if updates:
                Village.objects.bulk_update(
                    updates, [f.removesuffix("_id") for f in self.fields], batch_size=BATCH
                )
        result.created, result.updated = len(creates), len(updates)
        result.townships_created = len(new_townships)

    def _township_code(self, row):
        tcode = text(row.cells.get("township_code"))
        if not tcode:
            code = text(row.cells.get("code"))
            tcode = code[:9] + "000" if re.fullmatch(r"\d{12}", code) else ""
        return tcode

    def _new_township(self, row, tcode, counties):
        county = counties.get(tcode[:6] + "000000")
        if county is None:
            self.error(
                row,
                "township_code",
                _("No county %(county)s is registered for township %(code)s.")
                % {"county": tcode[:6] + "000000", "code": tcode},
                value=tcode,
            )
            return None
        name = text(row.cells.get("township_name"))
        if not name:
            self.error(
                row,
                "township_name",
                _("Township %(code)s is new: give its name in the column 乡镇名称.") % {"code": tcode},
                value="",
            )
            return None
        township = Region(code=tcode, name=name, level=Region.Level.TOWNSHIP, parent=county)
        try:
            township.full_clean(exclude=["parent"], validate_unique=False, validate_constraints=False)
        except ValidationError as e:
            self.validation_errors(row, e, {"code": "township_code", "name": "township_name"})
            return None
        return township


class CadreImporter(_Importer):
    kind = "cadres"
    fields = (
        "name",
        "gender",
        "birth_date",
        "ethnicity",
        "political_status",
        "party_joined_on",
        "party_full_member_on",
        "work_started_on",
        "unit_id",
        "full_time",
        "rank",
        "education",
        "specialty",
        "phone",
    )
    TEXTS = ("name", "gender", "ethnicity", "political_status", "rank", "education", "specialty", "phone")
    DATES = ("party_joined_on", "party_full_member_on", "work_started_on")
    # Fields whose value is valid for the field by construction, so clean_fields need not check them
    # again per row (it was half of the per-row Python): the cell parsers return only the model's
    # choice codes, one of the 56 names, dates and booleans; the unit is looked up in the
    # jurisdiction, the region derived from it; gender and birth date are read from the ID by
    # ``Cadre.clean_fields`` itself; the columns an import does not carry keep their stored or
    # default values. ``clean()`` (every rule between fields) runs for every row.
    VALID_BY_PARSING = (
        "unit",
        "region",
        "gender",
        "birth_date",
        "ethnicity",
        "education",
        *DATES,
        "full_time",
        "position",
        "note",
        "rural_experience",
    )

    def run(self, rows, result):
        bad_ids = set()
        for r in rows:
            value = self.cell(r, "id_number")
            if value is _BAD:
                bad_ids.add(r.number)
                value = ""
            r.cells["id_number"] = value or ""
        refuse_duplicates(rows, lambda r: r.cells["id_number"], "身份证号")
        ids = [r.cells["id_number"] for r in rows if r.cells["id_number"]]
        existing = {}
        for i in range(0, len(ids), 10_000):
            for c in Cadre.objects.filter(id_number__in=ids[i : i + 10_000]).select_related("region"):
                existing[c.id_number] = c
        units = {}
        for u in access.scope(self.user, Unit.objects.all()).select_related("region"):
            units.setdefault(u.name, []).append(u)
        creates, updates = [], []
        present = [a for a in self.TEXTS if a in rows[0].cells]
        dates = [a for a in self.DATES if a in rows[0].cells]
        for row in rows:
            cells = row.cells
            id_number = cells["id_number"]
            cadre = existing.get(id_number) if id_number else None
            refused = filing.registered_outside(self.user, cadre) if cadre is not None else None
            if refused:
                self.error(row, "id_number", refused)
                continue
            before = self.snapshot(cadre) if cadre else None
            obj = cadre or Cadre(id_number=id_number)
            obj.id_number = id_number
            bad = {"id_number"} if row.number in bad_ids else set()
            for attr in present:
                value = self.cell(row, attr)
                if value is _BAD:
                    bad.add(attr)
                    value = None
                setattr(obj, attr, value or "")
            for attr in dates:
                value = self.cell(row, attr)
                if value is _BAD:
                    bad.add(attr)
                setattr(obj, attr, value[0] if value and value is not _BAD else None)
            if "full_time" in cells:
                value = self.cell(row, "full_time")
                if value is _BAD:
                    bad.add("full_time")
                elif value is not None or cadre is None:
                    obj.full_time = True if value is None else value  # empty: the default, 脱产
            if "birth_date" in cells or cadre is None:
                value = self.cell(row, "birth_date")
                if value is _BAD:
                    bad.add("birth_date")
                    value = None
                obj.birth_date = self._birth_date(id_number, value)
            if "unit" in cells:
                unit = self._unit(row, units)
                if unit is None:
                    bad.add("unit")
                else:
                    obj.unit = unit
            # Checked even when a cell was bad, so the row's every problem is listed at once; the bad
            # cells are left out of the model's checks (already reported, their value unknown).
            if cadre is None and "unit" not in bad:
                obj.region = filing.filing_region(self.user, obj.unit)
            try:
                obj.full_clean(
                    exclude=[*self.VALID_BY_PARSING, *bad], validate_unique=False, validate_constraints=False
                )
            except ValidationError as e:
                self.validation_errors(row, e, {}, reported=bad)
                continue
            if bad:
                continue
            if cadre is None:
                creates.append(obj)
            elif self.snapshot(obj) != before:
                updates.append(obj)
            else:
                result.unchanged += 1
        if self.errors:
            return
        with transaction.atomic():
            copy_insert(Cadre, creates)
            if updates:
                Cadre.objects.bulk_update(
                    updates, [f.removesuffix("_id") for f in self.fields], batch_size=BATCH
                )
        result.created, result.updated = len(creates), len(updates)

    @staticmethod
    def _birth_date(id_number, value):
        """None (derive from the ID) unless a different date was given; a month that agrees with the
        ID's birth month is taken as agreeing (the roster prints 出生年月 as a month)."""
        if not value:
            return None
        day, month_only = value
        if month_only:
            try:
                birth, _gender = idcard.parse(id_number)
            except idcard.IdNumberError:
                return None  # the ID's own error is reported
            return None if (birth.year, birth.month) == (day.year, day.month) else day
        return day

    def _unit(self, row, units):
        name = text(row.cells.get("unit"))
        if not name:
            self.error(row, "unit", _("Enter the dispatching unit."))
            return None
        found = units.get(name, [])
        if len(found) == 1:
            return found[0]
        if not found:
            self.error(
                row,
                "unit",
                _("No dispatching unit of this name in your jurisdiction; add it under units first."),
            )
        else:
            self.error(
                row,
                "unit",
                _("Several units have this name (%(regions)s); rename one of them.")
                % {"regions": "、".join(u.region.name for u in found)},
            )
        return None


class AssignmentImporter(_Importer):
    kind = "assignments"
    fields = ("role", "batch", "dispatch_level", "planned_end_date", "team_leader")

    def run(self, rows, result):
        parsed = []
        for row in rows:
            id_number = self.cell(row, "id_number")
            row.cells["id_number"] = "" if id_number is _BAD else id_number or ""
            start = self.cell(row, "start_date")
            planned = self.cell(row, "planned_end_date")
            role = self.cell(row, "role")
            level = self.cell(row, "dispatch_level")
            leader = self.cell(row, "team_leader") if "team_leader" in row.cells else None
            bad = _BAD in (id_number, start, planned, role, level, leader)
            if start is None:
                self.error(row, "start_date", _("Enter the start date."))
                bad = True
            if role is None:
                self.error(row, "role", _("Enter the role: 第一书记 or 工作队员."))
                bad = True
            if not bad:
                parsed.append((row, start[0], planned[0] if planned else None, role, level, bool(leader)))
        refuse_duplicates(
            [p[0] for p in parsed],
            lambda r: (r.cells["id_number"], text(r.cells.get("village")), _start_of(parsed, r)),
            "身份证号 / 村代码 / 任职时间",
        )
        # Looked up through the jurisdiction: another county's cadre or village reads exactly as one
        # that does not exist (no existence oracle, and no dispatching a cadre one cannot see).
        cadres = {
            c.id_number: c
            for c in access.scope(
                self.user, Cadre.objects.filter(id_number__in=[p[0].cells["id_number"] for p in parsed])
            )
        }
        villages = {
            v.code: v
            for v in access.scope(
                self.user, Village.objects.filter(code__in=[text(p[0].cells["village"]) for p in parsed])
            ).select_related("township")
        }
        existing = {
            (a.cadre_id, a.village_id, a.start_date): a
            for a in access.scope(
                self.user, Assignment.objects.filter(cadre__in=cadres.values(), village__in=villages.values())
            ).select_related("cadre", "village")
        }
        policies = {}
        creates, updates, seen = [], [], []
        leaders = self._leaders(villages.values())
        for row, start, planned, role, level, leader in parsed:
            cadre = cadres.get(row.cells["id_number"])
            village = villages.get(text(row.cells["village"]))
            if cadre is None:
                self.error(row, "id_number", _("No cadre with this ID number: import the cadre first."))
            if village is None:
                self.error(row, "village", _("No village with this code: import the village first."))
            if cadre is None or village is None:
                continue
            if not access.owns(self.user, village):
                self.error(row, "village", _("This village lies outside your jurisdiction."))
                continue
            if village.township_id not in policies:
                policies[village.township_id] = Policy.effective_for(village.township)
            if planned is None:
                planned = term_end(start, policies[village.township_id].term_years)
            a = existing.get((cadre.pk, village.pk, start))
            obj = a or Assignment(cadre=cadre, village=village, start_date=start, created_by=self.account)
            before = self.snapshot(a) if a else None
            a_role, a_planned = (a.role, a.planned_end_date) if a else (None, None)
            obj.role, obj.planned_end_date = role, planned
            if "batch" in row.cells:
                obj.batch = text(row.cells["batch"])
            if "dispatch_level" in row.cells or a is None:
                obj.dispatch_level = level or Level.COUNTY
            if "team_leader" in row.cells or a is None:
                obj.team_leader = leader
            if a is not None and (obj.role, obj.planned_end_date) != (a_role, a_planned):
                self.error(
                    row,
                    "role",
                    _("This assignment exists with another role or planned end: change it on its page."),
                )
                continue
            try:
                obj.full_clean(
                    exclude=["cadre", "village", "created_by"],
                    validate_unique=False,
                    validate_constraints=False,
                )
            except ValidationError as e:
                self.validation_errors(row, e, {"cadre": "id_number", "planned_end_date": "planned_end_date"})
                continue
            clash = self._clash_in_file(obj, seen)
            if clash:
                self.error(row, "start_date", clash)
                continue
            if obj.team_leader:
                other = self._leader_clash(obj, leaders)
                if other:
                    self.error(row, "team_leader", other)
                    continue
                leaders.setdefault(obj.village_id, []).append((obj, row.number))
            if a is None and any(b.village_id == obj.village_id for _r, b in seen):
                # The team maximum counting this file's earlier rows for the same village too.
                team = rules.team_size_errors(obj, extra=[b for _r, b in seen])
                if team:
                    self.error(row, "village", team[0])
                    continue
            seen.append((row, obj))
            if a is None:
                creates.append(obj)
            elif self.snapshot(obj) != before:
                updates.append(obj)
            else:
                result.unchanged += 1
        if self.errors:
            return
        try:
            with transaction.atomic():
                self._recheck_team_maximum(creates, policies)
                Assignment.objects.bulk_create(creates, batch_size=BATCH)
                AssignmentEvent.objects.bulk_create(
                    [
                        AssignmentEvent(
                            assignment=a,
                            kind=AssignmentEvent.Kind.DISPATCHED,
                            date=a.start_date,
                            new_planned_end=a.planned_end_date,
                            by=self.account,
                        )
                        for a in creates
                    ],
                    batch_size=BATCH,
                )
                if updates:
                    Assignment.objects.bulk_update(
                        updates, ["batch", "dispatch_level", "team_leader"], batch_size=BATCH
                    )
        except IntegrityError as e:  # the database's constraints, should Python have missed a case
            raise ImportRefused(
                _("The database refused the import; nothing was saved: %(error)s") % {"error": e}
            ) from e
        result.created, result.updated = len(creates), len(updates)

    def _recheck_team_maximum(self, creates, policies):
        """Under a lock on the villages concerned, count their teams again: a dispatch saved while
        the file was being checked cannot slip past the maximum (the database holds no team size)."""
        limited = {}
        for a in creates:
            if policies[a.village.township_id].team_max_size:
                limited.setdefault(a.village_id, []).append(a)
        if not limited:
            return
        list(Village.objects.select_for_update().filter(pk__in=sorted(limited)).values_list("pk", flat=True))
        for group in limited.values():
            for a in group:
                team = rules.team_size_errors(a, extra=[b for b in group if b is not a])
                if team:
                    raise ImportRefused(
                        _("The teams changed while the file was being checked; nothing was saved: %(error)s")
                        % {"error": team[0]}
                    )

    def _leaders(self, villages):
        """The saved work-team leaders of these villages (one query), to find a second leader in the
        same dates before the database's exclusion constraint refuses the whole file."""
        found = {}
        for a in Assignment.objects.filter(village__in=list(villages), team_leader=True):
            found.setdefault(a.village_id, []).append((a, None))
        return found

    @staticmethod
    def _leader_clash(a, leaders):
        for b, number in leaders.get(a.village_id, ()):
            if b.pk is not None and b.pk == a.pk:
                continue
            if a.start_date <= b.last_day and b.start_date <= a.last_day:
                if number is None:
                    return _(
                        "This village already has a work-team leader in these dates (%(start)s to %(end)s): "
                        "enter 否 in 工作队长, or end that leader's term first."
                    ) % {"start": b.start_date.isoformat(), "end": b.last_day.isoformat()}
                return _(
                    "Row %(row)d of this file names another work-team leader of this village in these dates: "
                    "a village has one leader at a time."
                ) % {"row": number}
        return None

    @staticmethod
    def _clash_in_file(a, seen):
        """Rows of this same file overlap each other (the database rules only see saved rows)."""
        for row, b in seen:
            if a.start_date <= b.last_day and b.start_date <= a.last_day:
                if a.cadre_id == b.cadre_id:
                    return _("This term overlaps the term in row %(row)d of this file.") % {"row": row.number}
                if a.village_id == b.village_id and a.role == b.role == Assignment.Role.FIRST_SECRETARY:
                    return _(
                        "Row %(row)d of this file sends another first secretary to this village in these dates."
                    ) % {"row": row.number}
        return None


def _start_of(parsed, row):
    for p in parsed:
        if p[0] is row:
            return p[1]
    return None


_HIDDEN_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "@", "+", "-")
_SIGNED_NUMBER_RE = re.compile(r"[+\-][\d\s\-()]*")  # -5, +86 138 0000 0000, a lone "-"
_LEADING_BLANKS = " \t\r\n\u3000\u200b\u200c\u200d\u2060\ufeff\u00ad"
_FORMULA_LEAD_RE = re.compile(f"(?:^|\n)[{_LEADING_BLANKS}]*[=@+\\-]")


def _shown(value):
    """The cell as the error table shows it: control characters spelled out, at most 200 characters."""
    return _HIDDEN_RE.sub(lambda m: f"[U+{ord(m[0]):04X}]", value)[:200]


def unsafe_cells(kind, rows):
    """Cells no import may take: control characters (NUL, bidi overrides such as U+202E) that cannot be
    stored or would disguise a name, and text that a spreadsheet would run as a formula (=cmd|…)."""
    headers = {c.attr: c.header for c in COLUMNS[kind]}
    errors = []
    for row in rows:
        strings = [v for v in row.cells.values() if isinstance(v, str)]
        joined = "\n".join(strings)  # one search per row; cell by cell only when something is found
        if not strings or not (_HIDDEN_RE.search(joined) or _FORMULA_LEAD_RE.search(joined)):
            continue
        for attr, value in row.cells.items():
            if not isinstance(value, str):
                continue
            hidden = _HIDDEN_RE.search(value)
            if hidden:
                message = _(
                    "The cell contains an invisible control character (U+%(code)04X); retype the value."
                ) % {"code": ord(hidden[0])}
                errors.append(RowError(row.number, headers.get(attr, ""), _shown(value), message))
                continue
            if value.lstrip(_LEADING_BLANKS)[:1] not in _FORMULA_START:
                continue
            stripped = text(value)
            if stripped.startswith(_FORMULA_START) and not _SIGNED_NUMBER_RE.fullmatch(stripped):
                message = _(
                    "The text starts with %(char)s, so a spreadsheet would run it as a formula; remove "
                    "the leading character."
                ) % {"char": stripped[0]}
                errors.append(RowError(row.number, headers.get(attr, ""), _shown(value), message))
    return errors


IMPORTERS = {"villages": VillageImporter, "cadres": CadreImporter, "assignments": AssignmentImporter}


def check_kind(kind):
    if kind not in IMPORTERS:
        raise ImportRefused(
            _("Unknown import %(kind)s: choose one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(IMPORTERS)}
        )


def run(kind, fileobj, user, *, filename=None):
    """Validate the whole file, then (only when clean) write it in one transaction."""
    check_kind(kind)
    data = fileobj.read(MAX_BYTES + 1)
    read = read_rows(kind, data, filename)
    rows = read.rows
    result = Result(kind, rows=len(rows), sheet=read.sheet, notes=read.notes)
    importer = IMPORTERS[kind](user)
    importer.sheet, importer.positions = read.sheet, read.positions
    result.errors = unsafe_cells(kind, rows)
    if result.errors:
        for e in result.errors:
            e.cell = importer.where(
                e.row, next((a for a, h in importer.headers.items() if h == e.column), "")
            )
        return result
    importer.run(rows, result)
    # Row by row, and within a row from left to right, as the sheet reads.
    column_at = {importer.headers[a]: j for a, j in read.positions.items() if a in importer.headers}
    result.errors = sorted(importer.errors, key=lambda e: (e.row, column_at.get(e.column, -1)))
    if result.errors:
        result.created = result.updated = result.unchanged = 0
    return result


# --- templates ----------------------------------------------------------------------------------
def build_template(kind, out, layout=None):
    """Headers, one example row and drop-down lists for the coded columns (normal mode: validations).
    ``layout``: a roster layout's (key, heading) pairs, which shape the cadres template
    (``excel.layouts.template_columns``)."""
    check_kind(kind)
    headed = [(c, c.header) for c in COLUMNS[kind]]
    if layout and kind == "cadres":
        headed = layouts.template_columns(COLUMNS[kind], layout)
    wb = Workbook()
    ws = wb.active
    ws.title = KINDS[kind]
    lists = wb.create_sheet("选项")
    bold = Font(bold=True)
    example_font = Font(italic=True, color="808080")
    fill = PatternFill("solid", fgColor="DDEBF7")
    with override(LANGUAGE):
        list_col = 0
        for i, (col, header) in enumerate(headed, start=1):
            letter = get_column_letter(i)
            cell = ws.cell(row=1, column=i, value=header)
            cell.font, cell.fill = bold, fill
            example = ws.cell(row=2, column=i, value=col.example)
            example.font = example_font  # grey: the example row (示例 in its key cell) is never imported
            if col.attr in ("code", "township_code", "id_number", "village", "phone"):
                example.number_format = "@"
                ws.column_dimensions[letter].number_format = "@"
            shown = max(len(header) * 2, sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(col.example)))
            ws.column_dimensions[letter].width = max(12, shown + 4)
            if col.choices:
                list_col += 1
                labels = [str(label) for _code, label in col.choices]
                ll = get_column_letter(list_col)
                lists.cell(row=1, column=list_col, value=header).font = bold
                for j, label in enumerate(labels, start=2):
                    lists.cell(row=j, column=list_col, value=label)
                dv = DataValidation(
                    type="list",
                    formula1=f"'选项'!${ll}$2:${ll}${len(labels) + 1}",
                    allow_blank=not col.required,
                    showErrorMessage=col.attr != "categories",  # several categories: 、-separated
                )
                dv.error = "请从下拉列表中选择"
                dv.prompt = "请从下拉列表中选择" if col.attr != "categories" else "可填多个，用、分隔"
                dv.showInputMessage = True
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        ws.freeze_panes = "A2"
    wb.save(out)


def template_filename(kind):
    return f"{KINDS[kind]}导入模板.xlsx"


# The administrative divisions (kind "regions") live in excel/regions.py and register themselves here.
from . import regions  # noqa: E402, F401
