"""Who is behind the quarterly or yearly minimum is named on the county dashboard, the clerk's home
page, the to-do list and the attendance overview — not only in the grid — in constant queries."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments import attendance
from assignments.models import AttendanceRecord, AttendanceSheet, Policy
from assignments.models.attendance import month_bounds


def last_quarter():
    return attendance.last_finished_quarter(timezone.localdate())


def fill_quarter(assignment, per_month):
    """Rows for the last finished quarter: ``per_month`` days P each month, the rest H."""
    q_first, _q_last = last_quarter()
    for i in range(3):
        month = (q_first + datetime.timedelta(days=32 * i)).replace(day=1)
        sheet, _ = AttendanceSheet.objects.get_or_create(township=assignment.village.township, month=month)
        first, last = month_bounds(month)
        total = (last - first).days + 1
        AttendanceRecord.objects.create(
            sheet=sheet, assignment=assignment, days="P" * per_month + "H" * (total - per_month)
        )


@pytest.fixture
def behind(make_village, make_cadre, dispatch, tree):
    start = last_quarter()[0] - datetime.timedelta(days=400)
    late = dispatch(make_cadre(name="落后书记"), make_village(name="北村", township=tree["t1"]), start=start)
    fine = dispatch(make_cadre(name="达标书记"), make_village(name="中村", township=tree["t1"]), start=start)
    fill_quarter(late, 16)  # 48 < 50
    fill_quarter(fine, 17)  # 51
    return late, fine


def test_county_dashboard_names_who_is_behind_the_quarter(client_for, personas, behind):
    response = client_for(personas["county_admin"]).get(reverse("home"))
    listed = [(a.cadre.name, s.present, s.required) for a, s in response.context["behind_periods"]]
    assert listed == [("落后书记", 48, 50)]
    page = response.content.decode()
    assert "落后书记" in page and 'id="behind-periods"' in page


def test_clerk_home_names_who_is_behind_the_quarter(client_for, personas, behind):
    response = client_for(personas["clerk"]).get(reverse("home"))
    assert [a.cadre.name for a, _s in response.context["behind_periods"]] == ["落后书记"]
    assert "落后书记" in response.content.decode()
    # Another township's clerk sees nobody of this township.
    other = client_for(personas["other_clerk"]).get(reverse("home"))
    assert other.context["behind_periods"] == []


def test_todos_list_who_is_behind_the_quarter(client_for, personas, behind):
    response = client_for(personas["county_admin"]).get(reverse("todos"))
    page = response.content.decode()
    assert "落后书记" in page and "48/50" in page and "达标书记" not in page


def test_attendance_overview_names_who_is_behind_the_quarter(client_for, personas, behind):
    q_first, q_last = last_quarter()
    url = reverse("attendance:overview", args=[f"{q_last:%Y-%m}"])
    response = client_for(personas["county_admin"]).get(url)
    assert [(a.cadre.name, s.first) for a, s in response.context["behind_periods"]] == [("落后书记", q_first)]
    # Viewed from the quarter's first month, that quarter is not over yet: it is not judged there.
    early = client_for(personas["county_admin"]).get(
        reverse("attendance:overview", args=[f"{q_first:%Y-%m}"])
    )
    assert all(s.first != q_first for _a, s in early.context["behind_periods"])


def test_the_yearly_minimum_is_named_once_the_year_is_over(
    client_for, personas, make_village, make_cadre, dispatch, tree
):
    Policy.objects.create(region=tree["county"], days_per_year=200, days_per_quarter=0)
    year = timezone.localdate().year - 1
    a = dispatch(make_cadre(name="全年不足"), make_village(), start=datetime.date(year - 1, 6, 1))
    for m in range(1, 13):
        month = datetime.date(year, m, 1)
        sheet, _ = AttendanceSheet.objects.get_or_create(township=a.village.township, month=month)
        total = (month_bounds(month)[1] - month).days + 1
        AttendanceRecord.objects.create(sheet=sheet, assignment=a, days="P" * 16 + "H" * (total - 16))
    response = client_for(personas["county_admin"]).get(reverse("home"))
    assert [
        (x.cadre.name, s.period, s.present, s.required) for x, s in response.context["behind_periods"]
    ] == [("全年不足", "year", 192, 200)]


@pytest.mark.parametrize("persona", ["county_admin", "clerk"])
def test_lists_of_who_is_behind_run_constant_queries(
    persona, client_for, personas, make_village, make_cadre, dispatch, tree
):
    client = client_for(personas[persona])
    start = last_quarter()[0] - datetime.timedelta(days=400)

    def add(n, offset):
        for i in range(n):
            a = dispatch(make_cadre(name=f"干部{offset + i}"), make_village(township=tree["t1"]), start=start)
            fill_quarter(a, 10 + i % 8)

    def queries():
        counts = []
        for url in (
            reverse("home"),
            reverse("todos"),
            reverse("attendance:overview", args=[f"{last_quarter()[1]:%Y-%m}"]),
        ):
            cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts.append(len(ctx))
        return counts

    add(2, 0)
    small = queries()
    add(8, 2)
    assert queries() == small
