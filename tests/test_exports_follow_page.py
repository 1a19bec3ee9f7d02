"""Exports from a page export what the page shows (issue 13, item 11): the township sheet's button
exports that township's month, a filtered list (the village list, the allowance page, the appraisal
round page) exports its filtered rows — every page of them — and the exports page, with no filter,
still exports everything in the jurisdiction. Each workbook is opened with openpyxl and read."""

import datetime
import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from appraisal.models import AppraisalRound
from assignments.models import AttendanceRecord, AttendanceSheet

OCT = datetime.date(2026, 10, 1)
DAYS = "P" * 20 + "H" * 11  # 31 days


@pytest.fixture
def world(tree, make_village, make_cadre, dispatch):
    """沐浴店镇 (t1): 东村 (脱贫村) with 甲 (first secretary) and 乙 (team member), 北村 (软弱涣散)
    with nobody; 团旺镇 (t2): 西村 (乡村振兴) with 丙, 中村 (脱贫村) with 丁; the other county's
    凤城街道 (t3): 南村 with 戊 of another unit. Everyone serves from 2025-03-01 on."""
    east = make_village(tree["t1"], name="东村", categories=("poverty_exit",))
    make_village(tree["t1"], name="北村", categories=("weak_org",))
    west = make_village(tree["t2"], name="西村", categories=("revitalization",))
    middle = make_village(tree["t2"], name="中村", categories=("poverty_exit",))
    south = make_village(tree["t3"], name="南村", categories=("poverty_exit",))
    born = iter(datetime.date(1980, 1, 1) + datetime.timedelta(days=50 * i) for i in range(10))
    return {
        "甲": dispatch(make_cadre(name="甲", birth=next(born)), east),
        "乙": dispatch(make_cadre(name="乙", birth=next(born)), east, role="team_member"),
        "丙": dispatch(make_cadre(name="丙", birth=next(born)), west),
        "丁": dispatch(make_cadre(name="丁", birth=next(born)), middle),
        "戊": dispatch(
            make_cadre(name="戊", birth=next(born), unit=tree["other_unit"], region=tree["other_county"]),
            south,
        ),
    }


@pytest.fixture
def sheets(tree, world):
    """October 2026's sheet of each township, a row for each cadre serving there."""
    for township, names in ((tree["t1"], "甲乙"), (tree["t2"], "丙丁"), (tree["t3"], "戊")):
        sheet = AttendanceSheet.objects.create(township=township, month=OCT)
        for name in names:
            AttendanceRecord.objects.create(sheet=sheet, assignment=world[name], days=DAYS, required_days=20)


def export_link(page, kind):
    """The href of the page's export button for ``kind``."""
    assert page.status_code == 200
    url = reverse("excel:export", args=[kind])
    found = re.findall(rf'href="({re.escape(url)}[^"]*)"', page.content.decode())
    assert len(found) == 1, found
    return html.unescape(found[0])


def workbook(response):
    assert response.status_code == 200, response.content[:300]
    return load_workbook(io.BytesIO(response.content))


def title(wb):
    return wb.active["A1"].value


def rows(wb):
    """The table rows of every sheet (an attendance workbook has one per township): from below the
    frozen headers to the blank row before the signature line."""
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=int(ws.freeze_panes[1:]), values_only=True):
            if all(v is None for v in row):
                break
            out.append(row)
    return out


def cells(wb):
    return {c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None}


def roster_names(wb):
    return {r[6] for r in rows(wb)}  # 姓名


def roster_villages(wb):
    return {r[3] for r in rows(wb)}  # 村


def attendance_names(wb):
    return {r[2] for r in rows(wb) if len(r) > 2 and r[2] and isinstance(r[0], int)}


def coverage(wb):
    """{township or 合计: village count} of a coverage workbook."""
    return {(r[2] or r[1]): r[3] for r in rows(wb) if not str(r[1]).endswith("小计")}


