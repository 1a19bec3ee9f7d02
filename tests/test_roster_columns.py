"""The roster's new columns and the work-team leader (issue 15, item 3): 民族, 现任职务, 参加工作时间,
转正时间, 专业特长, 是否脱产 and 备注 in the built-in roster; a team leader shown as such in the roster,
on the village and cadre pages; the dispatch page saves the flag and refuses a second leader."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assignments.models import Assignment
from excel import exports

TODAY = timezone.localdate()
DISPATCH = reverse("assignments:dispatch")


def roster_rows(day):
    out = io.BytesIO()
    exports.build_roster(Assignment.objects.all(), out, region_label="莱阳市", day=day)
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    headers = [c.value for c in ws[3]]  # below the title and the 填报单位 line
    rows = []
    for r in ws.iter_rows(min_row=4, values_only=True):
        if all(v is None for v in r):  # the blank row before the signature line
            break
        rows.append(dict(zip(headers, r, strict=True)))
    return rows


def test_the_roster_has_the_new_cadre_columns(tree, make_village, make_cadre, dispatch):
    village = make_village(name="东村")
    leader = make_cadre(
        name="张三",
        ethnicity="回族",
        position="科员",
        specialty="农业经济",
        note="驻村前任办公室主任",
        work=datetime.date(2008, 8, 1),
    )
    dispatch(leader, village, team_leader=True)
    dispatch(make_cadre(name="李四", full_time=False), village, role="team_member")
    first, second = roster_rows(datetime.date(2025, 6, 1))
    assert first["民族"] == "回族" and first["现任职务"] == "科员" and first["专业特长"] == "农业经济"
    assert first["参加工作时间"] == datetime.datetime(2008, 8, 1)
    assert first["转正时间"] == datetime.datetime(2011, 7, 1)
    assert first["是否脱产"] == "是" and second["是否脱产"] == "否"
    assert first["备注"] == "驻村前任办公室主任"
    assert first["职务"] == "第一书记（工作队长）" and second["职务"] == "工作队员"


def test_the_village_and_cadre_pages_show_the_team_leader(
    tree, make_village, make_cadre, dispatch, client_for, personas
):
    village = make_village(name="东村")
    leader = make_cadre(name="张三")
    member = make_cadre(name="李四")
    dispatch(leader, village, start=TODAY - datetime.timedelta(days=30), team_leader=True)
    dispatch(member, village, role="team_member", start=TODAY - datetime.timedelta(days=30))
    client = client_for(personas["county_admin"])
    page = client.get(village.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    team = page.split("<tbody>")[1].split("</tbody>")[0]
    rows = {row.split("</a>")[0].rsplit(">", 1)[-1]: row for row in team.split("<tr>")[1:]}
    assert "team leader" in rows["张三"] and "team leader" not in rows["李四"]
    assert "team leader" in client.get(leader.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "team leader" not in client.get(member.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def post_dispatch(client, village, cadre, **extra):
    data = {
        "village": village.code,
        "cadre": cadre.pk,
        "role": "first_secretary",
        "start_date": TODAY.isoformat(),
        "dispatch_level": "county",
    } | extra
    return client.post(DISPATCH, data, HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize("ticked", [True, False])
def test_the_dispatch_page_saves_the_team_leader_tick(
    ticked, tree, make_village, make_cadre, client_for, personas
):
    client = client_for(personas["county_admin"])
    extra = {"team_leader": "on"} if ticked else {}
    response = post_dispatch(client, make_village(), make_cadre(), **extra)
    assert response.status_code == 302
    assert Assignment.objects.get().team_leader is ticked


def test_a_second_leader_in_overlapping_dates_gets_the_friendly_message(
    tree, make_village, make_cadre, client_for, personas
):
    client = client_for(personas["county_admin"])
    village = make_village()
    assert post_dispatch(client, village, make_cadre(name="张三"), team_leader="on").status_code == 302
    second = make_cadre(name="李四")
    response = post_dispatch(client, village, second, role="team_member", team_leader="on")
    assert response.status_code == 200
    assert "This village already has a work-team leader in these dates." in response.content.decode()
    assert not Assignment.objects.filter(cadre=second).exists()
    # Without the tick the same cadre joins the team.
    assert post_dispatch(client, village, second, role="team_member").status_code == 302
