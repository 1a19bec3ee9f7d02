"""The clerk's grid at 1366 px: every column in view (names fixed, totals fixed, days between), the
paper marks in the cells, and the old letters still typed."""

import datetime

import pytest
from django.utils import timezone

from assignments.models import AttendanceRecord

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def month_grid(login, personas, make_village, make_cadre, dispatch, live_server):
    """Last month's grid of 沐浴店镇 (every day has come), with three cadres on it."""
    today = timezone.localdate()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    start = (today - datetime.timedelta(days=330)).replace(day=1)
    assignments = [
        dispatch(make_cadre(name=name), make_village(name=village), start=start)
        for name, village in (("甲书记", "东村"), ("乙书记", "西村"), ("丙书记", "南村"))
    ]
    page = login(personas["clerk"])
    page.goto(f"{live_server.url}/attendance/{personas['clerk'].region.code}/{last_month:%Y-%m}/")
    return page, assignments


def test_every_column_of_the_grid_is_in_view_at_1366_px(month_grid):
    page, _ = month_grid
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    viewport = 1366
    for selector in ("th.c1", "thead th.r2", "thead th.r1", "thead th.r0", "tbody td.status"):
        box = page.locator(selector).first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport, selector
    days = page.locator("thead th.day")
    assert days.count() >= 28
    last_day = days.last.bounding_box()
    assert last_day["x"] + last_day["width"] <= viewport  # at 1366 the whole month fits, nothing hidden
    # The cells show the paper marks, not letters; the legend shows each mark once.
    cells = page.locator("tbody tr").first.locator("td.cell").all_inner_texts()
    assert set(cells) <= set("√差假休×／·") and "休" in cells
    assert page.locator("ul.legend .code").all_inner_texts()[:5] == ["√", "差", "假", "休", "×"]


def test_a_narrow_window_scrolls_the_days_between_the_fixed_names_and_totals(month_grid):
    page, _ = month_grid
    page.set_viewport_size({"width": 1000, "height": 768})
    wrap = page.locator(".grid-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    name, total = page.locator("th.c1").first, page.locator("thead th.r0")
    before = (name.bounding_box()["x"], total.bounding_box()["x"])
    wrap.evaluate("el => el.scrollLeft = 300")
    after = (name.bounding_box()["x"], total.bounding_box()["x"])
    assert abs(after[0] - before[0]) < 1 and abs(after[1] - before[1]) < 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1000


def test_typing_the_old_letters_sets_the_marks_and_saves_the_codes(month_grid):
    page, assignments = month_grid
    row = page.locator("tbody tr").first
    working = [i for i, c in enumerate(row.locator("td.cell").all_inner_texts()) if c == "√"]
    first, second = working[0], working[1]
    row.locator(f'td.cell[data-i="{first}"]').click()  # the brush (√) on a √ cell changes nothing
    page.keyboard.press("a")
    row.locator(f'td.cell[data-i="{second}"]').focus()
    page.keyboard.press("B")
    texts = row.locator("td.cell").all_inner_texts()
    assert texts[first] == "×" and texts[second] == "差"
    assert row.locator("input.codes").input_value()[first] == "×"
    page.click("#grid-form button[type=submit]")
    page.wait_for_selector(".msg-success")
    saved = AttendanceRecord.objects.get(assignment=assignments[0]).days
    assert saved[first] == "A" and saved[second] == "B"
    page.reload()
    texts = page.locator("tbody tr").first.locator("td.cell").all_inner_texts()
    assert texts[first] == "×" and texts[second] == "差"


def test_the_cadres_records_show_under_the_days_and_fill_proposes_marks_the_clerk_then_saves(
    month_grid, personas
):
    from assignments.attendance import calendar_for
    from fieldwork.models import DiaryEntry, Trip

    page, assignments = month_grid
    a = assignments[0]
    today = timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    working = [d.date for d in calendar_for(a.village.township, month).days if d.is_working_day]
    clerk = personas["clerk"]
    DiaryEntry.objects.create(assignment=a, created_by=clerk, date=working[0], kind="visit", text="走访")
    Trip.objects.create(
        assignment=a,
        created_by=clerk,
        start_date=working[3],
        end_date=working[3],
        kind="meeting",
        destination="县委",
        reason="开会",
        state="confirmed",
    )
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    row = page.locator("tbody tr").first
    diary_cell = row.locator(f'td.cell[data-i="{working[0].day - 1}"]')
    assert diary_cell.evaluate("td => getComputedStyle(td, '::before').content") not in (
        "none",
        "normal",
        '""',
    )
    assert diary_cell.inner_text() == "√"  # the letter is drawn by CSS: the cell's text stays the mark
    # The row was never saved: its defaults already hold the confirmed trip as 差 (as leave as 假).
    trip_cell = page.locator("tbody tr").first.locator(f'td.cell[data-i="{working[3].day - 1}"]')
    assert trip_cell.inner_text() == "差"
    page.click("#grid-form button[name=fill]")
    page.wait_for_selector(".fill-report")
    trip_cell = page.locator("tbody tr").first.locator(f'td.cell[data-i="{working[3].day - 1}"]')
    assert trip_cell.inner_text() == "差"
    assert not AttendanceRecord.objects.filter(assignment=a).exists()  # proposed, not saved
    page.click("#grid-form button.primary")
    page.wait_for_selector(".msg-success")
    assert AttendanceRecord.objects.get(assignment=a).days[working[3].day - 1] == "B"
