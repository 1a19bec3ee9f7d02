"""党龄 counts from full membership (转正时间, Cadre.party_full_member_on): the record, the admin,
the cadre import, the roster export, the cadre page and the first-secretary rule."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from assignments.models import Assignment
from cadres.models import Cadre
from excel import exports, imports

from .conftest import make_id

TODAY = datetime.date.today()
START = datetime.date(2025, 3, 1)
HEADERS = ["姓名", "身份证号", "政治面貌", "入党时间", "转正时间", "参加工作时间", "派出单位", "职级"]


def cadre(tree, **kw):
    fields = {
        "name": "张伟",
        "id_number": make_id(datetime.date(1985, 5, 1)),
        "political_status": "party_member",
        "party_joined_on": datetime.date(2010, 7, 1),
        "party_full_member_on": datetime.date(2011, 7, 1),
        "work_started_on": datetime.date(2008, 8, 1),
        "unit": tree["unit"],
        "rank": "section",
        "region": tree["county"],
    }
    fields.update(kw)
    return Cadre(**fields)


def errors_of(c):
    with pytest.raises(ValidationError) as exc:
        c.full_clean()
    return exc.value.message_dict


# --- the record ---------------------------------------------------------------------------------
def test_a_full_member_with_full_membership_after_joining_is_valid(tree):
    cadre(tree).full_clean()


def test_full_membership_before_joining_is_refused_on_its_field_naming_both_dates(tree):
    errors = errors_of(cadre(tree, party_full_member_on=datetime.date(2010, 6, 30)))
    assert list(errors) == ["party_full_member_on"]
    assert (
        "2010-06-30" in errors["party_full_member_on"][0]
        and "2010-07-01" in errors["party_full_member_on"][0]
    )


def test_full_membership_on_the_day_of_joining_is_accepted(tree):
    cadre(tree, party_full_member_on=datetime.date(2010, 7, 1)).full_clean()


def test_full_membership_in_the_future_is_refused_and_today_accepted(tree):
    tomorrow = TODAY + datetime.timedelta(days=1)
    errors = errors_of(cadre(tree, party_full_member_on=tomorrow))
    assert (
        list(errors) == ["party_full_member_on"] and tomorrow.isoformat() in errors["party_full_member_on"][0]
    )
    cadre(tree, party_full_member_on=TODAY).full_clean()


@pytest.mark.parametrize("status", ["probationary", "masses", "league"])
def test_only_a_full_member_may_have_a_full_membership_date(tree, status):
    joined = datetime.date(2010, 7, 1) if status == "probationary" else None
    errors = errors_of(cadre(tree, political_status=status, party_joined_on=joined))
    assert "party_full_member_on" in errors
    assert "转正" in errors["party_full_member_on"][0]


def test_a_probationary_member_without_full_membership_is_valid(tree):
    cadre(tree, political_status="probationary", party_full_member_on=None).full_clean()


# --- the first-secretary rule counts from 转正 ----------------------------------------------------
def test_party_age_counts_from_full_membership_not_from_joining(make_cadre, make_village, dispatch):
    # Joined ten years before, but a full member only since 2024-03-02: one day short of a year.
    c = make_cadre(joined=datetime.date(2015, 3, 1), full_member=datetime.date(2024, 3, 2))
    with pytest.raises(ValidationError, match="2024-03-02"):
        dispatch(c, make_village())
    assert not Assignment.objects.exists()


def test_exactly_one_year_from_full_membership_on_the_start_day_passes(make_cadre, make_village, dispatch):
    c = make_cadre(joined=datetime.date(2015, 3, 1), full_member=datetime.date(2024, 3, 1))
    assert dispatch(c, make_village(), start=START).pk


def test_a_full_member_without_full_membership_date_cannot_be_first_secretary_but_can_join_a_team(
    make_cadre, make_village, dispatch
):
    c = make_cadre()
    Cadre.objects.filter(pk=c.pk).update(party_full_member_on=None)
    c.refresh_from_db()
    village = make_village()
    with pytest.raises(ValidationError, match="转正时间"):
        dispatch(c, village)
    assert dispatch(c, village, role="team_member").pk


# --- the admin and the cadre page ---------------------------------------------------------------
def admin_form(tree, **kw):
    data = {
        "name": "王芳",
        "gender": "",
        "id_number": make_id(datetime.date(1988, 2, 3), "F"),
        "birth_date": "",
        "phone": "",
        "political_status": "party_member",
        "party_joined_on": "2012-06-01",
        "party_full_member_on": "2013-06-01",
        "work_started_on": "2010-08-01",
        "unit": tree["unit"].pk,
        "position": "",
        "rank": "section",
        "education": "",
        "specialty": "",
        "region": tree["county"].pk,
        "note": "",
    }
    data.update(kw)
    return data


def test_the_admin_records_full_membership_and_refuses_it_before_joining(client_for, personas, tree):
    client = client_for(personas["county_admin"])
    add = reverse("admin:cadres_cadre_add")
    assert 'name="party_full_member_on"' in client.get(add).content.decode()
    refused = client.post(add, admin_form(tree, party_full_member_on="2012-05-31"))
    assert refused.status_code == 200 and not Cadre.objects.exists()
    assert "2012-05-31" in str(refused.context["adminform"].form.errors["party_full_member_on"])
    future = (TODAY + datetime.timedelta(days=1)).isoformat()
    refused = client.post(add, admin_form(tree, party_full_member_on=future))
    assert refused.status_code == 200 and not Cadre.objects.exists()
    response = client.post(add, admin_form(tree))
    assert response.status_code == 302
    assert Cadre.objects.get().party_full_member_on == datetime.date(2013, 6, 1)


def test_the_cadre_page_shows_full_membership_or_says_it_is_missing(client_for, personas, make_cadre):
    client = client_for(personas["county_admin"])
    full = make_cadre(joined=datetime.date(2010, 7, 1), full_member=datetime.date(2011, 7, 1))
    assert "2011-07-01" in client.get(full.get_absolute_url()).content.decode()
    missing = make_cadre(name="李明")
    Cadre.objects.filter(pk=missing.pk).update(party_full_member_on=None)
    page = client.get(missing.get_absolute_url()).content.decode()
    assert 'class="badge warn"' in page and "转正" in page


# --- the cadre import -----------------------------------------------------------------------------
def xlsx(rows, headers=HEADERS):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def row(n, full="2011-07-01", status="中共党员", joined="2010-07-01"):
    return [
        f"干部{n}",
        make_id(datetime.date(1985, 5, 1) + datetime.timedelta(days=n)),
        status,
        joined,
        full,
        "2008-08-01",
        "莱阳市财政局",
        "正科级",
    ]


def test_the_cadre_template_has_a_full_membership_column():
    out = io.BytesIO()
    imports.build_template("cadres", out)
    out.seek(0)
    headers = [c.value for c in load_workbook(out).active[1]]
    assert headers.index("转正时间") == headers.index("入党时间") + 1


def test_the_cadre_import_reads_full_membership(personas, tree):
    result = imports.run(
        "cadres", xlsx([row(1), row(2, full="2012-03")]), personas["county_admin"], filename="a.xlsx"
    )
    assert result.ok, result.errors
    dates = dict(Cadre.objects.values_list("name", "party_full_member_on"))
    assert dates == {"干部1": datetime.date(2011, 7, 1), "干部2": datetime.date(2012, 3, 1)}


def test_the_cadre_import_refuses_full_membership_before_joining_in_the_future_or_for_a_probationary_member(
    personas, tree
):
    future = (TODAY + datetime.timedelta(days=3)).isoformat()
    rows = [row(1), row(2, full="2010-06-30"), row(3, full=future), row(4, status="预备党员"), row(5)]
    result = imports.run("cadres", xlsx(rows), personas["county_admin"], filename="a.xlsx")
    assert [(e.row, e.column) for e in result.errors] == [(3, "转正时间"), (4, "转正时间"), (5, "转正时间")]
    assert "2010-06-30" in result.errors[0].message and future in result.errors[1].message
    assert not Cadre.objects.exists()  # all or nothing


def test_a_full_member_imported_without_full_membership_is_refused_as_first_secretary_with_what_to_enter(
    personas, tree, make_village, client_for
):
    without = row(1, full="")
    result = imports.run("cadres", xlsx([without]), personas["county_admin"], filename="a.xlsx")
    assert result.ok, result.errors
    c = Cadre.objects.get()
    assert c.party_full_member_on is None
    client = client_for(personas["county_admin"])
    village = make_village()
    response = client.post(
        reverse("assignments:dispatch"),
        {
            "village": village.code,
            "cadre": c.pk,
            "role": "first_secretary",
            "start_date": "2025-03-01",
            "dispatch_level": "county",
        },
    )
    assert response.status_code == 200 and not Assignment.objects.exists()
    assert "转正时间" in response.content.decode()
    # Once entered (a re-import with the column filled), the same dispatch passes.
    again = imports.run(
        "cadres",
        xlsx([[*without[:4], "2011-07-01", *without[5:]]]),
        personas["county_admin"],
        filename="a.xlsx",
    )
    assert (again.created, again.updated) == (0, 1)
    assert Assignment.dispatch(
        cadre=Cadre.objects.get(),
        village=village,
        role="first_secretary",
        start_date=START,
        user=personas["county_admin"],
        dispatch_level="county",
    ).pk


# --- the roster export ------------------------------------------------------------------------------
def test_the_roster_carries_full_membership_and_imports_back_unchanged(
    personas, tree, make_cadre, make_village, dispatch
):
    c = make_cadre(joined=datetime.date(2010, 7, 1), full_member=datetime.date(2011, 9, 15))
    dispatch(c, make_village(), start=START)
    out = io.BytesIO()
    exports.build_roster(Assignment.objects.all(), out, region_label="莱阳市", day=START)
    out.seek(0)
    ws = load_workbook(out).active
    headers = [x.value for x in ws[3]]  # below the title and the 填报单位 line
    values = dict(zip(headers, [x.value for x in ws[4]], strict=True))
    assert values["转正时间"] == datetime.datetime(2011, 9, 15)
    out.seek(0)
    result = imports.run("cadres", out, personas["county_admin"], filename="花名册.xlsx")
    assert result.ok and result.unchanged == 1, result.errors


def test_the_cadre_and_village_pages_show_their_sections_once_and_not_in_the_title(
    client_for, personas, make_cadre, make_village, dispatch
):
    import re

    client = client_for(personas["county_admin"])
    c = make_cadre()
    a = dispatch(c, make_village(), start=START)
    for url in (c.get_absolute_url(), a.village.get_absolute_url()):
        html = client.get(url).content.decode()
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert "<" not in title and len(title) < 200
        crumbs = re.search(r'<nav class="crumbs".*?</nav>', html, re.S)
        assert crumbs is None or "<section" not in crumbs.group(0)
