"""Excel imports: validated whole, written in one transaction, refused files, round trips, access."""

import datetime
import io
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from assignments.models import Assignment, AssignmentEvent
from cadres.models import Cadre
from excel import exports, imports
from villages.models import Region, Village

from .conftest import make_id

VILLAGE_HEADERS = [
    "村代码",
    "村名称",
    "乡镇代码",
    "乡镇名称",
    "村类别",
    "问题突出村",
    "党组织等级",
    "人口",
    "户数",
]
CADRE_HEADERS = [
    "姓名",
    "性别",
    "身份证号",
    "出生年月",
    "政治面貌",
    "入党时间",
    "参加工作时间",
    "派出单位",
    "职级",
    "学历",
    "专业特长",
    "联系电话",
]


def xlsx(headers, rows, title=None):
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


def run(kind, f, user, name="data.xlsx"):
    return imports.run(kind, f, user, filename=name)


@pytest.fixture
def admin(personas):
    return personas["county_admin"]


def village_rows():
    return [
        [
            "370682100301",
            "大宁村",
            "370682100000",
            "沐浴店镇",
            "脱贫村、党组织软弱涣散村",
            "是",
            "二类",
            1200,
            400,
        ],
        [
            "370682102001",
            "新镇一村",
            "370682102000",
            "新设镇",
            "乡村振兴重点帮扶村，其他",
            "否",
            "一类",
            "800",
            "",
        ],
        ["370682102002", "新镇二村", "", "", "", "", "", "", ""],
    ]


def cadre_row(n, birth=None, id_number=None, **kw):
    birth = birth or datetime.date(1985, 5, 1) + datetime.timedelta(days=n % 3000)
    return [
        kw.get("name", f"干部{n}"),
        "",
        id_number or make_id(birth, "M"),
        "",
        "中共党员",
        "2010-07",
        "2008/8/1",
        "莱阳市财政局",
        "正科级",
        "大学本科",
        "",
        13800000000 + n,
    ]


# --- villages ---------------------------------------------------------------------------------
def test_villages_import_creates_townships_and_villages_and_reimport_changes_nothing(admin, tree):
    result = run("villages", xlsx(VILLAGE_HEADERS, village_rows()), admin)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    township = Region.objects.get(code="370682102000")
    assert (township.name, township.level, township.parent) == ("新设镇", "township", tree["county"])
    v = Village.objects.get(code="370682100301")
    assert v.categories == ["poverty_exit", "weak_org"] and v.problem_prominent
    assert (v.party_org_grade, v.population, v.households) == (2, 1200, 400)
    assert Village.objects.get(code="370682102001").categories == ["revitalization", "other"]
    assert Village.objects.get(code="370682102002").township_id == "370682102000"

    again = run("villages", xlsx(VILLAGE_HEADERS, village_rows()), admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)

    rows = village_rows()
    rows[0][7] = 1300
    changed = run("villages", xlsx(VILLAGE_HEADERS, rows), admin)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)


def test_village_in_another_county_is_a_row_error(admin, tree):
    rows = village_rows()[:1] + [
        ["370687100301", "外县村", "370687100000", "凤城街道", "脱贫村", "否", "", "", ""]
    ]
    result = run("villages", xlsx(VILLAGE_HEADERS, rows), admin)
    assert [(e.row, e.column) for e in result.errors] == [(3, "乡镇代码")]
    assert "370687100000" in result.errors[0].value
    assert not Village.objects.exists()


def test_village_row_errors_are_the_models_messages(admin, tree):
    rows = [
        ["370682100301", "大宁村", "", "", "脱贫村", "是", "", "", ""],  # problem-prominent needs weak_org
        ["370682100302", "二村", "", "", "贫困村", "否", "", "", ""],  # unknown category
        ["370682100303", "三村", "", "", "", "否", "五类", "-3", ""],
    ]
    result = run("villages", xlsx(VILLAGE_HEADERS, rows), admin)
    assert {(e.row, e.column) for e in result.errors} == {
        (2, "问题突出村"),
        (3, "村类别"),
        (4, "党组织等级"),
        (4, "人口"),
    }
    assert not Village.objects.exists()