# --- the township sheet ---------------------------------------------------------------------------
def test_the_sheet_button_exports_that_townships_month_only(client_for, personas, tree, sheets):
    client = client_for(personas["county_admin"])
    link = export_link(
        client.get(reverse("attendance:sheet", args=[tree["t2"].code, "2026-10"])), "attendance"
    )
    assert f"township={tree['t2'].code}" in link and "month=2026-10" in link
    wb = workbook(client.get(link))
    assert attendance_names(wb) == {"丙", "丁"}
    assert [ws["A3"].value for ws in wb.worksheets] == ["乡镇（街道）：团旺镇"]  # the band, one sheet
    assert title(wb) == "团旺镇驻村第一书记和工作队员考勤表（2026年10月）"
    # Without the township (the overview, the exports page): every township of the county.
    everything = workbook(client.get(reverse("excel:export", args=["attendance"]), {"month": "2026-10"}))
    assert attendance_names(everything) == {"甲", "乙", "丙", "丁"}


def test_a_clerk_exports_her_own_township_with_or_without_the_parameter(client_for, personas, tree, sheets):
    client = client_for(personas["clerk"])
    link = export_link(
        client.get(reverse("attendance:sheet", args=[tree["t1"].code, "2026-10"])), "attendance"
    )
    assert attendance_names(workbook(client.get(link))) == {"甲", "乙"}
    url = reverse("excel:export", args=["attendance"])
    assert attendance_names(workbook(client.get(url, {"month": "2026-10"}))) == {"甲", "乙"}
    assert client.get(url, {"month": "2026-10", "township": tree["t2"].code}).status_code == 404


@pytest.mark.parametrize("kind", ["attendance", "allowance"])
def test_a_township_outside_the_jurisdiction_answers_404(kind, client_for, personas, tree, sheets):
    url = reverse("excel:export", args=[kind])
    county = client_for(personas["county_admin"])
    for code in (tree["t3"].code, tree["county"].code, "370682999000", "not-a-code"):
        assert county.get(url, {"month": "2026-10", "township": code}).status_code == 404, code
    liaison = client_for(personas["liaison"])  # its unit's cadres serve in 沐浴店镇 and 团旺镇 only
    assert liaison.get(url, {"month": "2026-10", "township": tree["t3"].code}).status_code == 404
    assert liaison.get(url, {"month": "2026-10", "township": tree["t1"].code}).status_code == 200
    city = client_for(personas["viewer"])  # the other county is inside the city
    wb = workbook(city.get(url, {"month": "2026-10", "township": tree["t3"].code}))
    assert "戊" in cells(wb) and not {"甲", "丙"} & cells(wb)


def test_the_allowance_pages_export_follows_its_township_filter(client_for, personas, tree, sheets):
    client = client_for(personas["county_admin"])
    page = client.get(reverse("attendance:allowance", args=["2026-10"]), {"township": tree["t1"].code})
    link = export_link(page, "allowance")
    assert f"township={tree['t1'].code}" in link
    wb = workbook(client.get(link))
    assert {"甲", "乙"} <= cells(wb) and not {"丙", "丁", "戊"} & cells(wb)
    unfiltered = export_link(client.get(reverse("attendance:allowance", args=["2026-10"])), "allowance")
    assert "township" not in unfiltered
    assert {"甲", "乙", "丙", "丁"} <= cells(workbook(client.get(unfiltered)))


# --- the village list -----------------------------------------------------------------------------
def shown_villages(client, query):
    """Every village the list shows for ``query``, over all its pages."""
    page = client.get(reverse("villages:list"), query)
    assert page.status_code == 200
    listed = page.context["page"].paginator.object_list
    return page, {v.name: v.township.name for v in listed}


@pytest.mark.parametrize(
    "query, villages",
    [
        ({"category": "poverty_exit"}, {"东村": "沐浴店镇", "中村": "团旺镇"}),
        ({"township": "370682101000"}, {"西村": "团旺镇", "中村": "团旺镇"}),
        ({"coverage": "no_secretary"}, {"北村": "沐浴店镇"}),
        ({"q": "村", "category": "revitalization"}, {"西村": "团旺镇"}),
    ],
)
def test_a_filtered_village_list_exports_exactly_its_villages_on_every_page(
    query, villages, settings, client_for, personas, world
):
    settings.PAGE_SIZE = 1  # the list shows one village a page; the export has them all
    client = client_for(personas["county_admin"])
    page, shown = shown_villages(client, query)
    assert shown == villages
    by_township = {}
    for township in shown.values():
        by_township[township] = by_township.get(township, 0) + 1
    wb = workbook(client.get(export_link(page, "coverage")))
    assert coverage(wb) == {**by_township, "合计": len(shown)}
    roster = workbook(client.get(export_link(page, "roster")))
    serving = {a.village.name: a.cadre.name for a in world.values()}
    assert roster_villages(roster) == {v for v in shown if v in serving}
    assert roster_names(roster) == {a.cadre.name for a in world.values() if a.village.name in shown}


