"""Registering a cadre and editing the record on pages of the application (issue 13 item 9), with the
same validation as the Excel import and the admin: the model's, and cadres.filing for what needs the
user."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from accounts import history as change_history
from cadres.models import Cadre, Unit
from excel import imports

from .conftest import make_id
from .test_every_page import Page, choice_codes, forbidden_words, problems

TODAY = datetime.date.today()
NEW = reverse("cadres:new")

# The messages this page added; until the catalogue has them they read in English, and only they may.
PAGE_MSGIDS = [
    "Personal details",
    "Party membership",
    "Work and unit",
    "18 characters; the last may be X. The birth date and gender are read from it.",
    "For a CPC member or a probationary member.",
    "The record is filed (备案) with your organisation department. The same checks apply as to the "
    "Excel import. Fields marked * are required.",
    "Nothing was saved. Correct these fields:",
]


def _translated(msgid):
    with translation.override("zh-hans"):
        return translation.gettext(msgid) != msgid


def form_data(tree, **kw):
    data = {
        "name": "王芳",
        "id_number": make_id(datetime.date(1988, 2, 3), "F"),
        "phone": "13800000000",
        "political_status": "party_member",
        "party_joined_on": "2012-06-01",
        "party_full_member_on": "2013-06-01",
        "work_started_on": "2010-08-01",
        "unit": tree["unit"].pk,
        "position": "科员",
        "rank": "section",
        "education": "bachelor",
        "specialty": "农业经济",
        "note": "",
    }
    data.update(kw)
    return data


def xlsx(row):
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "政治面貌", "入党时间", "转正时间", "参加工作时间", "派出单位", "职级"])
    ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def import_error(user, id_number):
    """The import's message for a row of this ID number."""
    row = ["王芳", id_number, "中共党员", "2012-06-01", "2013-06-01", "2010-08-01", "莱阳市财政局", "正科级"]
    result = imports.run("cadres", xlsx(row), user, filename="a.xlsx")
    assert not result.ok
    return [e.message for e in result.errors if e.column == "身份证号"]


# --- registering -------------------------------------------------------------------------------
def test_a_county_admin_registers_a_cadre_through_the_page(client_for, personas, tree):
    client = client_for(personas["county_admin"])
    page = client.get(NEW)
    assert page.status_code == 200
    html = page.content.decode()
    for field in ("party_joined_on", "party_full_member_on", "work_started_on"):
        assert f'type="date" name="{field}"' in html
    assert 'name="birth_date"' not in html and 'name="gender"' not in html  # read from the ID number
    data = form_data(tree)
    response = client.post(NEW, data, follow=True)
    cadre = Cadre.objects.get()
    assert response.redirect_chain == [(cadre.get_absolute_url(), 302)]
    assert ["王芳" in str(m) for m in response.context["messages"]] == [True]
    assert (cadre.birth_date, cadre.gender) == (datetime.date(1988, 2, 3), "F")
    assert cadre.region == tree["county"]  # filed with the county, as the import files it
    assert (cadre.unit, cadre.party_full_member_on) == (tree["unit"], datetime.date(2013, 6, 1))
    history = change_history.for_object(cadre, personas["county_admin"])
    assert history and history[-1]["user"] == personas["county_admin"]  # who registered it


@pytest.mark.parametrize(
    "change, field",
    [
        ({"id_number": "370682198802031234"}, "id_number"),  # a wrong check digit
        ({"id_number": "990682198802031236"}, "id_number"),  # no such province
        ({"party_full_member_on": (TODAY + datetime.timedelta(days=1)).isoformat()}, "party_full_member_on"),
        ({"party_full_member_on": "2012-05-31"}, "party_full_member_on"),  # before joining
        ({"political_status": "probationary"}, "party_full_member_on"),  # none yet for a probationary
        ({"id_number": ""}, "id_number"),
        ({"id_number": "3706821988020312345"}, "id_number"),  # 19 characters
        ({"name": ""}, "name"),
        ({"unit": ""}, "unit"),
        ({"rank": ""}, "rank"),
        ({"political_status": "party_member", "party_joined_on": ""}, "party_joined_on"),
    ],
)
def test_a_bad_record_is_refused_naming_the_field_and_nothing_is_saved(
    change, field, client_for, personas, tree
):
    client = client_for(personas["county_admin"])
    response = client.post(NEW, form_data(tree, **change))
    assert response.status_code == 200
    assert not Cadre.objects.exists()
    form = response.context["form"]
    assert set(form.errors) == {field} and len(form.errors[field]) == 1, form.errors
    html = response.content.decode()
    # The summary on top names the field in the page's words, linked to it.
    with translation.override("zh-hans"):
        assert f'<a href="#id_{field}">{form[field].label}' in html
        assert str(form.errors[field][0]) in html