# --- cadres -----------------------------------------------------------------------------------
def test_cadres_import_and_reimport(admin, tree):
    rows = [cadre_row(i) for i in range(3)]
    rows[1][2] = (
        "\u200b" + rows[1][2][:6] + "１９８５０５０２" + rows[1][2][14:]
    )  # full-width digits, zero-width space
    result = run("cadres", xlsx(CADRE_HEADERS, rows), admin)
    assert result.ok, result.errors
    assert result.created == 3
    c = Cadre.objects.get(name="干部1")
    assert c.birth_date == datetime.date(1985, 5, 2) and c.gender == "M"
    assert c.party_joined_on == datetime.date(2010, 7, 1) and c.work_started_on == datetime.date(2008, 8, 1)
    assert (c.rank, c.education, c.region, c.phone) == ("section", "bachelor", tree["county"], "13800000001")
    again = run("cadres", xlsx(CADRE_HEADERS, rows), admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_every_imported_cadre_has_its_insert_event_with_the_importing_user(personas, client_for, tree):
    """The cadres' insert history is written per statement (one trigger call for the COPY), yet each
    new cadre has its own event, with the user and the page of the import as its context."""
    f = xlsx(CADRE_HEADERS, [cadre_row(i) for i in range(25)])
    f.name = "cadres.xlsx"
    client = client_for(personas["county_admin"])
    assert client.post(reverse("excel:import", args=["cadres"]), {"file": f}, follow=True).status_code == 200
    cadres = set(Cadre.objects.values_list("pk", flat=True))
    assert len(cadres) == 25
    events = list(Cadre.pgh_event_models["insert"].objects.select_related("pgh_context"))
    assert {e.pgh_obj_id for e in events} == cadres and len(events) == 25
    assert {e.pgh_context.metadata.get("user") for e in events} == {personas["county_admin"].pk}
    assert all(e.name == Cadre.objects.get(pk=e.pgh_obj_id).name for e in events[:3])


def test_one_bad_row_among_500_writes_nothing_and_names_it(admin, tree):
    rows = [cadre_row(i) for i in range(500)]
    bad = rows[300][2]
    rows[300][2] = bad[:17] + ("0" if bad[17] != "0" else "1")  # wrong check digit
    result = run("cadres", xlsx(CADRE_HEADERS, rows), admin)
    assert len(result.errors) == 1
    e = result.errors[0]
    assert (e.row, e.column, e.value) == (302, "身份证号", rows[300][2])
    assert "check digit" in e.message or "校验" in e.message
    assert result.created == 0 and not Cadre.objects.exists()


def test_cadre_cell_errors(admin, tree):
    rows = [cadre_row(i) for i in range(4)]
    rows[0][6] = "2026-02-30"  # no such day
    rows[1][7] = "海阳市财政局"  # another county's unit, not in scope
    rows[2][3] = "1990-01-01"  # disagrees with the ID
    rows[3][4] = "群众"  # a non-member with a party date
    result = run("cadres", xlsx(CADRE_HEADERS, rows), admin)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "参加工作时间"),
        (3, "派出单位"),
        (4, "出生年月"),
        (5, "入党时间"),
    ]
    assert "2026-02-30" in result.errors[0].message
    assert not Cadre.objects.exists()


