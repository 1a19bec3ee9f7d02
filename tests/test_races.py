"""State changes that really race: two database connections in two threads, released together
(issue 14, items 6 and 9). Each pair ends in a state one of the two orders would give, nothing is
lost, nobody deadlocks, and the loser is told in words (a ValidationError or a grid conflict)."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from assignments import attendance
from assignments import leave as leave_rules
from assignments.models import AttendanceRecord, AttendanceSheet, LeaveRequest

pytestmark = pytest.mark.django_db(transaction=True)

FEB = datetime.date(2026, 2, 1)
ROUNDS = 4  # a few rounds: the threads interleave differently each time


def together(*calls):
    """Run each call in its own thread on its own connection, released at once. Returns, per call,
    ("ok", result) or ("refused", the exception) for the friendly refusals; anything else fails."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            out[i] = ("ok", call())
        except (ValidationError, attendance.Conflict) as exc:
            out[i] = ("refused", exc)
        except Exception as exc:  # noqa: BLE001 - reported below: a deadlock or a 500 fails the test
            out[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a thread hung: a lock waited forever"
    errors = [r for r in out if r[0] == "error"]
    assert not errors, errors
    return out


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    return dispatch(make_cadre(name="在岗书记"), make_village(name="东村"), start=datetime.date(2025, 3, 1))


def saved_february(serving, tree, clerk):
    sheet = AttendanceSheet(township=tree["t1"], month=FEB)
    days = attendance.default_days(serving, attendance.calendar_for(tree["t1"], FEB), set())
    attendance.save_grid(sheet, {serving.pk: days}, 0, clerk)
    return AttendanceSheet.objects.get(pk=sheet.pk)


def test_a_leave_approved_while_the_clerk_saves_the_grid_loses_neither(serving, tree, personas):
    clerk = personas["clerk"]
    sheet = saved_february(serving, tree, clerk)
    # Two working days each time (Mon–Tue; not the Spring Festival week), asked for in January; the
    # clerk's grid was loaded before the approval.
    for monday in (datetime.date(2026, 2, 2), datetime.date(2026, 2, 9), datetime.date(2026, 2, 24)):
        leave = leave_rules.request_leave(
            serving,
            monday,
            monday + datetime.timedelta(days=1),
            "事假",
            clerk,
            today=datetime.date(2026, 1, 5),
        )
        loaded = AttendanceSheet.objects.get(pk=sheet.pk)
        days = list(AttendanceRecord.objects.get(assignment=serving).days)
        friday = monday.day - 1 + 3  # two days after the leave, a working day
        days[friday] = "A" if days[friday] == "P" else "P"
        approver = personas["county_admin"] if leave.approval_level == "county" else clerk
        results = together(
            lambda leave=leave, approver=approver: LeaveRequest.objects.get(pk=leave.pk).approve(approver),
            lambda loaded=loaded, days=days: attendance.save_grid(
                loaded, {serving.pk: "".join(days)}, loaded.version, clerk
            ),
        )
        assert results[0][0] == "ok"  # the approval is never refused by a grid save
        record = AttendanceRecord.objects.get(assignment=serving)
        assert record.days[monday.day - 1 : monday.day + 1] == "LL"  # the approval is not lost
        if results[1][0] == "ok":  # the grid saved first: its change is kept too
            assert record.days[friday] == days[friday]
        else:  # it lost: told who saved after it loaded, nothing of it written
            assert isinstance(results[1][1], attendance.Conflict)


def test_approve_and_reject_sent_together_decide_once(serving, personas):
    clerk = personas["clerk"]
    for n in range(ROUNDS):
        day = datetime.date(2026, 4, 7) + datetime.timedelta(days=7 * n)  # Tuesdays after 清明
        leave = leave_rules.request_leave(serving, day, day, "事假", clerk, today=datetime.date(2026, 3, 1))
        results = together(
            lambda pk=leave.pk: LeaveRequest.objects.get(pk=pk).approve(clerk),
            lambda pk=leave.pk: LeaveRequest.objects.get(pk=pk).reject(clerk, "人手不足"),
        )
        outcomes = sorted(r[0] for r in results)
        assert outcomes == ["ok", "refused"]
        state = LeaveRequest.objects.get(pk=leave.pk).state
        assert state == ("approved" if results[0][0] == "ok" else "rejected")


def test_approve_racing_reopen_ends_as_one_order_would(serving, tree, personas):
    clerk, county = personas["clerk"], personas["county_admin"]
    sheet = saved_february(serving, tree, clerk)
    for _n in range(ROUNDS):
        sheet = AttendanceSheet.objects.get(pk=sheet.pk)
        if sheet.state != "submitted":
            if sheet.state != "open":
                sheet.reopen(county, "再核")
            AttendanceSheet.objects.get(pk=sheet.pk).submit(clerk)
        results = together(
            lambda pk=sheet.pk: AttendanceSheet.objects.get(pk=pk).approve(county),
            lambda pk=sheet.pk: AttendanceSheet.objects.get(pk=pk).reopen(county, "数据有误"),
        )
        final = AttendanceSheet.objects.get(pk=sheet.pk)
        approved, reopened = (r[0] == "ok" for r in results)
        assert reopened  # a submitted or approved sheet can always be sent back
        # approve then reopen: open again; reopen first: the approval is refused, the sheet is open.
        assert final.state == "open"
        if not approved:
            assert "reload" in str(results[0][1]).lower() or results[0][1].messages


def test_finalize_racing_a_save_of_grades_never_finalizes_below_the_quota(
    personas, make_village, make_cadre, dispatch, tree
):
    from appraisal import rules as appraisal_rules
    from appraisal.models import AppraisalRound, Grade

    county = personas["county_admin"]
    start = datetime.date(2025, 1, 1)
    for i in range(4):
        birth = datetime.date(1980, 1, 1) + datetime.timedelta(days=50 * i)
        dispatch(make_cadre(name=f"干部{i}", birth=birth), make_village(name=f"村{i}"), start=start)
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", county)
    rows = list(round_.appraisals.order_by("cadre__name"))

    def grades(excellent):
        return {
            a.pk: ("", Grade.EXCELLENT if i < excellent else Grade.COMPETENT, "", "")
            for i, a in enumerate(rows)
        }

    # Alone, each order is as expected: two excellent finalize; one excellent is refused (quota).
    assert appraisal_rules.save_grades(round_, grades(2)) == []
    AppraisalRound.objects.get(pk=round_.pk).finalize(county)
    AppraisalRound.objects.get(pk=round_.pk).reopen(county, "再议")
    assert appraisal_rules.save_grades(round_, grades(1)) == []
    with pytest.raises(ValidationError):
        AppraisalRound.objects.get(pk=round_.pk).finalize(county)
    for _n in range(ROUNDS):
        if not AppraisalRound.objects.get(pk=round_.pk).is_draft:
            AppraisalRound.objects.get(pk=round_.pk).reopen(county, "再议")
        assert appraisal_rules.save_grades(round_, grades(2)) == []  # two of four: the quota holds
        together(
            lambda: AppraisalRound.objects.get(pk=round_.pk).finalize(county),
            lambda: appraisal_rules.save_grades(AppraisalRound.objects.get(pk=round_.pk), grades(1)),
        )
        final = AppraisalRound.objects.get(pk=round_.pk)
        excellent = final.appraisals.filter(grade=Grade.EXCELLENT).count()
        assert final.is_draft or excellent == 2  # finalized only as saved before the other's change
