"""The formula guard (issue 14, item 11): every cell of every export goes through it, the title
included, and names starting with = + - @ are refused where they are entered (the models' clean())."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from accounts import access
from appraisal.models import Appraisal, AppraisalRound
from assignments.models import AttendanceRecord, AttendanceSheet
from cadres.models import Cadre, Unit
from config.textguard import formula_start
from excel import exports
from villages.models import Region, Village

from .test_cadre_registration import NEW, form_data


@pytest.fixture(autouse=True)
def english_messages():
    # These assertions read the messages' English wording; the site's default language is Chinese.
    with translation.override("en"):
        yield


HYPERLINK = '=HYPERLINK("http://evil.example/","点我")'
DAY = datetime.date(2026, 2, 10)
FEB = datetime.date(2026, 2, 1)


@pytest.fixture
def hostile_world(tree, make_village, make_cadre, dispatch, personas):
    """Names as legacy data might hold them (written past clean(), as a raw database edit would)."""
    village = make_village(tree["t1"], name="东村")
    a = dispatch(make_cadre(name="张伟"), village)
    Region.objects.filter(pk=tree["county"].pk).update(name=HYPERLINK)
    Region.objects.filter(pk=tree["t1"].pk).update(name="@SUM(1,2)")
    Village.objects.filter(pk=village.pk).update(name="+cmd|' /C calc'!A0")
    Unit.objects.filter(pk=a.cadre.unit_id).update(name="-2+3")
    Cadre.objects.filter(pk=a.cadre_id).update(name="=1+1", specialty="@x", position="=y")
    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=FEB)
    AttendanceRecord.objects.create(sheet=sheet, assignment=a, days="P" * 28, required_days=16)
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    Appraisal.objects.filter(round=round_).update(score=Decimal("90"), grade="excellent", comments="=z")
    return {"round": round_}


def cells(data):
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


@pytest.mark.parametrize("kind", ["roster", "attendance", "appraisal", "coverage", "allowance"])
def test_no_cell_of_any_export_is_a_formula_the_title_included(kind, hostile_world, personas):
    out = io.BytesIO()
    exports.build(
        kind,
        lambda qs: access.scope(personas["county_admin"], qs),
        out,
        region_label=HYPERLINK,  # what the views pass: the user's region's name
        day=DAY,
        month=FEB,
        round_=hostile_world["round"],
    )
    all_cells = cells(out.getvalue())
    assert [c.coordinate for c in all_cells if c.data_type == "f"] == []
    title = all_cells[0]
    assert title.coordinate == "A1" and title.value.startswith(HYPERLINK) and title.quotePrefix
    hostile = [c for c in all_cells if isinstance(c.value, str) and formula_start(c.value)]
    assert len(hostile) >= 2  # the title and at least one name: written, as text
    assert all(c.quotePrefix for c in hostile if c.value[:1] in "=+-@")


def test_the_downloaded_coverage_title_names_a_hostile_county_as_text(hostile_world, personas, client_for):
    response = client_for(personas["county_admin"]).get(reverse("excel:export", args=["coverage"]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    title = cells(data)[0]
    assert title.value.startswith(HYPERLINK) and title.data_type == "s" and title.quotePrefix


@pytest.mark.parametrize("start", ["=", "+", "-", "@", " =", "\u3000@"])
def test_names_starting_like_a_formula_are_refused_by_the_models(start, tree):
    name = f"{start}HYPERLINK(1)"
    region = Region(code="370682999000", name=name, level="township", parent=tree["county"])
    village = Village(code="370682999001", name=name, township=tree["t1"])
    unit = Unit(name=name, level=tree["unit"].level, kind=tree["unit"].kind, region=tree["county"])
    for obj in (region, village, unit):
        with pytest.raises(ValidationError) as caught:
            obj.clean()
        assert "a spreadsheet would run it as a formula" in str(caught.value.message_dict["name"])


def test_ordinary_names_pass_the_guard(tree):
    assert formula_start("张伟") is None and formula_start("李-四") is None and formula_start(None) is None
    Region(code="370682999000", name="新镇", level="township", parent=tree["county"]).clean()


@pytest.mark.parametrize("field", ["name", "position", "specialty"])
def test_the_cadre_form_refuses_a_formula_like_name_and_saves_nothing(field, tree, personas, client_for):
    client = client_for(personas["county_admin"])
    before = Cadre.objects.count()
    response = client.post(NEW, form_data(tree, **{field: "=HYPERLINK(1)"}), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "formula" in str(response.context["form"].errors[field])
    assert Cadre.objects.count() == before
