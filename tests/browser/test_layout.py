"""Usable on a phone: pages fit the screen; the clerk's grid scrolls sideways with names fixed."""

import datetime

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


def test_clerk_pages_fit_a_phone_and_the_grid_keeps_the_name_column(
    login, personas, make_village, make_cadre, dispatch
):
    start = (timezone.localdate() - datetime.timedelta(days=330)).replace(day=1)
    dispatch(make_cadre(name="甲书记"), make_village(name="东村"), start=start)
    page = login(personas["clerk"])
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("a.button.primary.big")
    wrap = page.locator(".grid-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    name = page.locator("td.sticky.c1, th.sticky.c1").first
    before = name.bounding_box()["x"]
    wrap.evaluate("el => el.scrollLeft = 400")
    assert abs(name.bounding_box()["x"] - before) < 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
