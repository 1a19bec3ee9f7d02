"""The change history reads in the user's words: names, labels and local times, never ids or codes."""

import datetime
import re

import pghistory

from appraisal.models import AppraisalRound
from assignments import leave as leave_rules
from assignments.models import Assignment, LeaveRequest
from cadres.models import Cadre

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _section(html):
    start = html.index('id="history"')
    return html[start : html.index("</section>", start)]


def _assert_readable(response, ids=()):
    """No ISO timestamp, no True/False, no English label, no internal id in the history."""
    history = response.context["change_history"]
    assert history, "the object has a history"
    section = _section(response.content.decode())
    assert not ISO.search(section)
    assert "True" not in section and "False" not in section
    for row in history:
        for label, before, after in row["changes"]:
            assert not re.search(r"[A-Za-z]", label), label
            for value in (before, after):
                assert not ISO.search(value), (label, value)
                assert value not in ("True", "False"), (label, value)
                for pk in ids:
                    assert value != str(pk), (label, value)
    return history, section


def _afters(history):
    return {after for row in history for _label, _before, after in row["changes"]}


def test_the_history_section_is_called_change_history_not_past_post_holders(
    client_for, personas, make_village, make_cadre, dispatch
):
    a = dispatch(make_cadre(name="韩书记"), make_village())
    client = client_for(personas["county_admin"])
    client.cookies["django_language"] = "zh-hans"
    section = _section(client.get(a.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert "修改记录" in section and "历任记录" not in section


def test_a_leave_history_names_the_assignment_and_shows_local_times(
    client_for, personas, make_village, make_cadre, dispatch
):
    a = dispatch(make_cadre(name="周书记"), make_village(name="南坡村"))
    leave = leave_rules.request_leave(
        a, datetime.date(2025, 6, 2), datetime.date(2025, 6, 3), "事假", personas["clerk"]
    )
    with pghistory.context(user=personas["county_admin"].pk):
        LeaveRequest.objects.filter(pk=leave.pk).update(
            decided_at=datetime.datetime(2026, 11, 4, 4, 1, tzinfo=datetime.UTC)
        )
    response = client_for(personas["county_admin"]).get(leave.get_absolute_url())
    history, section = _assert_readable(response, ids=[a.pk])
    assert str(a) in _afters(history)
    assert "2026-11-04 12:01" in _afters(history)  # Asia/Shanghai
    assert "2026-11-04 12:01" in section


def test_an_assignment_history_names_the_cadre_and_the_village(
    client_for, personas, make_village, make_cadre, dispatch
):
    cadre, village = make_cadre(name="钱书记"), make_village(name="北岭村")
    a = dispatch(cadre, village)
    response = client_for(personas["county_admin"]).get(a.get_absolute_url())
    history, section = _assert_readable(response, ids=[cadre.pk, village.pk])
    afters = _afters(history)
    assert {"钱书记", "北岭村"} <= afters


def test_a_village_moved_to_another_township_shows_both_township_names(
    client_for, personas, tree, make_village
):
    village = make_village(name="迁村")
    with pghistory.context(user=personas["county_admin"].pk):
        type(village).objects.filter(pk=village.pk).update(
            township=tree["t2"], code=tree["t2"].code[:9] + village.code[9:]
        )
    village.refresh_from_db()
    response = client_for(personas["county_admin"]).get(village.get_absolute_url())
    history, section = _assert_readable(response, ids=[tree["t1"].pk, tree["t2"].pk])
    assert f"{tree['t1'].name} → {tree['t2'].name}" in section


def test_a_cadre_history_shows_unit_and_region_by_name_and_yes_no(client_for, personas, tree, make_cadre):
    cadre = make_cadre(name="孙干部")
    with pghistory.context(user=personas["county_admin"].pk):
        Cadre.objects.filter(pk=cadre.pk).update(unit=tree["other_unit"])
    response = client_for(personas["county_admin"]).get(cadre.get_absolute_url())
    history, section = _assert_readable(response, ids=[tree["unit"].pk, tree["other_unit"].pk])
    assert f"{tree['unit'].name} → {tree['other_unit'].name}" in section


def test_a_round_history_shows_the_county_by_name_and_who_created_it(client_for, personas, tree):
    rnd = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    with pghistory.context(user=personas["county_admin"].pk):
        AppraisalRound.objects.filter(pk=rnd.pk).update(
            finalized_at=datetime.datetime(2026, 1, 5, 16, 30, tzinfo=datetime.UTC)
        )
    response = client_for(personas["county_admin"]).get(rnd.get_absolute_url())
    history, section = _assert_readable(response, ids=[tree["county"].pk, personas["county_admin"].pk])
    afters = _afters(history)
    assert tree["county"].name in afters and "2026-01-06 00:30" in afters


def test_history_queries_do_not_grow_with_the_number_of_changes(
    client_for, personas, make_village, make_cadre, dispatch, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a = dispatch(make_cadre(), make_village())
    client = client_for(personas["county_admin"])
    url = a.get_absolute_url()
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    others = [make_village() for _ in range(5)]
    with pghistory.context(user=personas["county_admin"].pk):
        for v in others:
            Assignment.objects.filter(pk=a.pk).update(village=v)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_the_village_page_calls_its_cadre_list_past_post_holders_and_its_changes_change_history(
    client_for, personas, make_village
):
    village = make_village()
    client = client_for(personas["county_admin"])
    html = client.get(village.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "修改记录" in _section(html)
    assert "历任记录" not in html


def test_an_attendance_record_history_names_the_days_that_changed_not_the_codes(
    personas, make_village, make_cadre, dispatch
):
    from accounts import history as change_history
    from assignments.models import AttendanceRecord, AttendanceSheet
    from assignments.models.attendance import CODE_LABELS

    a = dispatch(make_cadre(), make_village())
    sheet = AttendanceSheet.objects.create(township=a.village.township, month=datetime.date(2025, 6, 1))
    record = AttendanceRecord.objects.create(sheet=sheet, assignment=a, days="P" * 30)
    with pghistory.context(user=personas["clerk"].pk):
        AttendanceRecord.objects.filter(pk=record.pk).update(days="P" * 2 + "L" + "P" * 27)
    rows = change_history.for_object(record, personas["county_admin"])
    changes = {label: (before, after) for label, before, after in rows[0]["changes"]}
    label = str(AttendanceRecord._meta.get_field("days").verbose_name)
    before, after = changes[label]
    assert "3" in before and str(CODE_LABELS["P"]) in before and "PPL" not in after
    assert str(CODE_LABELS["L"]) in after and "1:" not in after
    assert sheet.pk not in {v for row in rows for _l, b, v in row["changes"]}
    assert str(sheet) in {v for row in rows for _l, b, v in row["changes"]}
