"""Hostile input (issue 8.4): every item of tests/hostile/ is answered with a clear message naming the
file, row, cell or field, writes nothing, and never answers 500.

The Excel files are committed under tests/hostile/files/ (regenerate with tests/hostile/make_corpus.py);
the HTTP payloads are built here. Each item is its own test case; tests/hostile/README.md lists them.
"""

import datetime
import io
import pathlib
import zipfile
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from appraisal.models import Appraisal, AppraisalRound
from assignments import leave as leave_rules
from assignments.models import Assignment, AttendanceRecord, AttendanceSheet, LeaveRequest
from cadres.models import Cadre
from villages.models import Region, Village

FILES = pathlib.Path(__file__).parent / "hostile" / "files"
GOOD_ID = "37068219850501123X"


def snapshot():
    """Everything an input could write: row counts and the state of the rows the payloads aim at."""
    return {
        "regions": Region.objects.count(),
        "villages": list(Village.objects.order_by("pk").values_list("pk", "name", "population")),
        "cadres": list(Cadre.objects.order_by("pk").values_list("pk", "name", "id_number", "specialty")),
        "assignments": list(Assignment.objects.order_by("pk").values_list("pk", "batch", "end_date")),
        "records": list(AttendanceRecord.objects.order_by("pk").values_list("pk", "days")),
        "sheets": list(AttendanceSheet.objects.order_by("pk").values_list("pk", "version", "state")),
        "leave": list(LeaveRequest.objects.order_by("pk").values_list("pk", "state", "decision_note")),
        "rounds": list(AppraisalRound.objects.order_by("pk").values_list("pk", "state")),
        "appraisals": list(Appraisal.objects.order_by("pk").values_list("pk", "score", "grade", "comments")),
    }


@pytest.fixture
def english(client):
    """Messages are asserted in English (the msgids); the catalogue's translations are checked elsewhere."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page_text(response):
    """The response's words, with its flashed messages (after a redirect they live in the context)."""
    body = response.content.decode(errors="replace")
    context = response.context or {}
    extra = [str(m) for m in context.get("messages", [])] if "messages" in context else []
    form = context.get("form") if "form" in context else None
    if form is not None:
        extra += [str(e) for errors in form.errors.values() for e in errors]
    return body + "\n".join(extra)


# --- the Excel files ---------------------------------------------------------------------------
@dataclass
class FileCase:
    name: str
    kind: str  # villages | cadres | assignments
    says: tuple = ()  # fragments of the refusal that names the file's problem
    cells: tuple = ()  # (row, column header, message fragment) for each bad cell
    accepted: dict | None = None  # normalized and written: the expected stored values

    def __str__(self):
        return self.name