def test_an_unfiltered_village_list_exports_everything_in_scope(client_for, personas, world):
    client = client_for(personas["county_admin"])
    page = client.get(reverse("villages:list"))
    assert export_link(page, "coverage") == reverse("excel:export", args=["coverage"])
    wb = workbook(client.get(export_link(page, "coverage")))
    assert coverage(wb) == {"沐浴店镇": 2, "团旺镇": 2, "合计": 4}
    roster = workbook(client.get(export_link(page, "roster")))
    assert roster_names(roster) == {"甲", "乙", "丙", "丁"}  # not 戊, in the other county
    assert title(roster) == "莱阳市驻村第一书记和工作队员花名册"


def test_the_title_and_file_name_say_which_villages(client_for, personas, world):
    client = client_for(personas["county_admin"])
    page = client.get(reverse("villages:list"), {"category": "poverty_exit", "township": "370682100000"})
    response = client.get(export_link(page, "coverage"))
    assert (
        title(workbook(response))
        == "莱阳市（乡镇：沐浴店镇；类别：脱贫村）驻村第一书记和工作队选派覆盖情况统计表"
    )
    assert "%E8%84%B1%E8%B4%AB%E6%9D%91" in response["Content-Disposition"]  # 脱贫村


def test_the_lists_page_and_sort_order_do_not_change_the_rows(settings, client_for, personas, world):
    settings.PAGE_SIZE = 1
    client = client_for(personas["county_admin"])
    page = client.get(reverse("villages:list"), {"category": "poverty_exit", "o": "-team", "page": "2"})
    link = export_link(page, "roster")
    assert "page=2" in link and "o=-team" in link
    assert roster_names(workbook(client.get(link))) == {"甲", "乙", "丁"}


def test_a_filter_the_list_refuses_exports_what_the_list_shows(client_for, personas, tree, world):
    # Another county's township is no choice of the county's list: the list shows every village,
    # and so does the export.
    client = client_for(personas["county_admin"])
    page, shown = shown_villages(client, {"township": tree["t3"].code})
    assert len(shown) == 4
    assert coverage(workbook(client.get(export_link(page, "coverage"))))["合计"] == 4


def test_a_clerks_filtered_export_stays_in_her_township(client_for, personas, world):
    client = client_for(personas["clerk"])
    page, shown = shown_villages(client, {"category": "poverty_exit"})
    assert shown == {"东村": "沐浴店镇"}
    assert roster_names(workbook(client.get(export_link(page, "roster")))) == {"甲", "乙"}


def test_a_large_filtered_export_runs_in_the_background_with_the_filters(
    settings, tmp_path, client_for, personas, tree, world, django_capture_on_commit_callbacks
):
    from excel import tasks
    from excel.models import ExportJob

    settings.EXPORT_FOREGROUND_MAX_ROWS = 1  # the filtered roster has 2 rows: too many
    settings.EXPORT_DIR = tmp_path
    client = client_for(personas["county_admin"])
    page = client.get(reverse("villages:list"), {"township": tree["t2"].code})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(export_link(page, "roster"))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.rows_total == 2
    tasks.run_export.call(job.pk)
    job.refresh_from_db()
    assert job.state == "done", job.error
    download = client.get(reverse("excel:job_download", args=[job.pk]))
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert roster_names(wb) == {"丙", "丁"}
    assert "乡镇：团旺镇" in title(wb)


