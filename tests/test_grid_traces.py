"""Record once: the grid shows, per day, what the cadre's own records say (diary entry, check-in,
confirmed trip, approved leave) beside the township's marks, and proposes marks from them for the
days the township has not decided — shown for review, never saved by the proposal, never ×."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments import traces
from assignments.models import AttendanceRecord
from fieldwork.models import CheckIn, DiaryEntry, Trip

FEB = "2026-02"
# February 2026: Mon 2 – Fri 6 and Mon 9 – Fri 13 are working days (the Spring Festival starts on
# the 15th).


def day(n):
    return datetime.date(2026, 2, n)


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    return dispatch(make_cadre(name="在岗书记"), make_village(name="东村"))


def url(tree):
    return reverse("attendance:sheet", args=[tree["t1"].code, FEB])


def diary(assignment, user, n):
    return DiaryEntry.objects.create(
        assignment=assignment, created_by=user, date=day(n), kind="visit", households=3, text="走访"
    )


def trip(assignment, user, first, last, state="confirmed"):
    return Trip.objects.create(
        assignment=assignment,
        created_by=user,
        start_date=day(first),
        end_date=day(last),
        kind="meeting",
        destination="县委",
        reason="培训会",
        state=state,
    )


def cell(html, assignment, n):
    """The <td> of day ``n`` in the assignment's row of the drawn grid."""
    row = html[html.index(f'name="row-{assignment.pk}"') :]
    row = row[: row.index("</tr>")]
    return re.search(rf'<td class="cell[^"]*" data-i="{n - 1}"[^>]*>', row).group(0)


def grid(client, tree):
    response = client.get(url(tree))
    assert response.status_code == 200
    return response


def test_a_diary_entrys_day_shows_the_trace_on_the_grid(client_for, personas, serving, tree):
    diary(serving, personas["clerk"], 10)
    response = grid(client_for(personas["clerk"]), tree)
    assert response.context["rows"][0].traces == {9: {traces.DIARY}}
    html = response.context["grid_html"]
    assert "data-t=" in cell(html, serving, 10)
    assert "data-t=" not in cell(html, serving, 11)
    assert "日记" in cell(html, serving, 10) or "Diary entry" in cell(html, serving, 10)


def test_a_confirmed_trip_shows_on_each_of_its_days_and_a_pending_one_does_not(
    client_for, personas, serving, tree, make_village, make_cadre, dispatch
):
    trip(serving, personas["clerk"], 2, 4)
    other = dispatch(make_cadre(name="待定书记"), make_village(name="西村"))
    trip(other, personas["clerk"], 2, 4, state="pending")
    response = grid(client_for(personas["clerk"]), tree)
    rows = {r.assignment.pk: r for r in response.context["rows"]}
    assert rows[serving.pk].traces == {1: {traces.TRIP}, 2: {traces.TRIP}, 3: {traces.TRIP}}
    assert rows[other.pk].traces == {}
    assert "data-t=" in cell(response.context["grid_html"], serving, 3)
    assert "data-t=" not in cell(response.context["grid_html"], other, 3)


def test_a_check_in_shows_on_its_local_day(client_for, personas, serving, tree):
    # 23:30 local time on the 5th is the 5th, whatever the UTC date.
    at = timezone.make_aware(datetime.datetime(2026, 2, 5, 23, 30))
    CheckIn.objects.create(assignment=serving, created_by=personas["clerk"], created_at=at, accuracy_m=20)
    response = grid(client_for(personas["clerk"]), tree)
    assert response.context["rows"][0].traces == {4: {traces.CHECKIN}}


def test_another_townships_records_never_show(
    client_for, personas, serving, tree, make_village, make_cadre, dispatch
):
    elsewhere = dispatch(make_cadre(name="团旺书记"), make_village(township=tree["t2"], name="北村"))
    diary(elsewhere, personas["other_clerk"], 10)
    trip(elsewhere, personas["other_clerk"], 2, 3)
    response = grid(client_for(personas["clerk"]), tree)
    assert [r.assignment.pk for r in response.context["rows"]] == [serving.pk]
    assert response.context["rows"][0].traces == {}
    assert "data-t=" not in response.context["grid_html"]


def test_a_new_diary_entry_shows_on_the_next_load_of_a_cached_grid(client_for, personas, serving, tree):
    client = client_for(personas["clerk"])
    assert grid(client, tree).context["rows"][0].traces == {}
    diary(serving, personas["clerk"], 12)
    assert grid(client, tree).context["rows"][0].traces == {11: {traces.DIARY}}


def test_the_grid_runs_the_same_queries_for_3_and_15_rows_with_traces(
    client_for, personas, tree, make_village, make_cadre, dispatch
):
    client = client_for(personas["clerk"])

    def add(n):
        for i in range(n):
            a = dispatch(make_cadre(name=f"干部{i}"), make_village())
            for d in (2, 3, 9):
                diary(a, personas["clerk"], d)
            trip(a, personas["clerk"], 5, 6)
            at = timezone.make_aware(datetime.datetime(2026, 2, 10, 9))
            CheckIn.objects.create(assignment=a, created_by=personas["clerk"], created_at=at, accuracy_m=20)

    def count():
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url(tree))
        assert response.status_code == 200
        assert all(r.traces for r in response.context["rows"])
        return len(ctx), len(response.context["rows"])

    add(3)
    small, n_small = count()
    add(12)
    large, n_large = count()
    assert (n_small, n_large) == (3, 15)
    assert small == large


