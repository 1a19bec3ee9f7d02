"""Export layouts per region (issue 15, item 6): a province or city sets the columns of its roster and
appraisal returns on a page; its counties export in that layout by default, the built-in one stays
available, and the cadres import template follows the roster layout."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from appraisal.models import AppraisalRound
from cadres.models import Cadre
from excel import imports, layouts, workbook
from excel.models import ExportLayout
from tests.conftest import make_id

TODAY = datetime.date(2026, 2, 10)
EDIT = "excel:layout_edit"


@pytest.fixture
def world(tree, make_village, make_cadre, dispatch):
    east = make_village(tree["t1"], name="东村")
    west = make_village(tree["t2"], name="西村")
    dispatch(
        make_cadre(name="张三", ethnicity="回族", position="科员", specialty="农业"), east, team_leader=True
    )
    dispatch(make_cadre(name="李四", gender="F", full_time=False, note="兼职"), east, role="team_member")
    dispatch(make_cadre(name="王五"), west)
    return {"east": east, "west": west}


def form_data(kind, chosen):
    """The layout page's POST for ``chosen`` [(key, heading)] in that order; other columns unticked."""
    data, position = {}, {key: n for n, (key, _h) in enumerate(chosen, start=1)}
    headings = dict(chosen)
    for n, key in enumerate(workbook.AVAILABLE[kind], start=len(chosen) + 1):
        data[f"order_{key}"] = position.get(key, n)
        data[f"heading_{key}"] = headings.get(key, workbook.AVAILABLE[kind][key].heading)
        if key in headings:
            data[f"use_{key}"] = "on"
    return data


def edit_url(kind, region):
    return f"{reverse(EDIT, args=[kind])}?region={region.code}"


def roster(client, **params):
    response = client.get(reverse("excel:export", args=["roster"]), {"date": TODAY.isoformat(), **params})
    assert response.status_code == 200, response.content[:300]
    ws = load_workbook(io.BytesIO(response.content)).active
    return [c.value for c in ws[HEADER_ROW]], table_rows(ws)


# The form's furniture: the title (row 1) and the 填报单位 line (row 2) above the headers (row 3); the
# table ends at the blank row before the signature line.
HEADER_ROW = 3


def table_rows(ws):
    out = []
    for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        if all(v is None for v in r):
            break
        out.append(list(r))
    return out


PROVINCE_ROSTER = [("name", "干部姓名"), ("village", "驻村"), ("role", "驻村职务"), ("unit", "工作单位")]


@pytest.fixture
def province_layout(client_for, personas, tree):
    client = client_for(personas["province"])
    response = client.post(edit_url("roster", tree["province"]), form_data("roster", PROVINCE_ROSTER))
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    return ExportLayout.objects.get(region=tree["province"], kind="roster")


def test_a_layout_saved_by_the_province_shapes_its_counties_roster(
    province_layout, world, client_for, personas
):
    assert province_layout.pairs == PROVINCE_ROSTER
    assert province_layout.updated_by == personas["province"]
    headers, rows = roster(client_for(personas["county_admin"]))
    assert headers == ["干部姓名", "驻村", "驻村职务", "工作单位"]
    assert rows[0] == ["张三", "东村", "第一书记（工作队长）", "莱阳市财政局"]
    assert [r[0] for r in rows] == ["张三", "李四", "王五"]


def test_the_built_in_layout_stays_available(province_layout, world, client_for, personas):
    headers, _rows = roster(client_for(personas["county_admin"]), layout="builtin")
    assert headers == [c.header for c in workbook.ROSTER_COLUMNS]
    page = client_for(personas["county_admin"]).get(reverse("excel:exports")).content.decode()
    assert 'name="layout"' in page and 'value="builtin"' in page