def test_a_large_township_export_runs_in_the_background_for_that_township(
    settings, tmp_path, client_for, personas, tree, sheets, django_capture_on_commit_callbacks
):
    from excel import tasks
    from excel.models import ExportJob

    settings.EXPORT_FOREGROUND_MAX_ROWS = 0
    settings.EXPORT_DIR = tmp_path
    client = client_for(personas["county_admin"])
    link = export_link(
        client.get(reverse("attendance:sheet", args=[tree["t1"].code, "2026-10"])), "attendance"
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.get(link)
    job = ExportJob.objects.get()
    tasks.run_export.call(job.pk)
    job.refresh_from_db()
    assert job.state == "done", job.error
    assert job.filename == "驻村干部考勤表-沐浴店镇-2026-10.xlsx"
    download = client.get(reverse("excel:job_download", args=[job.pk]))
    assert attendance_names(load_workbook(io.BytesIO(b"".join(download.streaming_content)))) == {"甲", "乙"}


# --- the appraisal round page ---------------------------------------------------------------------
def test_the_round_pages_export_lists_the_people_its_filters_show(client_for, personas, tree, world):
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    client = client_for(personas["county_admin"])
    page = client.get(round_.get_absolute_url(), {"township": tree["t1"].pk, "role": "team_member"})
    assert [a.cadre.name for a in page.context["appraisals"]] == ["乙"]
    wb = workbook(client.get(export_link(page, "appraisal")))
    assert [r[1] for r in rows(wb) if isinstance(r[0], int)] == ["乙"]
    summary = next(r[0] for r in rows(wb) if str(r[0]).startswith("本表"))
    assert "筛选出的 1 人" in summary and "全轮 4 人" in summary and "参加定等 4 人" in summary
    assert "乡镇：沐浴店镇；身份：" in title(wb)
    page = client.get(round_.get_absolute_url(), {"township": tree["t2"].pk})
    wb = workbook(client.get(export_link(page, "appraisal")))
    assert [r[1] for r in rows(wb) if isinstance(r[0], int)] == ["丙", "丁"]
    assert title(wb).startswith("莱阳市（乡镇：团旺镇）驻村第一书记和工作队员考核结果汇总表")
    whole = workbook(client.get(export_link(client.get(round_.get_absolute_url()), "appraisal")))
    assert {r[1] for r in rows(whole) if isinstance(r[0], int)} == {"甲", "乙", "丙", "丁"}


# --- the exports page -----------------------------------------------------------------------------
def test_the_exports_page_still_exports_everything_in_scope(client_for, personas, world, sheets):
    client = client_for(personas["county_admin"])
    assert client.get(reverse("excel:exports")).status_code == 200
    today = datetime.date.today().isoformat()
    roster = workbook(client.get(reverse("excel:export", args=["roster"]), {"date": today}))
    assert roster_names(roster) == {"甲", "乙", "丙", "丁"}
    cov = workbook(client.get(reverse("excel:export", args=["coverage"]), {"date": today}))
    assert coverage(cov)["合计"] == 4
    att = workbook(client.get(reverse("excel:export", args=["attendance"]), {"month": "2026-10"}))
    assert attendance_names(att) == {"甲", "乙", "丙", "丁"}


# --- query counts ---------------------------------------------------------------------------------
def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def test_filtered_and_township_exports_run_constant_queries(
    client_for, personas, tree, world, sheets, make_village, make_cadre, dispatch
):
    client = client_for(personas["county_admin"])
    urls = [
        reverse("excel:export", args=["roster"]) + f"?township={tree['t2'].code}&category=poverty_exit",
        reverse("excel:export", args=["coverage"]) + f"?township={tree['t2'].code}&coverage=gap&q=村",
        reverse("excel:export", args=["attendance"]) + f"?month=2026-10&township={tree['t2'].code}",
        reverse("excel:export", args=["allowance"]) + f"?month=2026-10&township={tree['t2'].code}",
    ]
    before = [count_queries(client, url) for url in urls]
    sheet = AttendanceSheet.objects.get(township=tree["t2"], month=OCT)
    for i in range(12):
        village = make_village(tree["t2"], name=f"新村{i}", categories=("poverty_exit",))
        a = dispatch(
            make_cadre(name=f"新{i}", birth=datetime.date(1970, 1, 1) + datetime.timedelta(days=90 * i)),
            village,
        )
        AttendanceRecord.objects.create(sheet=sheet, assignment=a, days=DAYS, required_days=20)
    assert [count_queries(client, url) for url in urls] == before