def save(client, tree, assignment, codes, version=0):
    response = client.post(url(tree), {"version": version, f"row-{assignment.pk}": codes})
    assert response.status_code == 302
    return AttendanceRecord.objects.get(assignment=assignment)


def test_fill_proposes_trips_and_diary_days_only_where_the_township_has_not_decided_and_never_absent(
    client_for, personas, serving, tree, make_village, make_cadre, dispatch
):
    client = client_for(personas["clerk"])
    days = grid(client, tree).context["rows"][0].days
    # Saved mid-month: the 2nd, 3rd, 10th and 12th still · (not yet recorded), the 11th ×, the 4th √.
    codes = list(days)
    for n in (2, 3, 10, 12):
        codes[n - 1] = "."
    codes[10] = "A"
    saved = save(client, tree, serving, "".join(codes))
    user = personas["clerk"]
    trip(serving, user, 2, 4)  # the 4th is √ already: the township's mark stays
    diary(serving, user, 10)
    diary(serving, user, 11)  # the township set ×: it stays
    # A row never saved shows its defaults, which already hold a confirmed trip's days as 差.
    unsaved = dispatch(make_cadre(name="新来书记"), make_village(name="西村"))
    trip(unsaved, user, 5, 6)

    response = client.post(url(tree), {"fill": "1", "version": 1, f"row-{serving.pk}": saved.days})
    assert response.status_code == 200
    rows = {r.assignment.pk: r for r in response.context["rows"]}
    got = rows[serving.pk].days
    assert (got[1], got[2], got[3]) == ("B", "B", "P")
    assert got[9] == "P" and got[10] == "A" and got[11] == "."
    assert got.count("A") == 1 and "A" not in rows[unsaved.pk].days
    assert rows[unsaved.pk].days[4:6] == "BB"
    html = response.content.decode()
    assert 'class="changed filled"' in html and " filled " in cell(response.context["grid_html"], serving, 2)
    # The form goes back prefilled with the version the clerk loaded; nothing is saved.
    assert f'name="row-{serving.pk}" value="{rows[serving.pk].marks}"' in html
    assert 'name="version" value="1"' in html
    assert AttendanceRecord.objects.get(pk=saved.pk).days == saved.days
    assert not AttendanceRecord.objects.filter(assignment=unsaved).exists()
    # The page says what was filled and from what, per cadre.
    report = {row.assignment.pk: (groups, left) for row, groups, left in response.context["fill_report"]}
    assert [(mark, days) for mark, _said, days in report[serving.pk][0]] == [("差", "2, 3"), ("√", "10")]
    assert report[serving.pk][1] == "12"  # still · with no record: the township decides
    assert unsaved.pk not in report or not report[unsaved.pk][0]  # nothing left to fill
    assert "Filled from the cadre" in html or "本人记录" in html


def test_the_filled_grid_saves_as_proposed_when_the_clerk_saves_it(client_for, personas, serving, tree):
    client = client_for(personas["clerk"])
    trip(serving, personas["clerk"], 2, 3)
    response = client.post(url(tree), {"fill": "1", "version": 0})
    row = response.context["rows"][0]
    assert row.days[1:3] == "BB"
    record = save(client, tree, serving, row.days, version=0)
    assert record.days[1:3] == "BB"


def test_fill_is_refused_to_a_viewer_who_cannot_keep_attendance(client_for, personas, serving, tree):
    viewer = client_for(personas["viewer"])
    assert viewer.post(url(tree), {"fill": "1", "version": 0}).status_code in (403, 404)


def test_a_p_day_without_any_record_is_listed_for_supervision_not_made_absent(serving):
    from assignments.attendance import calendar_for

    cal = calendar_for(serving.village.township, day(1))
    days = "P" * 28
    untraced = traces.untraced_present_days(days, {1: {traces.DIARY}}, cal)
    assert 1 not in untraced and 2 in untraced
    assert all(not cal.days[i].is_rest for i in untraced)


def test_approved_leave_shows_under_its_days_and_fill_proposes_leave_on_a_day_still_open(
    client_for, personas, serving, tree
):
    from assignments import leave as leave_rules

    client = client_for(personas["clerk"])
    days = list(grid(client, tree).context["rows"][0].days)
    days[2] = "."  # the 3rd still · when the row was saved
    save(client, tree, serving, "".join(days))
    leave = leave_rules.request_leave(
        serving, day(3), day(4), "事假", personas["clerk"], today=datetime.date(2026, 1, 20)
    )
    leave.approve(personas["county_admin"] if leave.approval_level == "county" else personas["clerk"])
    row = grid(client, tree).context["rows"][0]
    assert row.traces[2] == {traces.ON_LEAVE} and row.traces[3] == {traces.ON_LEAVE}
    filled = client.post(url(tree), {"fill": "1", "version": 1}).context["rows"][0]
    # The 3rd (·) becomes 假; whatever the approval wrote on the 4th stays as the sheet has it.
    assert filled.days[2] == "L" and filled.days[3] == row.days[3]


def test_with_check_in_on_a_present_day_without_any_record_is_counted_as_a_question_not_an_absence(
    client_for, personas, serving, tree
):
    from assignments.models import Policy

    client = client_for(personas["clerk"])
    diary(serving, personas["clerk"], 10)
    assert grid(client, tree).context["rows"][0].untraced == []  # check-in off: no such signal
    Policy.objects.create(region=tree["county"], checkin_enabled=True)
    row = grid(client, tree).context["rows"][0]
    assert 9 not in row.untraced and 10 in row.untraced  # the 10th has a diary entry, the 11th none
    assert "A" not in row.days