def test_the_refusal_says_the_same_as_the_model_says(client_for, personas, tree):
    """The page adds no rule of its own: its message is the model's (Cadre.full_clean)."""
    future = (TODAY + datetime.timedelta(days=1)).isoformat()
    response = client_for(personas["county_admin"]).post(NEW, form_data(tree, party_full_member_on=future))
    cadre = Cadre(**{k: v for k, v in form_data(tree).items() if k != "unit"}, unit=tree["unit"])
    cadre.region = tree["county"]
    cadre.party_full_member_on = TODAY + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as model_refusal:
        cadre.full_clean()
    said = model_refusal.value.message_dict["party_full_member_on"]
    assert response.context["form"].errors["party_full_member_on"] == said


def test_the_same_id_number_is_refused_as_the_import_refuses_it(client_for, personas, tree, make_cadre):
    admin = personas["county_admin"]
    client = client_for(admin)
    # Filed with another county: the import's message, which describes nothing of that record.
    elsewhere = make_cadre(name="海阳干部", unit=tree["other_unit"], region=tree["other_county"])
    expected = import_error(admin, elsewhere.id_number)
    response = client.post(NEW, form_data(tree, id_number=elsewhere.id_number.lower()))
    assert response.context["form"].errors["id_number"] == expected
    html = response.content.decode()
    assert "海阳" not in html and elsewhere.get_absolute_url() not in html
    # Filed with the county: registered already, and the page leads to that record.
    own = make_cadre(name="李明")
    response = client.post(NEW, form_data(tree, id_number=own.id_number))
    assert response.context["form"].errors["id_number"] == [
        str(Cadre._meta.get_field("id_number").error_messages["unique"])
    ]
    assert own.get_absolute_url() in response.content.decode()
    assert Cadre.objects.count() == 2


