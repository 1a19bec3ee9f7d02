"""Issue 16 at a phone's width (390 px), from the first login: the county makes the cadre's account,
the cadre logs in with the one-time password, must change it (and reads what is recorded), writes a
diary entry and submits last month's report, which the township then reads."""

import datetime
import re

import pytest
from django.utils import timezone

from accounts.models import User
from fieldwork.models import DiaryEntry, MonthlyReport

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "Dongcun-2026!"


def sign_in(page, live_server, username, password):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_cadre_from_first_login_to_the_monthly_report_on_a_phone(
    page, live_server, personas, make_cadre, make_village, dispatch
):
    today = timezone.localdate()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    a = dispatch(
        make_cadre(name="王芳", phone="13805350001"),
        make_village(name="东村"),
        start=today - datetime.timedelta(days=200),
    )

    # The county makes the accounts of its serving cadres and reads the one-time password.
    sign_in(page, live_server, personas["county_admin"].username, PASSWORD)
    page.goto(f"{live_server.url}/people/accounts/")
    page.click("form[action$='/people/accounts/cadres/'] button")
    page.wait_for_selector("td.mono")
    one_time = page.inner_text("td.mono").strip()
    assert User.objects.get(username="13805350001").must_change_password

    # The cadre's first login, on a phone: the password change comes first, with the notice.
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "13805350001", one_time)
    page.goto(f"{live_server.url}/my/diary/")
    assert "/accounts/password/" in page.url
    assert page.locator("#privacy-title").count() == 1
    fits_the_phone(page)
    page.fill("input[name=old_password]", one_time)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    sign_in(page, live_server, "13805350001", NEW_PASSWORD)
    assert re.search(r"/my/$", page.url), page.url  # the home page sends a cadre to its month
    fits_the_phone(page)

    # A diary entry for a day of last month, without a photo.
    page.click("nav.cadre-nav a[href$='/my/diary/']")
    page.click("a[href$='/my/diary/new/']")
    fits_the_phone(page)
    day = last_month + datetime.timedelta(days=9)
    page.fill("input[name=date]", day.isoformat())
    page.select_option("select[name=kind]", "visit")
    page.fill("input[name=households]", "3")
    page.fill("textarea[name=text]", "走访脱贫户，了解冬季取暖情况")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector(".msg-success")
    entry = DiaryEntry.objects.get(assignment=a)
    assert (entry.date, entry.households) == (day, 3)

    # Last month's report: prefilled from the diary, submitted to the township.
    page.goto(f"{live_server.url}/my/reports/{last_month:%Y-%m}/")
    fits_the_phone(page)
    page.fill("textarea[name=text]", "本月走访三户，下月推进取暖改造。")
    page.click("button[name=action][value=submit]")
    page.wait_for_selector(".msg-success")
    report = MonthlyReport.objects.get(assignment=a, month=last_month)
    assert report.state == "submitted" and report.households == 3

    # The township reads it.
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(page, live_server, personas["clerk"].username, PASSWORD)
    page.goto(f"{live_server.url}/records/reports/?month={last_month:%Y-%m}")
    assert "王芳" in page.inner_text("main")
