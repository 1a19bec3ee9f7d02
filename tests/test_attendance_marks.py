"""The grid, its print and the export write days as the paper 考勤表 does (√ 差 假 休 ×), with one
legend; typing the marks or the old letters both save the same stored codes."""

import datetime
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from accounts import access
from assignments import attendance
from assignments.models import AttendanceRecord, AttendanceSheet
from assignments.models.attendance import CODE_LABELS, MARKS, legend, to_codes, to_marks
from excel import exports

FEB = datetime.date(2026, 2, 1)


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    return dispatch(make_cadre(name="在岗书记"), make_village(name="东村"))


def sheet_url(tree):
    return reverse("attendance:sheet", args=[tree["t1"].code, "2026-02"])


def loaded(client, tree):
    response = client.get(sheet_url(tree))
    assert response.status_code == 200
    return response


def post(client, tree, serving, days, version):
    return client.post(sheet_url(tree), {"version": version, f"row-{serving.pk}": days}, follow=True)


def test_every_code_has_one_mark_and_the_marks_read_back_as_the_codes():
    assert set(MARKS) == set(CODE_LABELS)
    assert len(set(MARKS.values())) == len(MARKS)
    codes = "".join(MARKS)
    assert to_codes(to_marks(codes)) == codes
    assert to_marks("PBLHA") == "√差假休×"
    assert to_codes("p b l h a") == "PBLHA"
    assert to_codes("✓✔✗") == "PPA"


def test_a_character_that_is_no_mark_is_kept_for_validation_to_refuse_not_guessed():
    assert to_codes("X") == "X"
    assert to_codes("Ｐ") == "Ｐ"
    assert to_codes("?") == "?"


def test_the_grid_shows_marks_in_its_cells_text_boxes_and_one_legend(client_for, personas, serving, tree):
    with translation.override("zh-hans"):
        response = loaded(client_for(personas["clerk"]), tree)
    body = response.content.decode()
    row = response.context["rows"][0]
    assert row.marks == to_marks(row.days)
    assert f'value="{row.marks}"' in body  # the row's text box, for typing and for use without script
    cells = re.findall(r'<td class="cell [^"]*" data-i="\d+"[^>]*>([^<]*)</td>', body)
    assert len(cells) == 28 and set(cells) <= set(MARKS.values())
    assert "休" in cells
    assert not set(cells) & set("PBLHA")
    legend_html = re.search(r'<ul class="legend">(.*?)</ul>', body, re.S).group(1)
    for _code, mark, _label in legend():
        assert legend_html.count(f">{mark}</span>") == 1
    assert body.count('<ul class="legend">') == 1
    assert "在村" in legend_html and "因公外出" in legend_html and "缺勤" in legend_html


def test_typing_marks_or_old_letters_saves_the_same_codes(client_for, personas, serving, tree):
    client = client_for(personas["clerk"])
    response = loaded(client, tree)
    row = response.context["rows"][0]
    version = response.context["sheet"].version
    # Mark the first working day absent: once as ×, once (on a fresh sheet version) as the letter A.
    first_working = next(i for i, c in enumerate(row.days) if c == "P")
    marks = list(row.marks)
    marks[first_working] = "×"
    post(client, tree, serving, "".join(marks), version)
    record = AttendanceRecord.objects.get(assignment=serving)
    assert record.days[first_working] == "A" and set(record.days) <= set(MARKS)
    letters = list(record.days)
    letters[first_working] = "p"  # lower case still works
    post(client, tree, serving, "".join(letters), version + 1)
    record.refresh_from_db()
    assert record.days[first_working] == "P"
    assert record.days == row.days


def test_a_wrong_mark_is_refused_naming_the_day_and_nothing_is_saved(client_for, personas, serving, tree):
    client = client_for(personas["clerk"])
    response = loaded(client, tree)
    row = response.context["rows"][0]
    version = response.context["sheet"].version
    marks = list(row.marks)
    marks[1] = "X"
    with translation.override("zh-hans"):
        body = post(client, tree, serving, "".join(marks), version).content.decode()
    assert "2日" in body and "“X”不是考勤标记" in body
    assert not AttendanceRecord.objects.exists()


def test_the_admin_accepts_marks_and_stores_codes(serving, tree):
    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=FEB)
    record = AttendanceRecord(sheet=sheet, assignment=serving, days="休" * 28, required_days=16)
    with pytest.raises(ValidationError):  # 休 on working days
        record.full_clean()
    mask = attendance.calendar_mask(attendance.calendar_for(tree["t1"], FEB))
    record.days = mask.replace("W", "√").replace("R", "休")
    record.full_clean()
    assert record.days == mask.replace("W", "P").replace("R", "H")


def test_the_export_writes_the_same_marks_and_the_same_legend_as_the_grid(
    client_for, personas, serving, tree
):
    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=FEB)
    AttendanceRecord.objects.create(
        sheet=sheet,
        assignment=serving,
        days="H" + "P" * 5 + "HH" + "B" * 5 + "H" + "A" + "H" * 9 + "P" * 4,
        required_days=16,
    )
    out = io.BytesIO()
    user = personas["county_admin"]
    exports.build("attendance", lambda qs: access.scope(user, qs), out, region_label="莱阳市", month=FEB)
    out.seek(0)
    rows = list(load_workbook(out).active.iter_rows(min_row=6, values_only=True))
    cadre_row = next(r for r in rows if len(r) > 2 and r[2] == "在岗书记")
    assert "".join(cadre_row[5:33]) == "休" + "√" * 5 + "休休" + "差" * 5 + "休" + "×" + "休" * 9 + "√" * 4
    with translation.override("zh-hans"):
        expected = "　".join(f"{m} {label}" for _c, m, label in legend())
    assert any(expected in str(r[0]) for r in rows if str(r[0]).startswith("图例："))