FILE_CASES = [
    FileCase("csv_renamed.xlsx", "cadres", ("not an .xlsx workbook",)),
    FileCase("png_renamed.xlsx", "cadres", ("not an .xlsx workbook",)),
    FileCase("empty.xlsx", "cadres", ("not an .xlsx workbook",)),
    FileCase("truncated.xlsx", "cadres", ("incomplete", "Upload the whole file again")),
    FileCase("encrypted.xlsx", "cadres", ("protected by a password",)),
    FileCase("legacy_xls_renamed.xlsx", "cadres", (".xls workbook is damaged", "save it again")),
    FileCase("macro.xlsm", "cadres", ("Only Excel workbooks (.xlsx, .xls) and CSV files", "macro.xlsm")),
    FileCase("macro_renamed.xlsx", "cadres", ("contains macros",)),
    FileCase("zip_bomb.xlsx", "cadres", ("zip bomb", "100 MB")),
    FileCase("billion_laughs_sheet.xlsx", "cadres", ("declares entities", "xl/worksheets/sheet1.xml")),
    FileCase("billion_laughs_shared_strings.xlsx", "cadres", ("declares entities", "xl/sharedStrings.xml")),
    FileCase("far_cell.xlsx", "cadres", ("row 1048576 and column 16384", "Ctrl+End")),
    FileCase("far_row.xlsx", "cadres", ("row 1048576", "stray cells")),
    FileCase("huge_dimension.xlsx", "cadres", cells=((2, "身份证号", "check digit is wrong"),)),
    FileCase("renamed_headers.xlsx", "cadres", ("missing columns: 姓名", "unknown columns (renamed?): 名字")),
    FileCase("formula_dde.xlsx", "cadres", ("holds formulas", "cell A2", "paste it as values")),
    FileCase("formula_hyperlink.xlsx", "cadres", ("holds formulas", "cell A2")),
    FileCase(
        "formula_text.xlsx",
        "cadres",
        cells=(
            (2, "姓名", "run it as a formula"),
            (3, "专业特长", "starts with @"),
            (4, "联系电话", "starts with -"),
        ),
    ),
    FileCase(
        "wrong_types_villages.xlsx",
        "villages",
        cells=(
            (2, "村类别", "Unknown value"),
            (2, "问题突出村", "Enter 是 or 否"),
            (2, "党组织等级", "Unknown value"),
            (2, "人口", "whole number"),
            (2, "户数", "whole number"),
        ),
    ),
    FileCase(
        "bad_dates_cadres.xlsx",
        "cadres",
        cells=(
            (2, "参加工作时间", "2026-02-30 is not a real date"),
            (3, "入党时间", "not a real date"),
            (4, "出生年月", "1985-02-29 is not a real date"),
        ),
    ),
    FileCase("bad_check_digit.xlsx", "cadres", cells=((2, "身份证号", "should be X, not 4"),)),
    FileCase("superscript_id.xlsx", "cadres", cells=((2, "身份证号", "only hold the digits 0–9"),)),
    FileCase("arabic_indic_id.xlsx", "cadres", cells=((2, "身份证号", "only hold the digits 0–9"),)),
    FileCase("rtl_override_name.xlsx", "cadres", cells=((2, "姓名", "U+202E"), (3, "姓名", "U+200F"))),
    FileCase("nul_name.xlsx", "cadres", cells=((2, "姓名", "U+0000"),)),
    FileCase("combining_overlong_name.xlsx", "cadres", cells=((2, "姓名", "at most 40 characters"),)),
    FileCase(
        "oversized_fields.xlsx",
        "cadres",
        cells=((2, "姓名", "at most 40 characters"), (2, "专业特长", "at most 100 characters")),
    ),
    FileCase("empty_sheet.xlsx", "cadres", ("No header row with the column 身份证号",)),
    FileCase("header_only.xlsx", "cadres", ("headers but no data rows",)),
    FileCase("duplicate_rows.xlsx", "cadres", ("appears more than once", "rows 2 and 3", GOOD_ID)),
    FileCase("other_county_village.xlsx", "villages", cells=((2, "乡镇代码", "outside your jurisdiction"),)),
    FileCase(
        "assignment_unknown_refs.xlsx",
        "assignments",
        cells=((2, "身份证号", "No cadre with this ID number"), (3, "任职时间", "not a real date")),
    ),
    FileCase("fullwidth_id.xlsx", "cadres", accepted={"id_number": GOOD_ID, "name": "张伟"}),
    FileCase("zero_width_name.xlsx", "cadres", accepted={"id_number": GOOD_ID, "name": "张伟"}),
]


