"""Hostile sheet XML (issue 14, item 10): the stray-cell guard is a whitelist, not a pattern.

Each file is built here from the committed good header-only workbook (zip + XML edited by hand), so
the whole attack is readable in the test. Each is refused by the streaming pre-scan with a message
naming the problem, writes nothing, answers 400 (not 500), and calamine never sees it: the 5 KB
upload that once asked for 512 GB is refused before any sheet is built, and a child process that
imports each of them stays within a small memory growth.
"""

import io
import json
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest
from django.conf import settings
from django.utils import translation

from excel import imports

from .test_hostile_input import FILES, page_text, snapshot, upload


@pytest.fixture(autouse=True)
def english_messages():
    # These assertions read the messages' English wording; the site's default language is Chinese.
    with translation.override("en"):
        yield


SHEET = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
BASE = FILES / "header_only.xlsx"  # a workbook as openpyxl writes it: the cadre headers, no data


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def edited(replace=None, add=None, drop=()):
    """The header-only workbook with members edited: replace = {name: fn(text) -> text}."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(BASE) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            if info.filename in drop:
                continue
            content = src.read(info.filename)
            if info.filename in replace:
                new = replace[info.filename](content.decode()).encode()
                assert new != content, f"the edit of {info.filename} changed nothing"
                content = new
            zf.writestr(info.filename, content)
        for name, content in add.items():
            zf.writestr(name, content)
    return out.getvalue()


def with_rows(rows_xml):
    return edited({SHEET: lambda s: s.replace("</sheetData>", rows_xml + "</sheetData>")})


GOOD_ROW = (
    '<row r="2"><c r="A2" t="inlineStr"><is><t>张伟</t></is></c>'
    '<c r="C2" t="inlineStr"><is><t>37068219850501123X</t></is></c></row>'
)


def refless_rows():
    """The 512 GB file (under 1 MB unpacked, so under the zip-bomb ratio check): a row at 1048576
    whose 16,384 cells carry no reference, which calamine places at columns 1…16384."""
    return with_rows(GOOD_ROW + '<row r="1048576">' + "<c><v>1</v></c>" * 16_384 + "</row>")


def moved_sheet():
    """The sheet stored under a name that is neither .xml nor under xl/worksheets/ (rels point at it)."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(BASE) as src:
        sheet = src.read(SHEET).decode().replace("</sheetData>", far + "</sheetData>")
    return edited(
        {"xl/_rels/workbook.xml.rels": lambda s: s.replace("worksheets/sheet1.xml", "media/image1.png")},
        add={"xl/media/image1.png": sheet.encode()},
        drop=(SHEET,),
    )


CASES = {
    # name: (builder, fragments of the refusal)
    "lower_case_ref": (
        lambda: with_rows('<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>'),
        ("'xfd1048576'", "not a cell reference Excel or WPS writes"),
    ),
    "single_quoted_ref": (
        lambda: with_rows("<row r='1048576'><c r='XFD1048576' t='n'><v>1</v></c></row>"),
        ("row 1048576 and column 16384", "Ctrl+End"),
    ),
    "sheet_qualified_ref": (
        lambda: with_rows('<row r="3"><c r="\'Sheet1\'!A3"><v>1</v></c></row>'),
        ("'Sheet1'!A3", "not a cell reference"),
    ),
    "ref_past_xfd": (
        lambda: with_rows('<row r="3"><c r="ZZZ3"><v>1</v></c></row>'),
        ("'ZZZ3'", "at most XFD1048576"),
    ),
    "row_past_excel": (
        lambda: with_rows('<row r="99999999"><c r="A99999999"><v>1</v></c></row>'),
        ("'99999999'", "a row number"),
    ),
    "lower_case_dimension": (
        lambda: edited(
            {SHEET: lambda s: s.replace('<dimension ref="A1:L1" />', '<dimension ref="a1:xfd1048576"/>')}
        ),
        ("the dimension", "'a1:xfd1048576'"),
    ),
    "refless_cells": (refless_rows, ("cell without a cell reference", "xl/worksheets/sheet1.xml")),
    "unknown_element_in_cell": (
        lambda: with_rows('<row r="3"><c r="A3"><foo r="XFD1048576"/><v>1</v></c></row>'),
        ("<foo>", "does not understand"),
    ),
    "prefixed_far_cell": (
        lambda: with_rows(f'<row r="1048576"><x:c xmlns:x="{NS}" r="XFD1048576"><x:v>1</x:v></x:c></row>'),
        ("row 1048576 and column 16384",),
    ),
    "sheet_renamed_as_image": (moved_sheet, ("row 1048576 and column 16384",)),
    "malformed_xml": (
        lambda: with_rows('<row r="3"><c r="A3"><v>1</c></row>'),
        ("not well-formed XML", "xl/worksheets/sheet1.xml"),
    ),
}


def test_the_base_workbook_passes_the_pre_scan():
    imports.check_sheets(BASE.read_bytes())
    imports.check_sheets(with_rows(GOOD_ROW))


def test_shared_strings_are_counted_before_calamine_reads_them(monkeypatch):
    monkeypatch.setattr(imports, "MAX_SHARED_STRINGS", 1000)
    data = edited(add={"xl/sharedStrings.xml": f'<sst xmlns="{NS}">' + "<si><t>x</t></si>" * 1001 + "</sst>"})
    with pytest.raises(imports.ImportRefused, match="more than 1000 texts"):
        imports.check_sheets(data)


@pytest.mark.parametrize("name", CASES)
def test_hostile_sheet_xml_is_refused_by_the_pre_scan_naming_the_problem(name, personas, english, tree):
    build, says = CASES[name]
    data = build()
    assert len(data) < 200_000  # small uploads: the danger is what they unpack to
    with pytest.raises(imports.ImportRefused) as refused:  # the pre-scan, before calamine sees the file
        imports.check_sheets(data)
    for fragment in says:
        assert fragment in str(refused.value), str(refused.value)

    english.force_login(personas["county_admin"])
    before = snapshot()
    response = upload(english, "cadres", f"{name}.xlsx", data)
    assert response.status_code == 400, page_text(response)
    assert snapshot() == before
    assert "Nothing was saved." in page_text(response)
    for fragment in says:
        assert fragment in response.context["refused"]


CHILD = """
import io, json, resource, sys
import django
django.setup()
from excel import imports
data = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    imports.parse_rows("cadres", data, "x.xlsx")
    said = None
except imports.ImportRefused as e:
    said = str(e)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"grew_kb": after - before, "said": said}))
"""


@pytest.mark.parametrize("name", ["lower_case_ref", "refless_cells", "sheet_renamed_as_image"])
def test_reading_a_hostile_sheet_keeps_memory_small(name):
    """In a child process with a 2 GB address-space limit: refused, and peak RSS grows < 100 MB."""
    data = CASES[name][0]()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n" + CHILD
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=data,
        capture_output=True,
        timeout=120,
        env=env,
        cwd=pathlib.Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    out = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert out["said"], out
    assert out["grew_kb"] < 100 * 1024, out