def test_a_county_user_sees_the_layout_but_cannot_edit_it(province_layout, client_for, personas, tree):
    client = client_for(personas["county_admin"])
    index = client.get(reverse("excel:layouts")).content.decode()
    assert "山东省" in index and "干部姓名、驻村、驻村职务、工作单位" in index
    # The province and the city lie outside the county: their pages do not exist for it.
    assert client.get(edit_url("roster", tree["province"])).status_code == 404
    assert (
        client.post(edit_url("roster", tree["city"]), form_data("roster", [("name", "X")])).status_code == 404
    )
    assert client.get(reverse(EDIT, args=["roster"])).status_code == 404  # its own region holds none
    assert ExportLayout.objects.get().pairs == PROVINCE_ROSTER


def test_the_province_reads_its_citys_layout_but_only_the_city_writes_it(client_for, personas, tree):
    province = client_for(personas["province"])
    assert province.get(edit_url("roster", tree["city"])).status_code == 200
    assert (
        province.post(edit_url("roster", tree["city"]), form_data("roster", [("name", "X")])).status_code
        == 403
    )
    province.logout()
    city = client_for(personas["viewer"])
    assert (
        city.post(edit_url("roster", tree["city"]), form_data("roster", [("name", "X")])).status_code == 302
    )
    assert city.get(edit_url("roster", tree["province"])).status_code == 404
    assert ExportLayout.objects.get().region == tree["city"]


def test_the_citys_layout_overrides_the_provinces_for_its_counties(
    province_layout, world, client_for, personas, tree
):
    city = client_for(personas["viewer"])
    city.post(edit_url("roster", tree["city"]), form_data("roster", [("village", "村名"), ("name", "姓名")]))
    city.logout()
    headers, rows = roster(client_for(personas["county_admin"]))
    assert headers == ["村名", "姓名"] and rows[0] == ["东村", "张三"]
    assert layouts.effective(tree["county"], "roster").region == tree["city"]
    assert layouts.effective(tree["province"], "roster").region == tree["province"]
    # The province's own exports still use its own layout.
    assert roster(client_for(personas["province"]))[0] == ["干部姓名", "驻村", "驻村职务", "工作单位"]


@pytest.mark.parametrize(
    "heading, words",
    [
        ("", ["“姓名”", "empty"]),
        ("=SUM(A1)", ["“姓名”", "formula"]),
        ("长" * 31, ["“姓名”", "31", "30"]),
        ("驻村", ["“驻村”", "“姓名”", "“村”", "own heading"]),
    ],
)
def test_a_bad_heading_is_refused_naming_the_column(heading, words, client_for, personas, tree):
    client = client_for(personas["province"])
    data = form_data("roster", [("village", "驻村"), ("name", heading)])
    response = client.post(edit_url("roster", tree["province"]), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get("heading_name", []))
    assert all(word in errors for word in words), errors
    assert words[0] in response.content.decode()
    assert not ExportLayout.objects.exists()


def test_the_rules_hold_for_the_model_too(tree):
    layout = ExportLayout(region=tree["county"], kind="roster", columns=[{"key": "name", "heading": "@姓名"}])
    with pytest.raises(ValidationError) as exc:
        layout.full_clean()
    assert set(exc.value.message_dict) == {"region", "columns"}
    assert layouts.column_errors("roster", []) and layouts.column_errors("roster", [("nope", "x")])
    assert layouts.column_errors("roster", [("name", "a"), ("name", "b")])


def test_the_roster_export_with_a_layout_takes_a_constant_number_of_queries(
    province_layout, world, client_for, personas, make_village, make_cadre, dispatch
):
    client = client_for(personas["county_admin"])
    url = reverse("excel:export", args=["roster"])
    with CaptureQueriesContext(connection) as few:
        client.get(url, {"date": TODAY.isoformat()})
    for n in range(6):
        dispatch(make_cadre(name=f"干部{n}", birth=datetime.date(1980, 1, 1 + n)), make_village())
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, {"date": TODAY.isoformat()})
    assert len(table_rows(load_workbook(io.BytesIO(response.content)).active)) == 9
    assert len(many) == len(few)