def upload(client, kind, name, data):
    return client.post(reverse("excel:import", args=[kind]), {"file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize("case", FILE_CASES, ids=str)
def test_hostile_file_is_refused_naming_the_problem_and_writes_nothing(case, personas, english, tree):
    english.force_login(personas["county_admin"])
    before = snapshot()
    response = upload(english, case.kind, case.name, (FILES / case.name).read_bytes())
    if case.accepted is not None:  # normalized, not refused: stored clean
        assert response.status_code == 302, page_text(response)
        assert Cadre.objects.filter(**case.accepted).count() == 1
        return
    assert response.status_code == 400
    assert snapshot() == before
    body = page_text(response)
    assert "Nothing was saved." in body
    refused = response.context.get("refused") or ""
    for fragment in case.says:
        assert fragment in refused, refused
    if case.cells:
        errors = response.context["result"].errors
        found = {(e.row, e.column): e.message for e in errors}
        for row, column, fragment in case.cells:
            assert (row, column) in found, errors
            assert fragment in found[(row, column)], found[(row, column)]
            assert escape(found[(row, column)]) in body  # shown on the page, beside its row and column
    else:
        assert refused and escape(refused) in body


def test_huge_sheet_over_the_row_limit_is_refused_before_any_row_is_checked(personas, english, tree):
    """50,010 data rows, built here (a committed file would be megabytes): refused by the row limit."""
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>张{r}</t></is></c>'
        f'<c r="C{r}" t="inlineStr"><is><t>{r:018d}</t></is></c></row>'
        for r in range(2, 50_012)
    )
    data = _with_rows((FILES / "header_only.xlsx").read_bytes(), rows)
    english.force_login(personas["county_admin"])
    before = snapshot()
    response = upload(english, "cadres", "huge.xlsx", data)
    assert response.status_code == 400
    assert "more than 50000 rows" in response.context["refused"]
    assert snapshot() == before


def _with_rows(xlsx, rows_xml):
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b"</row></sheetData>", b"</row>" + rows_xml.encode() + b"</sheetData>"
                )
            zf.writestr(info, content)
    return out.getvalue()


def test_oversized_upload_is_refused_by_size_before_it_is_read(personas, english, tree, monkeypatch):
    from excel import imports

    monkeypatch.setattr(imports, "MAX_BYTES", 1024 * 1024)
    english.force_login(personas["county_admin"])
    before = snapshot()
    response = upload(english, "cadres", "big.xlsx", bytes(1_200_000))
    assert response.status_code == 400
    assert "The file is 1.1 MB; at most 1 MB can be imported." in response.context["refused"]
    assert snapshot() == before


# --- the HTTP payloads -------------------------------------------------------------------------
FEB = datetime.date(2026, 2, 1)


@pytest.fixture
def world(tree, personas, make_village, make_cadre, dispatch):
    """A first secretary serving in 沐浴店镇 (t1) and one in 团旺镇 (t2); February 2026's sheet of t1 opened;
    a pending county leave; an appraisal round of 2025 in draft; March 2026's sheet of t1 submitted."""
    serving = dispatch(make_cadre(name="在岗书记"), make_village(name="东村"))
    elsewhere = dispatch(make_cadre(name="外镇书记"), make_village(township=tree["t2"], name="西村"))
    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=FEB)
    submitted = AttendanceSheet.objects.create(township=tree["t1"], month=datetime.date(2026, 3, 1))
    submitted.submit(personas["clerk"])
    leave = leave_rules.request_leave(
        serving, datetime.date(2026, 4, 6), datetime.date(2026, 4, 12), "探亲", personas["clerk"]
    )
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    return {
        "serving": serving,
        "elsewhere": elsewhere,
        "sheet": sheet,
        "submitted": submitted,
        "leave": leave,
        "round": round_,
        "appraisal": round_.appraisals.first(),
        "tree": tree,
        "personas": personas,
    }


def grid_url(w, month="2026-02", township="t1"):
    return reverse("attendance:sheet", args=[w["tree"][township].code, month])


def feb_days(w):
    """February 2026 as the grid would post it: 28 codes, all P (valid for a cadre serving all month)."""
    return "P" * 28


def grid_post(w, client, days=None, version=None, extra=None, month="2026-02", township="t1"):
    data = {"version": w["sheet"].version if version is None else version}
    data[f"row-{w['serving'].pk}"] = feb_days(w) if days is None else days
    data.update(extra or {})
    return client.post(grid_url(w, month, township), data, follow=True)


def csrf_client(user):
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    return c


@dataclass
class Payload:
    name: str
    persona: str
    send: object  # (world, client) -> response
    status: int  # the final status (after redirects)
    says: tuple = ()

    def __str__(self):
        return self.name


def _days_with(code, day):
    return "P" * (day - 1) + code + "P" * (28 - day)