# --- assignments ------------------------------------------------------------------------------
def test_assignments_import(admin, tree, make_village, make_cadre):
    v = make_village()
    c1, c2 = make_cadre(), make_cadre(name="李娜", gender="F")
    headers = ["身份证号", "村代码", "职务", "任职时间", "计划期满", "批次", "派出层级"]
    rows = [
        [c1.id_number, v.code, "第一书记", "2025-03-01", "", "2025年第一批", "县级"],
        [c2.id_number, v.code, "队员", datetime.date(2025, 3, 1), "2027-02-28", "2025年第一批", ""],
    ]
    result = run("assignments", xlsx(headers, rows), admin)
    assert result.ok, result.errors
    assert result.created == 2
    a = Assignment.objects.get(cadre=c1)
    assert a.planned_end_date > a.start_date and a.role == "first_secretary"
    assert AssignmentEvent.objects.filter(kind="dispatched").count() == 2
    again = run("assignments", xlsx(headers, rows), admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    c3 = make_cadre(name="王强")
    clash = run(
        "assignments", xlsx(headers, [[c3.id_number, v.code, "第一书记", "2025-06-01", "", "", ""]]), admin
    )
    assert [(e.row, e.column) for e in clash.errors] == [(2, "村代码")]


# --- round trips ------------------------------------------------------------------------------
def test_export_import_round_trip_changes_nothing(admin, tree, make_village, make_cadre, dispatch):
    v1 = make_village(categories=("poverty_exit", "weak_org"), problem_prominent=True, population=900)
    v2 = make_village(township=tree["t2"], categories=("revitalization",))
    dispatch(make_cadre(education="master", phone="13900000000"), v1, start=datetime.date(2025, 3, 1))
    dispatch(make_cadre(name="李娜", gender="F", status="masses"), v2, role="team_member")
    out = io.BytesIO()
    exports.build_roster(Assignment.objects.all(), out, region_label="莱阳市", day=datetime.date(2025, 6, 1))
    before = list(Cadre.objects.values()), list(Village.objects.values())
    for kind in ("cadres", "villages", "assignments"):
        out.seek(0)
        result = run(kind, out, admin, "花名册.xlsx")
        assert result.ok, (kind, result.errors)
        assert (result.created, result.updated, result.unchanged) == (0, 0, 2), kind
    assert (list(Cadre.objects.values()), list(Village.objects.values())) == before


def test_template_round_trip(admin, tree):
    for kind in imports.IMPORTERS:
        out = io.BytesIO()
        imports.build_template(kind, out)
        ws = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
        assert [c.value for c in ws[1]] == [c.header for c in imports.COLUMNS[kind]]
        # Drop-down lists for the coded columns (the regions' template has none: codes and names).
        assert ws.data_validations.dataValidation or not any(c.choices for c in imports.COLUMNS[kind])


def test_the_templates_example_row_is_never_imported_and_the_skip_is_said(admin, tree):
    for kind in imports.IMPORTERS:
        out = io.BytesIO()
        imports.build_template(kind, out)
        out.seek(0)
        message = refused(kind, out, admin)
        assert "示例" in message and "2" in message, message
    template = io.BytesIO()
    imports.build_template("villages", template)
    wb = load_workbook(io.BytesIO(template.getvalue()))
    wb.worksheets[0].append(village_rows()[0])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    result = run("villages", out, admin)
    assert result.ok and result.created == 1, result.errors
    assert any("示例" in n and "2" in n for n in result.notes), result.notes
    assert not Village.objects.filter(name="大宁村").exclude(code="370682100301").exists()


# --- refused files ----------------------------------------------------------------------------
def refused(kind, f, user, name="data.xlsx"):
    with pytest.raises(imports.ImportRefused) as exc:
        run(kind, f, user, name)
    return str(exc.value)


def test_refused_not_xlsx(admin):
    assert "村代码" in refused("villages", io.BytesIO(b"a,b\n1,2\n"), admin, "data.csv")
    assert "data.txt" in refused("villages", io.BytesIO(b"a,b\n1,2\n"), admin, "data.txt")
    assert ".xlsx" in refused("villages", io.BytesIO(b"just text"), admin, "renamed.xlsx")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    zipped.seek(0)
    assert ".xlsx" in refused("villages", zipped, admin)


def test_refused_too_large(admin, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 1000)
    assert "MB" in refused("villages", xlsx(VILLAGE_HEADERS, village_rows()), admin)


def test_refused_too_many_rows(admin, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    assert "2" in refused("villages", xlsx(VILLAGE_HEADERS, village_rows()), admin)


def test_refused_zip_bomb(admin):
    good = xlsx(VILLAGE_HEADERS, village_rows()).getvalue()
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                zf.writestr(item, src.read(item))
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b" " * (1 << 20)
            for _ in range(200):  # 200 MB of spaces
                f.write(chunk)
    assert len(bomb.getvalue()) < 1_000_000
    bomb.seek(0)
    assert "200 MB" in refused("villages", bomb, admin)  # names the unpacked size


def test_refused_missing_or_renamed_headers(admin):
    headers = [h for h in CADRE_HEADERS if h != "派出单位"]
    assert "派出单位" in refused("cadres", xlsx(headers, [cadre_row(1)[:7] + cadre_row(1)[8:]]), admin)
    headers = [("微信号" if h == "联系电话" else h) for h in CADRE_HEADERS]
    assert "微信号" in refused("cadres", xlsx(headers, [cadre_row(1)]), admin)
    assert "身份证号" in refused("cadres", xlsx(["名字"], [["x"]]), admin)


def test_refused_duplicate_keys(admin, tree):
    rows = village_rows() + [village_rows()[0]]
    message = refused("villages", xlsx(VILLAGE_HEADERS, rows), admin)
    assert "370682100301" in message and "2" in message and "5" in message
    row = cadre_row(1)
    assert row[2] in refused("cadres", xlsx(CADRE_HEADERS, [row, list(row)]), admin)


# --- pages and command ------------------------------------------------------------------------
def test_pages(personas, client_for, tree):
    clerk = client_for(personas["clerk"])
    assert clerk.get(reverse("excel:import", args=["villages"])).status_code == 403
    assert clerk.get(reverse("excel:import_template", args=["cadres"])).status_code == 403
    client = client_for(personas["county_admin"])
    page = client.get(reverse("excel:import", args=["villages"]))
    assert (
        page.status_code == 200
        and reverse("excel:import_template", args=["villages"]).encode() in page.content
    )
    template = client.get(reverse("excel:import_template", args=["villages"]))
    assert template["Content-Type"] == exports.CONTENT_TYPE
    rows = village_rows()
    rows[1][0] = "370682102000"  # a township code where a village code belongs
    f = xlsx(VILLAGE_HEADERS, rows)
    f.name = "villages.xlsx"
    bad = client.post(reverse("excel:import", args=["villages"]), {"file": f})
    assert bad.status_code == 400 and "370682102000" in bad.content.decode()
    assert not Village.objects.exists()
    f = xlsx(VILLAGE_HEADERS, village_rows())
    f.name = "villages.xlsx"
    ok = client.post(reverse("excel:import", args=["villages"]), {"file": f}, follow=True)
    assert ok.status_code == 200 and Village.objects.count() == 3
    txt = io.BytesIO(b"hello")
    txt.name = "villages.txt"
    assert client.post(reverse("excel:import", args=["villages"]), {"file": txt}).status_code == 400


def test_command(tree, tmp_path, capsys):
    good = tmp_path / "v.xlsx"
    good.write_bytes(xlsx(VILLAGE_HEADERS, village_rows()).getvalue())
    call_command("import", "villages", str(good))
    assert Village.objects.count() == 3
    rows = [cadre_row(1), cadre_row(2)]
    rows[1][4] = "党外人士"
    bad = tmp_path / "c.xlsx"
    bad.write_bytes(xlsx(CADRE_HEADERS, rows).getvalue())
    with pytest.raises(SystemExit) as exc:
        call_command("import", "cadres", str(bad))
    assert exc.value.code == 1
    assert "政治面貌" in capsys.readouterr().err
    assert not Cadre.objects.exists()


ASSIGNMENT_HEADERS = ["身份证号", "村代码", "职务", "任职时间", "计划期满", "批次", "派出层级"]


def test_assignment_import_refuses_a_team_over_the_maximum_on_any_day_counting_rows_of_the_same_file(
    admin, tree, make_village, make_cadre, dispatch
):
    from assignments.models import Policy

    Policy.objects.create(region=tree["county"], team_max_size=2)
    v = make_village()
    dispatch(make_cadre(name="书记"), v)  # 2025-03-01 .. 2027-02-28
    member, late = make_cadre(name="甲"), make_cadre(name="乙")
    rows = [
        # 甲 until 2025-08-31: the team is 2 until then.
        [member.id_number, v.code, "队员", "2025-03-01", "2025-08-31", "", ""],
        # 乙 from 2025-09-01: 甲's last day is the day before, so still 2.
        [late.id_number, v.code, "队员", "2025-09-01", "", "", ""],
    ]
    result = run("assignments", xlsx(ASSIGNMENT_HEADERS, rows), admin)
    assert result.ok, result.errors
    third, fourth = make_cadre(name="丙"), make_cadre(name="丁")
    rows = [
        [fourth.id_number, v.code, "队员", "2027-03-01", "", "", ""],
        [third.id_number, v.code, "队员", "2027-01-01", "2027-06-30", "", ""],
    ]
    result = run("assignments", xlsx(ASSIGNMENT_HEADERS, rows), admin)
    # Row 3: on 2027-01-01 书记 + 乙 + 丙 = 3 (database); row 2 alone is fine (乙 + 丁 from 2027-03-01).
    assert [(e.row, e.column) for e in result.errors] == [(3, "村代码")]
    assert "2027-01-01" in result.errors[0].message and "3" in result.errors[0].message
    assert not Assignment.objects.filter(cadre__in=[third, fourth]).exists()


def test_assignment_import_counts_an_earlier_row_of_the_same_file_in_the_team(
    admin, tree, make_village, make_cadre
):
    from assignments.models import Policy

    Policy.objects.create(region=tree["county"], team_max_size=2)
    v = make_village()
    a, b, c = make_cadre(name="甲"), make_cadre(name="乙"), make_cadre(name="丙")
    rows = [
        [a.id_number, v.code, "第一书记", "2025-03-01", "", "", ""],
        [b.id_number, v.code, "队员", "2025-03-01", "2025-12-31", "", ""],
        [c.id_number, v.code, "队员", "2025-06-01", "", "", ""],  # 3 from 2025-06-01 to 2025-12-31
    ]
    result = run("assignments", xlsx(ASSIGNMENT_HEADERS, rows), admin)
    assert [(e.row, e.column) for e in result.errors] == [(4, "村代码")]
    assert "2025-06-01" in result.errors[0].message and "3" in result.errors[0].message
    assert not Assignment.objects.exists()
    rows[2][3] = "2026-01-01"  # the day after 乙's last day: allowed
    assert run("assignments", xlsx(ASSIGNMENT_HEADERS, rows), admin).ok


def test_the_import_counts_the_teams_again_under_lock_before_writing(
    admin, tree, make_village, make_cadre, dispatch
):
    """A dispatch saved after the file was checked (simulated by calling the write-time check with
    rows validated before it) makes the import refuse as a whole."""
    from assignments.models import Policy

    Policy.objects.create(region=tree["county"], team_max_size=2)
    v = make_village()
    dispatch(make_cadre(name="书记"), v)
    late = Assignment(
        cadre=make_cadre(name="甲"),
        village=v,
        role="team_member",
        start_date=datetime.date(2025, 3, 1),
        planned_end_date=datetime.date(2027, 2, 28),
        dispatch_level="county",
    )
    importer = imports.AssignmentImporter(admin)
    policies = {v.township_id: Policy.effective_for(v.township)}
    importer._recheck_team_maximum([late], policies)  # 书记 + 甲 = 2: fine
    dispatch(make_cadre(name="乙"), v, role="team_member")  # saved meanwhile
    with pytest.raises(imports.ImportRefused, match="2025-03-01"):
        importer._recheck_team_maximum([late], policies)


# --- issue 15: numbers that are not what they seem, phones, the new columns --------------------
def test_an_id_number_stored_as_a_number_is_refused_even_with_a_valid_check_digit(admin, tree):
    row = next(r for r in (cadre_row(n) for n in range(20)) if r[2][-1] != "X")
    row[2] = int(row[2])  # 18 digits, checksum valid: still refused, it may have been rounded
    with translation.override("en"):
        result = run("cadres", xlsx(CADRE_HEADERS, [row]), admin)
    assert [(e.cell, e.column) for e in result.errors] == [("Sheet!C2", "身份证号")]
    assert "15 significant digits" in result.errors[0].message and "text" in result.errors[0].message
    assert not Cadre.objects.exists()


@pytest.mark.parametrize(
    "value, month_ok, expected",
    [
        (45000, False, datetime.date(2023, 3, 15)),  # an Excel day number in 1920…2099
        (45000.75, True, datetime.date(2023, 3, 15)),  # a date and time: the day
        (20240301, False, datetime.date(2024, 3, 1)),  # typed as digits
        (2012.1, True, "arrived as a number (2012.1)"),  # 2012.10 or 2012.1? refused
        (2012, True, "is not a date"),  # a year alone
        (2012.1, False, "is not a date"),
        (100, False, "is not a date"),  # 1900-04-09: no cadre's date, and not what was meant
        (123456789, False, "is not a date"),
    ],
)
def test_a_number_in_a_date_column_is_a_date_only_where_unambiguous(value, month_ok, expected):
    with translation.override("en"):
        if isinstance(expected, datetime.date):
            assert imports.parse_date(value, month_ok=month_ok)[0] == expected
        else:
            with pytest.raises(imports.CellError) as exc:
                imports.parse_date(value, month_ok=month_ok)
            assert expected in str(exc.value)


@pytest.mark.parametrize(
    "value, stored",
    [
        (13800000000, "13800000000"),
        ("138 0000 0000", "13800000000"),
        ("+86 139 1234 5678", "13912345678"),
        ("0535-1234567", "0535-1234567"),
        ("0535-12345678", "0535-12345678"),
        ("(0535)1234567", "0535-1234567"),
        ("010-12345678-801", "010-12345678-801"),
        ("0535-1234567转88", "0535-1234567转88"),
    ],
)
def test_phones_as_offices_write_them_are_taken(value, stored):
    assert imports.parse_phone(value) == stored


@pytest.mark.parametrize(
    "value", ["1380000000", "12345678901", "138000000001", "5351234567", "0535-123", "无"]
)
def test_a_phone_that_is_neither_mobile_nor_landline_is_refused(value):
    with translation.override("en"), pytest.raises(imports.CellError) as exc:
        imports.parse_phone(value)
    assert "11-digit mobile" in str(exc.value) and "0535-1234567" in str(exc.value)


def test_ethnicity_takes_the_56_names_and_the_short_form(admin):
    assert imports.parse_ethnicity("汉") == "汉族"
    assert imports.parse_ethnicity("维吾尔族") == "维吾尔族"
    assert imports.parse_ethnicity("蒙古") == "蒙古族"
    for bad in ("汉人", "族", "Han"):
        with pytest.raises(imports.CellError):
            imports.parse_ethnicity(bad)


def test_a_row_with_several_problems_lists_them_all(admin, tree):
    headers = [*CADRE_HEADERS, "民族", "是否脱产"]
    row = [*cadre_row(1), "火星族", "也许"]
    row[0] = ""  # no name
    row[6] = "2008-02-30"
    row[11] = "12345"
    with translation.override("en"):
        result = run("cadres", xlsx(headers, [row]), admin)
    assert sorted(e.column for e in result.errors) == sorted(
        ["姓名", "参加工作时间", "联系电话", "民族", "是否脱产"]
    ), [(e.column, e.message) for e in result.errors]
    assert {e.cell for e in result.errors} == {"Sheet!A2", "Sheet!G2", "Sheet!L2", "Sheet!M2", "Sheet!N2"}


def test_assignments_import_takes_the_team_leader_and_refuses_a_second_one(
    admin, tree, make_village, make_cadre
):
    v = make_village()
    c1, c2, c3 = make_cadre(), make_cadre(name="李娜", gender="F"), make_cadre(name="王强")
    headers = ["身份证号", "村代码", "职务", "工作队长", "任职时间"]
    rows = [
        [c1.id_number, v.code, "第一书记", "是", "2025-03-01"],
        [c2.id_number, v.code, "工作队员", "否", "2025-03-01"],
    ]
    result = run("assignments", xlsx(headers, rows), admin)
    assert result.ok and result.created == 2, result.errors
    assert Assignment.objects.get(cadre=c1).team_leader and not Assignment.objects.get(cadre=c2).team_leader
    with translation.override("en"):
        again = run(
            "assignments", xlsx(headers, [[c3.id_number, v.code, "工作队员", "是", "2025-06-01"]]), admin
        )
    assert [(e.cell, e.column) for e in again.errors] == [("Sheet!D2", "工作队长")]
    assert "already has a work-team leader" in again.errors[0].message
    assert Assignment.objects.count() == 2


def test_two_leaders_of_one_village_in_one_file_are_refused(admin, tree, make_village, make_cadre):
    v = make_village()
    c1, c2 = make_cadre(), make_cadre(name="李娜", gender="F")
    headers = ["身份证号", "村代码", "职务", "工作队长", "任职时间"]
    rows = [
        [c1.id_number, v.code, "第一书记", "是", "2025-03-01"],
        [c2.id_number, v.code, "工作队员", "是", "2025-03-01"],
    ]
    with translation.override("en"):
        result = run("assignments", xlsx(headers, rows), admin)
    assert [e.row for e in result.errors] == [3] and "Row 2" in result.errors[0].message
    assert not Assignment.objects.exists()


def test_headers_match_without_spaces_line_breaks_and_by_alias(admin, tree):
    headers = [
        h.replace("姓名", "姓　名").replace("身份证号", "公民身份号码").replace("联系电话", "联系\n电话")
        for h in CADRE_HEADERS
    ]
    result = run("cadres", xlsx(headers, [cadre_row(1)]), admin)
    assert result.ok and result.created == 1, result.errors


def test_an_id_number_that_a_csv_carries_as_excels_scientific_text_is_refused_the_same_way(admin, tree):
    row = cadre_row(1)
    row[2] = "3.70682E+17"  # what Excel writes to a CSV for a numeric ID column
    data = ",".join(CADRE_HEADERS) + "\n" + ",".join(map(str, row)) + "\n"
    with translation.override("en"):
        result = run("cadres", io.BytesIO(data.encode("gb18030")), admin, "花名册.csv")
    assert [(e.cell, e.value) for e in result.errors] == [("花名册!C2", "3.70682E+17")]
    assert "15 significant digits" in result.errors[0].message


def test_an_instruction_sheet_that_lists_the_column_names_is_passed_over(admin, tree):
    wb = Workbook()
    wb.active.title = "填表说明"
    wb.active.append(["列名", "说明"])
    wb.active.append(["身份证号", "18位，设为文本格式"])
    data = wb.create_sheet("花名册")
    data.append(CADRE_HEADERS)
    data.append(cadre_row(1))
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    result = run("cadres", out, admin)
    assert result.ok and result.created == 1 and result.sheet == "花名册", result.errors
    wb.remove(data)  # no table anywhere: the instruction sheet's problem is the answer
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    message = refused("cadres", out, admin)
    assert "填表说明" in message and "2" in message and "说明" in message
