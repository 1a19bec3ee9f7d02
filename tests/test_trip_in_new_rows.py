"""A trip the township confirmed before the month's sheet was first saved shows as 差 in that sheet's
new rows, as approved leave shows as 假 (record once: nobody types it again)."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from assignments import attendance
from assignments.models import AttendanceSheet
from fieldwork.models import Trip

from .conftest import create_user


@pytest.mark.django_db
def test_a_confirmed_trip_is_business_in_the_rows_of_a_sheet_not_yet_saved(
    personas, make_cadre, make_village, dispatch, tree
):
    today = timezone.localdate()
    a = dispatch(
        make_cadre(name="王芳"), make_village(name="东村"), start=today - datetime.timedelta(days=200)
    )
    cadre_user = create_user("13800000009", Role.CADRE, cadre=a.cadre)
    wd = attendance.work_days(tree["t1"])
    first_day = wd.next_working_day(today + datetime.timedelta(days=40))
    trip = Trip.report(a, first_day, first_day, "meeting", "莱阳市委组织部", "参加推进会", cadre_user)
    sheet = AttendanceSheet(township=tree["t1"], month=first_day.replace(day=1))  # not saved: a GET
    row = next(r for r in attendance.grid(sheet)["rows"] if r.assignment.pk == a.pk)
    assert row.days[first_day.day - 1] != "B"  # pending: the township has not confirmed it

    trip.confirm(personas["clerk"])
    row = next(r for r in attendance.grid(sheet)["rows"] if r.assignment.pk == a.pk)
    assert row.days[first_day.day - 1] == "B"
    assert "B" not in row.days[: first_day.day - 1] + row.days[first_day.day :]