PAYLOADS = [
    # CSRF: the token is missing, so the POST is forbidden before any view runs.
    Payload(
        "csrf_less_import",
        "county_admin",
        lambda w, c: csrf_client(w["personas"]["county_admin"]).post(
            reverse("excel:import", args=["cadres"]),
            {"file": SimpleUploadedFile("ok.xlsx", (FILES / "zero_width_name.xlsx").read_bytes())},
        ),
        403,
    ),
    Payload(
        "csrf_less_grid",
        "clerk",
        lambda w, c: csrf_client(w["personas"]["clerk"]).post(
            grid_url(w), {"version": w["sheet"].version, f"row-{w['serving'].pk}": "A" * 28}
        ),
        403,
    ),
    Payload(
        "csrf_less_dispatch",
        "county_admin",
        lambda w, c: csrf_client(w["personas"]["county_admin"]).post(
            reverse("assignments:dispatch"),
            {"village": w["serving"].village.code, "cadre": w["elsewhere"].cadre.pk, "role": "team_member"},
        ),
        403,
    ),
    Payload(
        "csrf_less_leave",
        "clerk",
        lambda w, c: csrf_client(w["personas"]["clerk"]).post(
            reverse("leave:new"),
            {
                "assignment": w["serving"].pk,
                "start_date": "2026-05-04",
                "end_date": "2026-05-05",
                "reason": "x",
            },
        ),
        403,
    ),
    Payload(
        "csrf_less_sheet_submit",
        "clerk",
        lambda w, c: csrf_client(w["personas"]["clerk"]).post(
            reverse("attendance:action", args=[w["tree"]["t1"].code, "2026-02", "submit"])
        ),
        403,
    ),
    # The attendance grid.
    Payload(
        "grid_unknown_code",
        "clerk",
        lambda w, c: grid_post(w, c, _days_with("X", 5)),
        200,
        ("day 5", "“X” is not a day mark", "Nothing was saved."),
    ),
    Payload(
        "grid_fullwidth_code",
        "clerk",
        lambda w, c: grid_post(w, c, _days_with("Ｐ", 3)),
        200,
        ("day 3", "“Ｐ” is not a day mark"),
    ),
    Payload("grid_nul_code", "clerk", lambda w, c: grid_post(w, c, _days_with("\x00", 7)), 200, ("day 7",)),
    Payload("grid_emoji_code", "clerk", lambda w, c: grid_post(w, c, _days_with("😀", 1)), 200, ("day 1",)),
    Payload(
        "grid_wrong_length",
        "clerk",
        lambda w, c: grid_post(w, c, "P" * 27),
        200,
        ("27 day marks for a month of 28 days",),
    ),
    Payload(
        "grid_dash_inside_term",
        "clerk",
        lambda w, c: grid_post(w, c, _days_with("-", 9)),
        200,
        ("day 9", "needs √, 差, 假, 休 or ×"),
    ),
    Payload(
        "grid_other_townships_record",
        "clerk",
        lambda w, c: grid_post(w, c, extra={f"row-{w['elsewhere'].pk}": "P" * 28}),
        200,
        ("does not serve in this township",),
    ),
    Payload(
        "grid_huge_row_id",
        "clerk",
        lambda w, c: grid_post(w, c, extra={"row-99999999999999999999": "P" * 28}),
        200,
        ("assignment 99999999999999999999", "does not serve"),
    ),
    Payload(
        "grid_missing_version",
        "clerk",
        lambda w, c: grid_post(w, c, version="abc"),
        200,
        ("no sheet version",),
    ),
    Payload(
        "grid_huge_version",
        "clerk",
        lambda w, c: grid_post(w, c, version="99999999999999999999"),
        200,
        ("your changes were not saved",),
    ),
    Payload("grid_other_townships_sheet", "clerk", lambda w, c: grid_post(w, c, township="t2"), 404),
    Payload("grid_month_13", "clerk", lambda w, c: grid_post(w, c, month="2026-13"), 404),
    # No sheet exists for May (a GET never creates one): a refused first save creates none either.
    Payload(
        "grid_month_never_opened",
        "clerk",
        lambda w, c: grid_post(w, c, month="2026-05", version=0),
        200,
        ("28 day marks for a month of 31 days", "Nothing was saved."),
    ),
    Payload(
        "grid_submitted_sheet",
        "clerk",
        lambda w, c: c.post(
            grid_url(w, "2026-03"),
            {"version": w["submitted"].version, f"row-{w['serving'].pk}": "P" * 31},
            follow=True,
        ),
        200,
        ("2026-03", "cannot be changed"),
    ),
    Payload(
        "oversized_post_body",
        "clerk",
        lambda w, c: grid_post(w, c, extra={"padding": "P" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}),
        400,
    ),
    Payload(
        "too_many_fields",
        "clerk",
        lambda w, c: grid_post(
            w, c, extra={f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)}
        ),
        400,
    ),
    # The forms.
    Payload(
        "dispatch_impossible_date",
        "county_admin",
        lambda w, c: c.post(
            reverse("assignments:dispatch"),
            {
                "village": w["serving"].village.code,
                "cadre": w["elsewhere"].cadre.pk,
                "role": "team_member",
                "start_date": "2026-02-30",
                "dispatch_level": "county",
            },
        ),
        200,
        ("Enter a valid date",),
    ),
    Payload(
        "dispatch_other_countys_village",
        "county_admin",
        lambda w, c: c.post(
            reverse("assignments:dispatch"),
            {
                "village": "370687100201",
                "cadre": w["elsewhere"].cadre.pk,
                "role": "team_member",
                "start_date": "2026-06-01",
                "dispatch_level": "county",
            },
        ),
        200,
        ("Select a valid choice",),
    ),
    Payload(
        "dispatch_huge_and_negative_ids",
        "county_admin",
        lambda w, c: c.post(
            reverse("assignments:dispatch"),
            {
                "village": "-1",
                "cadre": "99999999999999999999",
                "role": "team_member",
                "start_date": "2026-06-01",
                "dispatch_level": "county",
            },
        ),
        200,
        ("Select a valid choice",),
    ),
    Payload(
        "dispatch_oversized_batch",
        "county_admin",
        lambda w, c: c.post(
            reverse("assignments:dispatch"),
            {
                "village": w["serving"].village.code,
                "cadre": w["elsewhere"].cadre.pk,
                "role": "team_member",
                "start_date": "2026-06-01",
                "dispatch_level": "county",
                "batch": "批" * 10_000,
            },
        ),
        200,
        ("at most 40 characters",),
    ),
    Payload(
        "leave_impossible_date",
        "clerk",
        lambda w, c: c.post(
            reverse("leave:new"),
            {
                "assignment": w["serving"].pk,
                "start_date": "2026-02-30",
                "end_date": "2026-03-02",
                "reason": "x",
            },
        ),
        200,
        ("Enter a valid date",),
    ),
    Payload(
        "leave_backwards",
        "clerk",
        lambda w, c: c.post(
            reverse("leave:new"),
            {
                "assignment": w["serving"].pk,
                "start_date": "2026-05-08",
                "end_date": "2026-05-04",
                "reason": "x",
            },
        ),
        200,
        ("before the first day",),
    ),
    Payload(
        "leave_nul_reason",
        "clerk",
        lambda w, c: c.post(
            reverse("leave:new"),
            {
                "assignment": w["serving"].pk,
                "start_date": "2026-05-04",
                "end_date": "2026-05-05",
                "reason": "a\x00b",
            },
        ),
        200,
        ("Null characters are not allowed",),
    ),
    Payload(
        "leave_of_another_township",
        "clerk",
        lambda w, c: c.post(
            reverse("leave:new"),
            {
                "assignment": w["elsewhere"].pk,
                "start_date": "2026-05-04",
                "end_date": "2026-05-05",
                "reason": "x",
            },
        ),
        200,
        ("Select a valid choice",),
    ),
    Payload(
        "leave_reject_nul_reason",
        "county_admin",
        lambda w, c: c.post(
            reverse("leave:decide", args=[w["leave"].pk, "reject"]), {"reason": "不\x00批"}, follow=True
        ),
        200,
        ("reason contains a NUL character",),
    ),
    Payload(
        "sheet_reopen_nul_reason",
        "county_admin",
        lambda w, c: c.post(
            reverse("attendance:action", args=[w["tree"]["t1"].code, "2026-03", "reopen"]),
            {"reason": "更正\x00"},
            follow=True,
        ),
        200,
        ("reason contains a NUL character",),
    ),
    Payload(
        "appraisal_score_nan",
        "county_admin",
        lambda w, c: _grades(w, c, score="NaN"),
        200,
        ("the score NaN must lie between 0 and 100", "Nothing was saved."),
    ),
    Payload(
        "appraisal_score_huge_exponent",
        "county_admin",
        lambda w, c: _grades(w, c, score="1e999999"),
        200,
        ("the score 1e999999 must lie between 0 and 100",),
    ),
    Payload(
        "appraisal_score_words",
        "county_admin",
        lambda w, c: _grades(w, c, score="九十"),
        200,
        ("the score “九十” is not a number",),
    ),
    Payload(
        "appraisal_comments_nul",
        "county_admin",
        lambda w, c: _grades(w, c, score="90", comments="好\x00"),
        200,
        ("comments contain a NUL character",),
    ),
    Payload(
        "appraisal_unknown_grade",
        "county_admin",
        lambda w, c: _grades(w, c, score="90", grade="superb"),
        200,
        ("“superb” is not a grade",),
    ),
]


