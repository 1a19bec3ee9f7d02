"""Cadres' own accounts (issue 16): made by the county in one action, login by mobile number, the
first login forces a new password, a county or township resets one, a cadre sees only its own pages."""

import datetime
import re

import pytest
from django.db import IntegrityError
from django.urls import reverse

from accounts.models import Role, SecurityEvent, User
from assignments.models import AttendanceRecord, AttendanceSheet
from fieldwork import provisioning


@pytest.fixture
def serving(make_cadre, make_village, dispatch, tree):
    a = dispatch(make_cadre(name="王芳", phone="138 0535 0001"), make_village(name="东村"))
    b = dispatch(
        make_cadre(name="李强", phone="", birth=datetime.date(1986, 3, 3)),
        make_village(name="西村", township=tree["t2"]),
    )
    c = dispatch(
        make_cadre(name="赵磊", phone="0535-1234567", birth=datetime.date(1987, 4, 4)),
        make_village(name="南村"),
    )
    return a, b, c


def passwords(response):
    return re.findall(r'<td class="mono">([^<]+)</td>', response.content.decode())


@pytest.mark.django_db
def test_the_county_makes_every_serving_cadres_account_in_one_action(serving, personas, client_for):
    client = client_for(personas["county_admin"])
    page = client.get(reverse("people:accounts"))
    assert page.status_code == 200
    assert "王芳" in page.content.decode() and "李强" in page.content.decode()
    made = client.post(reverse("people:create_cadre_accounts"))
    body = made.content.decode()
    assert made.status_code == 200
    user = User.objects.get(cadre=serving[0].cadre)
    assert user.username == "13805350001" and user.role == Role.CADRE and user.must_change_password
    assert not user.is_staff
    assert len(passwords(made)) == 1
    # No mobile on file, a landline: each named with what to do.
    assert "李强" in body and "赵磊" in body and "0535-1234567" in body
    assert User.objects.filter(role=Role.CADRE).count() == 1
    assert SecurityEvent.objects.filter(kind="account_created").count() == 1


@pytest.mark.django_db
def test_making_accounts_twice_makes_none_the_second_time(serving, personas):
    county = personas["county_admin"]
    issued, _skipped, existing = provisioning.create_cadre_accounts(county.region, county)
    assert len(issued) == 1 and existing == 0
    issued, _skipped, existing = provisioning.create_cadre_accounts(county.region, county)
    assert issued == [] and existing == 1


@pytest.mark.django_db
def test_a_mobile_number_already_a_login_name_is_skipped_with_the_reason(serving, personas, make_user):
    make_user("13805350001", Role.TOWNSHIP_CLERK, personas["clerk"].region)
    county = personas["county_admin"]
    issued, skipped, _existing = provisioning.create_cadre_accounts(county.region, county)
    assert issued == []
    assert any("13805350001" in s.reason for s in skipped)


@pytest.mark.django_db
def test_a_township_clerk_may_not_make_accounts_but_may_reset_its_cadres_passwords(
    serving, personas, client_for, client
):
    county = personas["county_admin"]
    provisioning.create_cadre_accounts(county.region, county)
    account = User.objects.get(role=Role.CADRE)
    clerk = client_for(personas["clerk"])
    assert clerk.post(reverse("people:create_cadre_accounts")).status_code == 403
    before = account.password
    reset = clerk.post(reverse("people:reset_password", args=[account.pk]))
    assert reset.status_code == 200 and len(passwords(reset)) == 1
    account.refresh_from_db()
    assert account.password != before and account.must_change_password
    # The other township's clerk: not its cadre.
    client.force_login(personas["other_clerk"])
    assert client.post(reverse("people:reset_password", args=[account.pk])).status_code == 404


@pytest.mark.django_db
def test_the_first_login_forces_a_new_password_then_the_cadre_sees_its_month(serving, personas, client):
    county = personas["county_admin"]
    issued, _s, _e = provisioning.create_cadre_accounts(county.region, county)
    login = client.post(reverse("login"), {"username": issued[0].username, "password": issued[0].password})
    assert login.status_code == 302
    home = client.get(reverse("fieldwork:home"))
    assert home.status_code == 302 and reverse("password_change") in home["Location"]
    form = client.get(home["Location"])
    assert "What this system records about you" in form.content.decode() or "记录" in form.content.decode()
    changed = client.post(
        reverse("password_change"),
        {
            "old_password": issued[0].password,
            "new_password1": "Dongcun-2026!",
            "new_password2": "Dongcun-2026!",
        },
    )
    assert changed.status_code == 302
    assert not User.objects.get(username=issued[0].username).must_change_password
    again = client.post(reverse("login"), {"username": issued[0].username, "password": "Dongcun-2026!"})
    assert again.status_code == 302
    assert client.get(reverse("fieldwork:home")).status_code == 200
    assert client.get(reverse("home")).status_code == 302  # home sends a cadre on to its own page


@pytest.mark.django_db
def test_a_cadre_reaches_no_office_page_and_no_other_cadres_record(serving, personas, client):
    county = personas["county_admin"]
    provisioning.create_cadre_accounts(county.region, county)
    account = User.objects.get(role=Role.CADRE)
    User.objects.filter(pk=account.pk).update(must_change_password=False)
    client.force_login(account)
    other = serving[1]
    for url in (
        reverse("villages:list"),
        reverse("cadres:detail", args=[other.cadre_id]),
        reverse("cadres:detail", args=[account.cadre_id]),
        reverse("assignments:detail", args=[other.pk]),
        reverse("attendance:index"),
        reverse("excel:exports"),
        reverse("people:accounts"),
        "/admin/",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_my_month_shows_the_townships_row_and_the_minimums(serving, personas, client, tree):
    county = personas["county_admin"]
    provisioning.create_cadre_accounts(county.region, county)
    account = User.objects.get(role=Role.CADRE)
    User.objects.filter(pk=account.pk).update(must_change_password=False)
    month = datetime.date(2026, 11, 1)
    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=month)
    AttendanceRecord.objects.create(
        sheet=sheet, assignment=serving[0], days="P" * 20 + "H" * 10, required_days=20
    )
    client.force_login(account)
    page = client.get(reverse("fieldwork:home"), {"month": "2026-11"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "东村" in body and "√" in body
    assert client.get(reverse("fieldwork:home"), {"month": "2026-13"}).status_code == 404


@pytest.mark.django_db
def test_a_cadre_account_needs_its_cadre_and_only_a_cadre_account_has_one(personas, serving):
    with pytest.raises(IntegrityError):
        User.objects.create(username="x1", role=Role.CADRE)


@pytest.mark.django_db
def test_the_county_makes_the_missing_clerk_accounts(personas, client_for, tree):
    client = client_for(personas["county_admin"])
    made = client.post(reverse("people:create_clerk_accounts"))
    # Both townships already have a clerk (the personas): none is made.
    assert passwords(made) == []
    User.objects.filter(role=Role.TOWNSHIP_CLERK, region=tree["t2"]).update(is_active=False)
    User.objects.filter(username="clerk2").update(username="old-clerk2")
    made = client.post(reverse("people:create_clerk_accounts"))
    assert len(passwords(made)) == 1
    clerk = User.objects.get(username="370682101")
    assert clerk.region == tree["t2"] and clerk.must_change_password