def test_the_cadres_template_follows_the_roster_layout_and_its_headings_import(
    province_layout, client_for, personas, tree
):
    client = client_for(personas["county_admin"])
    response = client.get(reverse("excel:import_template", args=["cadres"]))
    headers = [c.value for c in load_workbook(io.BytesIO(response.content)).active[1]]
    # The layout's cadre columns in its order and headings, then the import's required ones it lacks.
    required_rest = [
        c.header for c in imports.COLUMNS["cadres"] if c.required and c.attr not in ("name", "unit")
    ]
    assert headers == ["干部姓名", "工作单位", *required_rest]
    builtin = client.get(reverse("excel:import_template", args=["cadres"]), {"layout": "builtin"})
    assert [c.value for c in load_workbook(io.BytesIO(builtin.content)).active[1]][0] == "姓名"
    # A file with the layout's headings (and its columns that are not cadre fields) imports.
    values = {
        "干部姓名": "赵七",
        "工作单位": "莱阳市财政局",
        "身份证号": make_id(datetime.date(1985, 5, 1)),
        "驻村": "东村",
    }
    values |= {"政治面貌": "群众", "职级": "正科级"}
    wb = Workbook()
    ws = wb.active
    ws.append([*headers, "驻村"])
    ws.append([values.get(h, "") for h in [*headers, "驻村"]])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    out.name = "干部.xlsx"
    result = client.post(reverse("excel:import", args=["cadres"]), {"file": out}, follow=True)
    assert result.status_code == 200, result.content.decode().split("<main")[-1][:3000]
    assert Cadre.objects.filter(name="赵七", unit=tree["unit"]).exists(), result.content.decode()[:3000]


def test_the_appraisal_export_and_the_command_follow_the_layout(world, personas, tree, client_for, tmp_path):
    layouts.save(
        tree["city"], "appraisal", [("name", "姓名"), ("role", "驻村职务"), ("grade", "考核等次")], None
    )
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    client = client_for(personas["county_admin"])
    response = client.get(reverse("excel:export", args=["appraisal"]), {"round": round_.pk})
    ws = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in ws[HEADER_ROW]] == ["姓名", "驻村职务", "考核等次"]
    assert ["张三", "第一书记（工作队长）", None] in table_rows(ws)
    target = tmp_path / "out.xlsx"
    call_command("export", "appraisal", "--region", tree["county"].code, "--year", "2025", "-o", str(target))
    assert [c.value for c in load_workbook(target).active[HEADER_ROW]] == ["姓名", "驻村职务", "考核等次"]
    call_command(
        "export",
        "appraisal",
        "--region",
        tree["county"].code,
        "--year",
        "2025",
        "--layout",
        "builtin",
        "-o",
        str(target),
    )
    assert [c.value for c in load_workbook(target).active[HEADER_ROW]][:3] == ["序号", "姓名", "派出单位"]


def test_deleting_a_layout_falls_back_to_the_one_above(province_layout, client_for, personas, tree):
    city = client_for(personas["viewer"])
    city.post(edit_url("roster", tree["city"]), form_data("roster", [("name", "名")]))
    assert layouts.effective(tree["county"], "roster").region == tree["city"]
    city.post(edit_url("roster", tree["city"]), {"reset": "1"})
    assert layouts.effective(tree["county"], "roster").region == tree["province"]


def test_a_stored_key_no_longer_offered_is_skipped(tree):
    fields = workbook.layout_fields("roster", [("gone", "旧列"), ("name", "姓名")])
    assert [c.header for _f, c in fields] == ["姓名"]
    assert [c.header for _f, c in workbook.layout_fields("roster", [("gone", "旧列")])] == [
        c.header for c in workbook.ROSTER_COLUMNS
    ]


def test_a_bad_position_is_refused_naming_the_column(client_for, personas, tree):
    client = client_for(personas["province"])
    data = form_data("roster", [("village", "驻村"), ("name", "姓名")]) | {"order_name": "0"}
    response = client.post(edit_url("roster", tree["province"]), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["order_name"] == [
        "Enter the position of “姓名” as a number from 1 to 999."
    ]
    assert not ExportLayout.objects.exists()
