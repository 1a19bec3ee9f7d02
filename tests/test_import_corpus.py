"""Files as offices really make them (tests/corpus/files, written by tests/corpus/make_corpus.py and saved
by LibreOffice): each file and its expected result — created counts, or the exact cells refused."""

import datetime
import json
import os
import pathlib
import subprocess
import sys

import pytest
from django.utils import translation

from cadres.models import Cadre
from excel import imports

from .test_hostile_sheet_xml import CHILD

FILES = pathlib.Path(__file__).parent / "corpus" / "files"
NUMERIC_ID = ("arrived as a number", "15 significant digits", "format to text")

# file → ("created", n), ("errors", {cell: message fragments}) — every error of the file, no more —
# or ("refused", fragments of the refusal).
CORPUS = {
    "roster.xls": ("created", 3),
    "roster_libreoffice.xlsx": ("created", 3),
    "utf8_bom.csv": ("created", 3),
    "utf8.csv": ("created", 3),
    "gbk.csv": ("created", 3),
    "gb18030.csv": ("created", 3),
    "id_as_number.xls": ("errors", {"花名册!C2": NUMERIC_ID, "花名册!C3": NUMERIC_ID}),
    "id_as_number.xlsx": ("errors", {"花名册!C2": ("3.70682E+17",), "花名册!C3": ("3.70682E+17",)}),
    "month_as_number.xls": ("errors", {"花名册!G3": ("arrived as a number (2012.1)", "2012-10")}),
    "date_serials.xls": ("created", 2),
    "date_serials.xlsx": ("created", 2),
    "header_on_row_7.xlsx": ("created", 3),
    "instruction_sheet_first.xlsx": ("errors", {"花名册!N5": ("Not a phone number",)}),
    "messy_headers.xls": ("created", 3),
    "template_example_left_in.xlsx": ("created", 2),
    "three_problems.xlsx": (
        "errors",
        {
            "花名册!E3": ("Unknown ethnic group",),
            "花名册!H3": ("2008-02-30 is not a real date",),
            "花名册!N3": ("Not a phone number",),
        },
    ),
    "phones.xlsx": (
        "errors",
        {
            "花名册!N5": ("11-digit mobile",),
            "花名册!N6": ("11-digit mobile",),
            "花名册!N7": ("0535-1234567",),
        },
    ),
    # Refused before calamine allocates the sheet (1 GB for this 7 KB file), as for .xlsx.
    "hostile_far_cell.xls": ("refused", ("row 65536 and column 256", "Ctrl+End")),
    "hostile_formula.xls": ("refused", ("holds formulas", "M2", "paste it as values")),
    "hostile_utf16.csv": ("refused", ("UTF-16", "CSV UTF-8")),
    "hostile_wide.csv": ("refused", ("314 columns", "at most 200")),
}


def import_file(name, user):
    with translation.override("en"), (FILES / name).open("rb") as f:
        return imports.run("cadres", f, user, filename=name)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_file_of_the_corpus_gives_its_expected_result(name, personas, tree):
    what, expected = CORPUS[name]
    if what == "refused":
        with pytest.raises(imports.ImportRefused) as refused:
            import_file(name, personas["county_admin"])
        for fragment in expected:
            assert fragment in str(refused.value), str(refused.value)
        assert not Cadre.objects.exists()
        return
    result = import_file(name, personas["county_admin"])
    if what == "created":
        assert result.ok, [(e.cell, e.message) for e in result.errors]
        assert result.created == expected == Cadre.objects.count()
        return
    assert not Cadre.objects.exists()
    found = {}
    for e in result.errors:
        found.setdefault(e.cell, []).append(e.message)
    assert set(found) == set(expected), found
    for cell, fragments in expected.items():
        assert len(found[cell]) == 1, found[cell]
        for fragment in fragments:
            assert fragment in found[cell][0], found[cell][0]


def test_every_corpus_file_is_in_the_table():
    assert {p.name for p in FILES.iterdir()} == set(CORPUS)


def test_the_new_cadre_columns_are_stored_and_汉_is_taken_for_汉族(personas, tree):
    import_file("roster.xls", personas["county_admin"])
    first, second = Cadre.objects.get(name="干部0"), Cadre.objects.get(name="干部1")
    assert (first.ethnicity, first.full_time) == ("汉族", True)
    assert (second.ethnicity, second.full_time) == ("汉族", False)  # 汉 and 否 in the file


def test_a_gb18030_character_outside_gbk_survives(personas, tree):
    import_file("gb18030.csv", personas["county_admin"])
    assert Cadre.objects.filter(name="王䶮").exists()


def test_excel_day_numbers_and_date_cells_are_the_dates_they_show(personas, tree):
    for name in ("date_serials.xls", "date_serials.xlsx"):
        import_file(name, personas["county_admin"])
        assert Cadre.objects.get(name="干部0").work_started_on == datetime.date(2008, 8, 1)  # 39661
        assert Cadre.objects.get(name="干部1").work_started_on == datetime.date(2009, 9, 1)
        Cadre.objects.all().delete()


def test_the_instruction_sheet_is_skipped_and_the_sheet_read_is_named(personas, tree):
    result = import_file("instruction_sheet_first.xlsx", personas["county_admin"])
    assert result.sheet == "花名册"
    assert any("花名册" in n and "填表说明" in n for n in result.notes), result.notes


def test_the_templates_example_row_left_in_is_skipped_and_said(personas, tree):
    result = import_file("template_example_left_in.xlsx", personas["county_admin"])
    assert any("示例" in n and "row 2" in n for n in result.notes), result.notes
    assert not Cadre.objects.filter(id_number="37068219850501123X").exists()


def test_a_header_after_a_title_counts_rows_as_the_sheet_does(personas, tree):
    result = import_file("header_on_row_7.xlsx", personas["county_admin"])
    assert result.ok and result.rows == 3


def test_reading_the_far_cell_xls_keeps_memory_small():
    """calamine alone took 1 GB for this 7 KB file; refused by the BIFF pre-scan, in a child process
    with a 2 GB address-space limit, peak RSS grows < 100 MB."""
    code = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n" + CHILD
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=(FILES / "hostile_far_cell.xls").read_bytes(),
        capture_output=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=pathlib.Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    out = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert "65536" in out["said"], out
    assert out["grew_kb"] < 100 * 1024, out