def test_the_admin_refuses_another_countys_id_number_with_the_same_message(
    client_for, personas, tree, make_cadre
):
    admin = personas["county_admin"]
    elsewhere = make_cadre(name="海阳干部", unit=tree["other_unit"], region=tree["other_county"])
    data = form_data(tree, id_number=elsewhere.id_number, gender="", birth_date="", region=tree["county"].pk)
    response = client_for(admin).post(reverse("admin:cadres_cadre_add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["id_number"] == import_error(admin, elsewhere.id_number)


def test_only_units_the_user_may_use_are_offered(client_for, personas, tree):
    city_unit = Unit.objects.create(
        name="烟台市农业农村局", level="city", kind="party_gov", region=tree["city"]
    )
    client = client_for(personas["county_admin"])
    offered = set(client.get(NEW).context["form"].fields["unit"].queryset)
    assert offered == {tree["unit"], city_unit}  # its own and those sending cadres down, not 海阳's
    response = client.post(NEW, form_data(tree, unit=tree["other_unit"].pk))
    assert set(response.context["form"].errors) == {"unit"} and not Cadre.objects.exists()
    client.post(NEW, form_data(tree, unit=city_unit.pk))
    assert Cadre.objects.get().region == tree["county"]  # filed with the county all the same


@pytest.mark.parametrize("persona", ["clerk", "other_clerk", "viewer", "province", "liaison"])
def test_who_may_not_manage_cadres_cannot_register_one(persona, client_for, personas, tree):
    client = client_for(personas[persona])
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form_data(tree)).status_code == 403
    assert not Cadre.objects.exists()


def test_the_cadre_list_offers_the_page_to_those_who_may(client_for, personas, tree):
    html = client_for(personas["county_admin"]).get(reverse("cadres:list")).content.decode()
    assert f'href="{NEW}"' in html and "/admin/cadres/cadre/add/" not in html
    html = client_for(personas["clerk"]).get(reverse("cadres:list")).content.decode()
    assert f'href="{NEW}"' not in html


# --- editing -----------------------------------------------------------------------------------
def test_a_county_admin_edits_the_record_and_birth_date_and_gender_follow_the_id(
    client_for, personas, tree, make_cadre
):
    cadre = make_cadre(name="李明", phone="")
    client = client_for(personas["county_admin"])
    detail = client.get(cadre.get_absolute_url()).content.decode()
    edit = reverse("cadres:edit", args=[cadre.pk])
    assert f'href="{edit}"' in detail and "/admin/cadres/cadre/" not in detail
    page = client.get(edit)
    assert page.status_code == 200 and page.context["form"]["phone"].value() == ""
    corrected = make_id(datetime.date(1986, 9, 10), "F")
    data = form_data(tree, name="李明", id_number=corrected, phone="13911112222")
    response = client.post(edit, data)
    assert response.status_code == 302 and response.url == cadre.get_absolute_url()
    cadre.refresh_from_db()
    assert (cadre.phone, cadre.birth_date, cadre.gender) == ("13911112222", datetime.date(1986, 9, 10), "F")
    assert cadre.region == tree["county"]
    changes = change_history.for_object(cadre, personas["county_admin"])[0]
    assert changes["user"] == personas["county_admin"]


def test_an_edit_refused_keeps_the_record_as_it_was(client_for, personas, tree, make_cadre):
    cadre = make_cadre(name="李明")
    before = Cadre.objects.filter(pk=cadre.pk).values().get()
    future = (TODAY + datetime.timedelta(days=3)).isoformat()
    response = client_for(personas["county_admin"]).post(
        reverse("cadres:edit", args=[cadre.pk]),
        form_data(tree, name="李明改", id_number=cadre.id_number, party_full_member_on=future),
    )
    assert response.status_code == 200 and set(response.context["form"].errors) == {"party_full_member_on"}
    assert Cadre.objects.filter(pk=cadre.pk).values().get() == before
    # The page still names the record as it is stored, not as typed.
    assert "李明改" not in response.content.decode().split("<h1>")[1].split("</h1>")[0]


def test_a_record_may_keep_its_own_id_number(client_for, personas, tree, make_cadre):
    cadre = make_cadre(name="李明")
    response = client_for(personas["county_admin"]).post(
        reverse("cadres:edit", args=[cadre.pk]), form_data(tree, name="李明", id_number=cadre.id_number)
    )
    assert response.status_code == 302


def test_editing_another_countys_cadre_is_not_found(client_for, personas, tree, make_cadre):
    elsewhere = make_cadre(name="海阳干部", unit=tree["other_unit"], region=tree["other_county"])
    edit = reverse("cadres:edit", args=[elsewhere.pk])
    client = client_for(personas["county_admin"])
    assert client.get(edit).status_code == 404
    assert client.post(edit, form_data(tree, id_number=elsewhere.id_number)).status_code == 404
    assert Cadre.objects.get(pk=elsewhere.pk).name == "海阳干部"


def test_a_clerk_who_sees_the_cadre_may_not_edit_it(
    client_for, personas, tree, make_cadre, make_village, dispatch
):
    cadre = make_cadre(name="李明")
    dispatch(cadre, make_village())  # serving in the clerk's township: the clerk sees the cadre
    client = client_for(personas["clerk"])
    assert client.get(cadre.get_absolute_url()).status_code == 200
    edit = reverse("cadres:edit", args=[cadre.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, form_data(tree, name="改名", id_number=cadre.id_number)).status_code == 403
    assert Cadre.objects.get(pk=cadre.pk).name == "李明"
    assert client_for(personas["other_clerk"]).get(edit).status_code == 404


# --- words ---------------------------------------------------------------------------------------
def test_the_page_is_in_chinese(client_for, personas, tree):
    client = client_for(personas["county_admin"])
    pending = {m for m in PAGE_MSGIDS if not _translated(m)}
    names = {personas["county_admin"].username}
    forbidden, codes = forbidden_words(), choice_codes()
    for response in (client.get(NEW), client.post(NEW, form_data(tree, name="", unit=""))):
        html = response.content.decode()
        assert "---------" not in html
        page = Page(html)
        page.text = [chunk for chunk in page.text if chunk not in pending]
        assert not problems(page, set(), forbidden, codes, path=NEW, names=names)
        assert "请选择" in html