def _grades(w, client, score, grade="competent", comments=""):
    pk = w["appraisal"].pk
    return client.post(
        reverse("appraisal:round_action", args=[w["round"].pk, "save"]),
        {f"grade-{pk}": grade, f"score-{pk}": score, f"comments-{pk}": comments},
        follow=True,
    )


@pytest.mark.parametrize("payload", PAYLOADS, ids=str)
def test_hostile_payload_is_answered_clearly_and_writes_nothing(payload, world, english):
    english.force_login(world["personas"][payload.persona])
    before = snapshot()
    response = payload.send(world, english)
    assert response.status_code == payload.status, page_text(response)[:2000]
    assert snapshot() == before
    text = page_text(response)
    for fragment in payload.says:
        assert fragment in text


# --- URLs ----------------------------------------------------------------------------------------
URLS = [
    ("month_13", "clerk", "/attendance/370682100000/2026-13/", 404, ()),
    ("month_zero", "county_admin", "/attendance/overview/2026-00/", 404, ()),
    ("month_year_99999", "county_admin", "/attendance/allowance/99999-01/", 404, ()),
    ("month_words", "county_admin", "/attendance/overview/二月/", 404, ()),
    ("negative_cadre_id", "county_admin", "/cadres/-1/", 404, ()),
    ("huge_cadre_id", "county_admin", "/cadres/99999999999999999999/", 404, ()),
    ("huge_leave_id", "county_admin", "/leave/99999999999999999999/", 404, ()),
    ("huge_assignment_id", "county_admin", "/assignments/99999999999999999999/", 404, ()),
    ("huge_round_id", "county_admin", "/appraisal/rounds/99999999999999999999/", 404, ()),
    ("nul_village_code", "county_admin", "/villages/%00/", 404, ()),
    ("other_townships_sheet", "clerk", "/attendance/370682101000/2026-02/", 404, ()),
    (
        "allowance_nul_township",
        "county_admin",
        "/attendance/allowance/2026-02/?township=%00",
        200,
        ("not a 12-digit township code",),
    ),
    ("page_negative", "county_admin", "/villages/?page=-1", 200, ()),
    ("page_huge", "county_admin", "/cadres/?page=99999999999999999999", 200, ()),
    ("unknown_sort", "county_admin", "/villages/?o=%00", 200, ()),
    ("nul_search", "county_admin", "/cadres/?q=%00", 200, ()),
    ("unknown_export", "county_admin", "/exports/passwords/", 404, ()),
    ("unknown_import", "county_admin", "/imports/passwords/", 404, ()),
]


@pytest.mark.parametrize(("name", "persona", "url", "status", "says"), URLS, ids=[u[0] for u in URLS])
def test_bad_url_parameters_answer_not_found_or_a_message(name, persona, url, status, says, world, english):
    english.force_login(world["personas"][persona])
    before = snapshot()
    response = english.get(url)
    assert response.status_code == status
    assert snapshot() == before
    text = page_text(response)
    for fragment in says:
        assert fragment in text
