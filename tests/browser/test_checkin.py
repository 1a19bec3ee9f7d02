"""Check-in on a 390 px phone with the position emulated: near, then far; the township sees the flag.
(The live server is http://localhost, a secure context, so the browser gives a position.)"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from assignments.models import Policy
from fieldwork.models import CheckIn

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

POINT = (Decimal("36.950000"), Decimal("120.700000"))
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def cadre_user(make_cadre, make_village, dispatch, tree, make_user):
    Policy.objects.create(region=tree["county"], checkin_enabled=True, checkin_radius_m=1000)
    village = make_village(name="东村", latitude=POINT[0], longitude=POINT[1], point_source="wgs84")
    a = dispatch(make_cadre(name="王芳"), village)
    return make_user("13805350001", Role.CADRE, cadre=a.cadre, must_change_password=False)


def test_a_cadre_checks_in_near_then_far_and_the_township_sees_the_flag(
    browser, live_server, cadre_user, personas, login
):
    phone = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        geolocation={"latitude": 36.9527, "longitude": 120.7001, "accuracy": 20},
        permissions=["geolocation"],
    )
    page = phone.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cadre_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/my/")
    page.click("nav.cadre-nav a[href$='/my/checkin/']")
    # checkin.js (deferred) takes over the button once the page has loaded; a click before that
    # would send the plain form without a position.
    page.wait_for_url(f"{live_server.url}/my/checkin/")
    page.wait_for_load_state("load")
    page.click("#checkin-button")
    page.wait_for_selector(".msg-success")
    near = CheckIn.objects.get()
    assert near.flag == "" and 250 < near.distance_m < 350 and near.accuracy_m == 20
    # Nothing is cut off at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Eleven minutes later, 5 km away: recorded and flagged, not refused.
    CheckIn.objects.filter(pk=near.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    phone.set_geolocation({"latitude": 37.0, "longitude": 120.7, "accuracy": 30})
    # The first check-in's message is still on the page: wait for the new page, not for a message.
    page.wait_for_load_state("load")
    with page.expect_navigation():
        page.click("#checkin-button")
    page.wait_for_load_state("load")
    page.wait_for_selector(".msg-success")
    far = CheckIn.objects.exclude(pk=near.pk).get()
    assert far.flag == "far" and far.distance_m > 5000
    assert page.locator(".checkin-recent .badge.warn").count() == 1
    phone.close()

    clerk = login(personas["clerk"])
    clerk.goto(f"{live_server.url}/checkins/?flag=flagged")
    row = clerk.locator("table.checkin-table tbody tr")
    assert row.count() == 1
    assert "王芳" in row.inner_text() and row.locator(".flag-far").count() == 1


def test_without_permission_the_page_says_how_to_allow_the_position(browser, live_server, cadre_user):
    phone = browser.new_context(viewport=PHONE, locale="zh-CN")  # no geolocation permission: denied
    page = phone.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cadre_user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/my/")
    page.goto(f"{live_server.url}/my/checkin/")
    page.click("#checkin-button")
    status = page.locator("#checkin-status.note-warn")
    status.wait_for()
    denied = page.locator("#checkin-form").get_attribute("data-denied")
    assert status.inner_text() == denied
    assert CheckIn.objects.count() == 0
    phone.close()
