"""Leave in working days (请销假), 补假, 销假 and a grid that accepts only what is true (issue 12, 6–9).

Dates are in 2026, whose State Council schedule chinesecalendar knows: 1–5 May 劳动节 (9 May worked),
25 Sep 中秋节, 1–7 Oct 国庆节 (10 Oct worked). Requests are made ``BEFORE`` their leave unless the
test is about a 补假.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments import attendance
from assignments import leave as leave_rules
from assignments.models import (
    Assignment,
    AttendanceRecord,
    AttendanceSheet,
    HolidayOverride,
    LeaveRequest,
    Policy,
)
from dashboard import todos

D = datetime.date
BEFORE = D(2026, 1, 1)


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    """A first secretary in 沐浴店镇 serving from 2025-03-01 to 2027-02-28."""
    return dispatch(make_cadre(name="在岗书记"), make_village(name="东村"))


def ask(a, start, end, user, today=BEFORE):
    return leave_rules.request_leave(a, start, end, "家事", user, today=today)


def make_sheet(client, township, month, assignment):
    """Open the grid of ``month`` and save it as shown, so the row exists."""
    url = reverse("attendance:sheet", args=[township.code, f"{month:%Y-%m}"])
    response = client.get(url)
    row = next(r for r in response.context["rows"] if r.assignment == assignment)
    client.post(
        url, {"version": response.context["sheet"].version, f"row-{assignment.pk}": row.days}, follow=True
    )
    return AttendanceRecord.objects.get(assignment=assignment, sheet__month=month)


# --- 6. working days ----------------------------------------------------------------------------------
def test_a_friday_to_monday_leave_is_two_working_days(serving, personas, tree):
    assert attendance.working_days_between(tree["t1"], D(2026, 3, 6), D(2026, 3, 9)) == 2
    leave = ask(serving, D(2026, 3, 6), D(2026, 3, 9), personas["clerk"])
    assert leave.working_days == 2 and leave.approval_level == "township"


def test_working_days_are_counted_over_months_and_years_with_the_countys_overrides(tree):
    # 29 Dec 2025 (Mon) – 9 Jan 2026 (Fri): 29, 30, 31 Dec; 1–3 Jan 元旦 (4 Jan worked); 5–9 Jan.
    assert attendance.working_days_between(tree["t1"], D(2025, 12, 29), D(2026, 1, 9)) == 3 + 1 + 5
    HolidayOverride.objects.create(region=tree["county"], date=D(2026, 1, 7), kind="holiday", name="县庆")
    assert attendance.working_days_between(tree["t1"], D(2025, 12, 29), D(2026, 1, 9)) == 8
    # Another county's override does not count here.
    HolidayOverride.objects.create(region=tree["other_county"], date=D(2026, 1, 8), kind="holiday", name="x")
    assert attendance.working_days_between(tree["t1"], D(2025, 12, 29), D(2026, 1, 9)) == 8


def test_a_leave_over_the_national_day_holiday_counts_only_its_working_days(serving, personas):
    # Mon 28 Sep – Fri 9 Oct: 28, 29, 30 Sep and 8, 9 Oct; 1–7 Oct are the holiday.
    long = ask(serving, D(2026, 9, 28), D(2026, 10, 9), personas["clerk"])
    assert long.working_days == 5 and long.approval_level == "county"
    long.cancel(personas["clerk"])
    # Wed 30 Sep – Thu 8 Oct: two working days, the township decides.
    short = ask(serving, D(2026, 9, 30), D(2026, 10, 8), personas["clerk"])
    assert short.working_days == 2 and short.approval_level == "township"


def test_an_override_day_off_is_not_a_leave_day_and_an_override_working_day_is(serving, personas, tree):
    # Mon 16 – Thu 19 Mar 2026 is four working days, but the county gives Wed 18 off.
    HolidayOverride.objects.create(region=tree["county"], date=D(2026, 3, 18), kind="holiday", name="县庆")
    leave = ask(serving, D(2026, 3, 16), D(2026, 3, 19), personas["clerk"])
    assert leave.working_days == 3 and leave.approval_level == "township"
    # Thu 26 – Sun 29 Mar with Saturday worked (调休) by the county: 3 working days.
    HolidayOverride.objects.create(region=tree["county"], date=D(2026, 3, 28), kind="adjusted_workday")
    other = ask(serving, D(2026, 3, 26), D(2026, 3, 29), personas["clerk"])
    assert other.working_days == 3


def test_thursday_friday_then_monday_is_one_three_day_leave(serving, personas):
    first = ask(serving, D(2026, 3, 12), D(2026, 3, 13), personas["clerk"])  # Thu–Fri
    monday = ask(serving, D(2026, 3, 16), D(2026, 3, 16), personas["clerk"])
    assert first.approval_level == monday.approval_level == "township"
    assert leave_rules.combined_working_days(serving, D(2026, 3, 16), D(2026, 3, 16), monday.pk) == 3
    # A fourth day touching them (Tuesday) makes one leave of four days: the county decides it.
    tuesday = ask(serving, D(2026, 3, 17), D(2026, 3, 17), personas["clerk"])
    assert tuesday.approval_level == "county"


def test_two_back_to_back_three_day_leaves_need_the_county(serving, personas):
    first = ask(serving, D(2026, 3, 4), D(2026, 3, 6), personas["clerk"])  # Wed–Fri
    second = ask(serving, D(2026, 3, 9), D(2026, 3, 11), personas["clerk"])  # Mon–Wed
    assert first.approval_level == "township" and second.approval_level == "county"


def test_leaves_separated_only_by_a_holiday_touch_and_a_working_day_keeps_them_apart(serving, personas):
    ask(serving, D(2026, 9, 22), D(2026, 9, 24), personas["clerk"])  # Tue–Thu; Fri 25 is 中秋节
    touching = ask(serving, D(2026, 9, 28), D(2026, 9, 28), personas["clerk"])  # Mon: one leave of 4
    assert touching.approval_level == "county"
    ask(serving, D(2026, 3, 2), D(2026, 3, 4), personas["clerk"])  # Mon–Wed
    apart = ask(serving, D(2026, 3, 6), D(2026, 3, 6), personas["clerk"])  # Thu 5 is a working day
    assert apart.approval_level == "township"


def test_rejected_leave_does_not_join_a_later_one(serving, personas):
    first = ask(serving, D(2026, 3, 4), D(2026, 3, 6), personas["clerk"])
    first.reject(personas["clerk"], "工作需要")
    second = ask(serving, D(2026, 3, 9), D(2026, 3, 11), personas["clerk"])
    assert second.approval_level == "township"


def test_rest_days_inside_a_leave_stay_h_in_the_sheet(client_for, personas, serving, tree):
    clerk = client_for(personas["clerk"])
    record = make_sheet(clerk, tree["t1"], D(2026, 3, 1), serving)
    leave = ask(serving, D(2026, 3, 5), D(2026, 3, 10), personas["clerk"])  # Thu – Tue
    assert leave.working_days == 4 and leave.approval_level == "county"
    assert leave.approve(personas["county_admin"]) == []
    record.refresh_from_db()
    assert record.days[4:10] == "LLHHLL"
    assert record.leave_days == 4


def test_the_yearly_cap_counts_working_days_per_person_over_all_assignments(
    serving, personas, tree, make_village, dispatch
):
    Policy.objects.create(region=tree["county"], max_leave_days_per_year=10)
    # Mon 1 – Fri 5 June: five working days on the first assignment.
    ask(serving, D(2026, 6, 1), D(2026, 6, 5), personas["clerk"]).approve(personas["county_admin"])
    serving.end(D(2026, 6, 30), "adjusted", personas["county_admin"], "调整到西村")
    later = dispatch(serving.cadre, make_village(name="西村"), start=D(2026, 7, 1))
    # 28 Sep – 9 Oct on the second: five working days (National Day is not leave), then one more.
    ask(later, D(2026, 9, 28), D(2026, 10, 9), personas["clerk"]).approve(personas["county_admin"])
    assert leave_rules.over_leave_cap(later, 2026) is None  # 10 days is the cap, not over it
    ask(later, D(2026, 10, 13), D(2026, 10, 13), personas["clerk"]).approve(personas["clerk"])
    assert leave_rules.over_leave_cap(later, 2026) == (11, 10)
    assert leave_rules.leave_days_by_cadre([serving.cadre_id], 2026) == {serving.cadre_id: 11}
    flagged = leave_rules.over_leave_cap_all(Assignment.objects.serving_on(D(2026, 10, 20)), 2026)
    assert [(a, a.leave_days, a.leave_cap) for a in flagged] == [(later, 11, 10)]
    assert leave_rules.over_leave_cap_all(Assignment.objects.all(), 2025) == []


def test_over_leave_cap_all_runs_a_constant_number_of_queries(
    personas, tree, make_village, make_cadre, dispatch
):
    Policy.objects.create(region=tree["county"], max_leave_days_per_year=2)
    counts = []
    made = 0
    for n in (2, 6):
        while made < n:
            a = dispatch(make_cadre(name=f"干部{made}"), make_village(name=f"村{made}"))
            ask(a, D(2026, 3, 2), D(2026, 3, 4), personas["clerk"]).approve(personas["clerk"])
            made += 1
        with CaptureQueriesContext(connection) as ctx:
            flagged = leave_rules.over_leave_cap_all(Assignment.objects.all(), 2026)
        assert len(flagged) == n and all(a.leave_days == 3 for a in flagged)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- 7. 补假 -------------------------------------------------------------------------------------------
def todos_of_kind(user, kind):
    return [g for g in todos.for_user(user) if g.kind == kind]


def test_a_leave_requested_after_its_first_day_is_a_retroactive_leave_for_the_county(serving, personas):
    same_day = ask(serving, D(2026, 3, 2), D(2026, 3, 2), personas["clerk"], today=D(2026, 3, 2))
    assert not same_day.retroactive and same_day.approval_level == "township"
    late = ask(serving, D(2026, 3, 4), D(2026, 3, 4), personas["clerk"], today=D(2026, 3, 5))
    assert late.retroactive and late.approval_level == "county"


def test_a_retroactive_leave_is_marked_everywhere_it_is_shown(client_for, personas, serving):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    late = leave_rules.request_leave(serving, yesterday, yesterday, "急病", personas["clerk"])
    assert late.retroactive and late.approval_level == "county"
    assert not todos_of_kind(personas["clerk"], "decide_leave")  # the township cannot decide it
    admin = client_for(personas["county_admin"])
    for url in (
        reverse("leave:list"),
        reverse("leave:list") + "?only=retroactive",
        late.get_absolute_url(),
        serving.cadre.get_absolute_url(),
        serving.get_absolute_url(),
    ):
        assert "补假" in admin.get(url).content.decode(), url
    (group,) = todos_of_kind(personas["county_admin"], "decide_leave")
    assert any("补假" in text for text, _url in group.items)


# --- 8. 销假 -------------------------------------------------------------------------------------------
def test_the_return_cannot_be_in_the_future_or_before_the_start(serving, personas):
    leave = ask(serving, D(2026, 3, 2), D(2026, 3, 4), personas["clerk"])
    leave.approve(personas["clerk"])
    with pytest.raises(ValidationError) as before:
        leave.report_return(D(2026, 3, 1), personas["clerk"], today=D(2026, 3, 10))
    assert "returned_on" in before.value.message_dict
    with pytest.raises(ValidationError) as future:
        leave.report_return(D(2026, 3, 11), personas["clerk"], today=D(2026, 3, 10))
    assert "将来" in future.value.message_dict["returned_on"][0]
    leave.report_return(D(2026, 3, 10), personas["clerk"], today=D(2026, 3, 10))  # today itself is fine
    assert LeaveRequest.objects.get(pk=leave.pk).returned_on == D(2026, 3, 10)


def test_the_return_page_refuses_a_future_date_naming_it(client_for, personas, serving):
    leave = ask(serving, D(2026, 3, 2), D(2026, 3, 4), personas["clerk"])
    leave.approve(personas["clerk"])
    future = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(personas["clerk"]).post(
        reverse("leave:decide", args=[leave.pk, "return"]), {"returned_on": future.isoformat()}, follow=True
    )
    assert future.isoformat() in response.content.decode()
    assert LeaveRequest.objects.get(pk=leave.pk).returned_on is None


def test_an_early_return_gives_the_unused_days_back_and_the_cap_follows(client_for, personas, serving, tree):
    Policy.objects.create(region=tree["county"], max_leave_days_per_year=3)
    record = make_sheet(client_for(personas["clerk"]), tree["t1"], D(2026, 3, 1), serving)
    leave = ask(serving, D(2026, 3, 5), D(2026, 3, 10), personas["clerk"])  # Thu – Tue, 4 working days
    leave.approve(personas["county_admin"])
    assert leave_rules.over_leave_cap(serving, 2026) == (4, 3)
    leave.report_return(D(2026, 3, 9), personas["clerk"], today=D(2026, 3, 9))  # back on Monday
    record.refresh_from_db()
    assert record.days[4:10] == "LLHHPP"
    assert leave.working_days == 2
    assert leave_rules.over_leave_cap(serving, 2026) is None
    assert leave_rules.leave_days_by_assignment([serving.pk], 2026) == {serving.pk: 2}


def test_an_early_return_on_a_closed_sheet_marks_it_for_correction(client_for, personas, serving, tree):
    record = make_sheet(client_for(personas["clerk"]), tree["t1"], D(2026, 3, 1), serving)
    leave = ask(serving, D(2026, 3, 5), D(2026, 3, 10), personas["clerk"])
    leave.approve(personas["county_admin"])
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    sheet.submit(personas["clerk"], today=D(2026, 4, 1))
    closed = leave.report_return(D(2026, 3, 9), personas["clerk"], today=D(2026, 4, 1))
    assert [s.pk for s in closed] == [sheet.pk]
    sheet.refresh_from_db()
    assert sheet.needs_correction and "在岗书记" in sheet.correction_note and "9, 10" in sheet.correction_note
    sheet.reopen(personas["county_admin"], "销假")
    record.refresh_from_db()
    assert record.days[4:10] == "LLHHPP" and not sheet.needs_correction


def test_an_approved_leave_without_return_is_overdue_after_the_first_working_day(serving, personas):
    leave = ask(serving, D(2026, 9, 29), D(2026, 9, 30), personas["clerk"])  # ends before National Day
    leave.approve(personas["clerk"])
    qs = LeaveRequest.objects.all()
    # The first working day after 30 Sep is Thu 8 Oct: the return may be reported up to that day.
    assert leave_rules.overdue_returns(qs, D(2026, 10, 8)) == []
    (late,) = leave_rules.overdue_returns(qs, D(2026, 10, 9))
    assert late == leave and late.return_due == D(2026, 10, 8)
    leave.report_return(D(2026, 10, 8), personas["clerk"], today=D(2026, 10, 9))
    assert leave_rules.overdue_returns(qs, D(2026, 10, 9)) == []


def test_an_overdue_return_is_a_todo_for_the_township_and_a_flag_on_the_cadre(client_for, personas, serving):
    start = timezone.localdate() - datetime.timedelta(days=20)
    leave = LeaveRequest.objects.create(
        assignment=serving,
        start_date=start,
        end_date=start + datetime.timedelta(days=1),
        reason="事",
        approval_level="township",
        state="approved",
    )
    (group,) = todos_of_kind(personas["clerk"], "overdue_return")
    assert group.count == 1 and group.items[0][1] == leave.get_absolute_url()
    assert not todos_of_kind(personas["other_clerk"], "overdue_return")
    clerk = client_for(personas["clerk"])
    assert "销假" in clerk.get(serving.cadre.get_absolute_url()).content.decode()
    listed = clerk.get(reverse("leave:list") + "?only=overdue").context["page"].object_list
    assert [lv.pk for lv in listed] == [leave.pk] and listed[0].overdue
    leave.report_return(start + datetime.timedelta(days=2), personas["clerk"])
    assert not todos_of_kind(personas["clerk"], "overdue_return")


# --- 9. the grid accepts only what is true --------------------------------------------------------------
def grid_post(client, township, month, assignment, days):
    url = reverse("attendance:sheet", args=[township.code, f"{month:%Y-%m}"])
    response = client.get(url)
    return client.post(
        url, {"version": response.context["sheet"].version, f"row-{assignment.pk}": days}, follow=True
    )


def march_row(client, tree, serving):
    url = reverse("attendance:sheet", args=[tree["t1"].code, "2026-03"])
    return next(r for r in client.get(url).context["rows"] if r.assignment == serving).days


def test_the_grid_refuses_l_without_approved_leave_naming_the_row_and_the_day(
    client_for, personas, serving, tree
):
    clerk = client_for(personas["clerk"])
    days = march_row(clerk, tree, serving)
    html = grid_post(clerk, tree["t1"], D(2026, 3, 1), serving, days[:2] + "L" + days[3:]).content.decode()
    assert "在岗书记" in html and "3日" in html and not AttendanceRecord.objects.exists()
    # Pending leave is not approved leave.
    pending = ask(serving, D(2026, 3, 3), D(2026, 3, 3), personas["clerk"])
    grid_post(clerk, tree["t1"], D(2026, 3, 1), serving, days[:2] + "L" + days[3:])
    assert not AttendanceRecord.objects.exists()
    pending.approve(personas["clerk"])
    grid_post(clerk, tree["t1"], D(2026, 3, 1), serving, days[:2] + "L" + days[3:])
    assert AttendanceRecord.objects.get().days[2] == "L"


def test_the_grid_refuses_h_on_a_working_day_and_accepts_it_on_an_override_holiday(
    client_for, personas, serving, tree
):
    clerk = client_for(personas["clerk"])
    days = march_row(clerk, tree, serving)
    assert days[1] == "P"  # Mon 2 March
    html = grid_post(clerk, tree["t1"], D(2026, 3, 1), serving, days[:1] + "H" + days[2:]).content.decode()
    assert "2日" in html and not AttendanceRecord.objects.exists()
    HolidayOverride.objects.create(region=tree["county"], date=D(2026, 3, 2), kind="holiday", name="县庆")
    days = march_row(clerk, tree, serving)
    assert days[1] == "H"
    grid_post(clerk, tree["t1"], D(2026, 3, 1), serving, days)
    assert AttendanceRecord.objects.get().days[1] == "H"


def test_days_to_come_start_as_dots_and_refuse_p_a_and_b(client_for, personas, serving, tree):
    clerk = client_for(personas["clerk"])
    month = (timezone.localdate().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    url = reverse("attendance:sheet", args=[tree["t1"].code, f"{month:%Y-%m}"])
    response = clerk.get(url)
    days = response.context["rows"][0].days
    cal = response.context["calendar"]
    assert days == "".join("." if d.is_working_day else "H" for d in cal.days)
    working = next(i for i, d in enumerate(cal.days) if d.is_working_day)
    for code in "PAB":
        html = grid_post(clerk, tree["t1"], month, serving, days[:working] + code + days[working + 1 :])
        assert f"{working + 1}日" in html.content.decode()
    assert not AttendanceRecord.objects.exists()
    grid_post(clerk, tree["t1"], month, serving, days)
    record = AttendanceRecord.objects.get()
    assert record.days == days and record.present_days == 0


def test_the_admin_holds_the_same_rules(personas, serving, tree, client_for):
    record = make_sheet(client_for(personas["clerk"]), tree["t1"], D(2026, 3, 1), serving)
    record.days = record.days[:2] + "L" + record.days[3:]
    with pytest.raises(ValidationError) as refused:
        record.full_clean()
    assert "3日" in str(refused.value)


def test_a_sheet_is_submitted_only_once_its_last_working_day_has_come(client_for, personas, serving, tree):
    record = make_sheet(client_for(personas["clerk"]), tree["t1"], D(2026, 9, 1), serving)
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    with pytest.raises(ValidationError) as early:
        sheet.submit(personas["clerk"], today=D(2026, 9, 29))
    assert "2026-09-30" in early.value.messages[0]
    # The county gives 30 September off: the 29th is the last working day.
    HolidayOverride.objects.create(region=tree["county"], date=D(2026, 9, 30), kind="holiday", name="县庆")
    sheet.submit(personas["clerk"], today=D(2026, 9, 29))
    assert sheet.state == "submitted"


def test_a_sheet_with_days_come_but_not_recorded_is_not_submitted(client_for, personas, serving, tree):
    record = make_sheet(client_for(personas["clerk"]), tree["t1"], D(2026, 9, 1), serving)
    AttendanceRecord.objects.filter(pk=record.pk).update(days=record.days[:14] + "." + record.days[15:])
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    with pytest.raises(ValidationError) as refused:
        sheet.submit(personas["clerk"], today=D(2026, 10, 1))
    assert "在岗书记" in refused.value.messages[0] and "15" in refused.value.messages[0]
    # Submitted early (as the policy allows), days still to come may stay '.'.
    Policy.objects.create(region=tree["county"], submit_before_month_end=True)
    sheet.submit(personas["clerk"], today=D(2026, 9, 14))
    assert sheet.state == "submitted"


def test_a_sheet_may_be_submitted_early_when_the_policy_allows(client_for, personas, serving, tree):
    record = make_sheet(client_for(personas["clerk"]), tree["t1"], D(2026, 9, 1), serving)
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    Policy.objects.create(region=tree["county"], submit_before_month_end=True)
    sheet.submit(personas["clerk"], today=D(2026, 9, 10))
    assert sheet.state == "submitted"


def test_leave_approved_after_submission_marks_the_sheet_with_one_true_message(
    client_for, personas, serving, tree
):
    clerk = client_for(personas["clerk"])
    record = make_sheet(clerk, tree["t1"], D(2026, 3, 1), serving)
    before = record.days
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    sheet.submit(personas["clerk"])
    sheet.approve(personas["county_admin"])
    leave = ask(serving, D(2026, 3, 12), D(2026, 3, 13), personas["clerk"])
    response = clerk.post(reverse("leave:decide", args=[leave.pk, "approve"]), follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert len(shown) == 1 and "2026-03" in shown[0]
    record.refresh_from_db()
    assert record.days == before
    sheet.refresh_from_db()
    assert (
        sheet.needs_correction and "在岗书记" in sheet.correction_note and "12, 13" in sheet.correction_note
    )
    # The county admin, who can reopen it, has it as a to-do; the clerk does not.
    (group,) = todos_of_kind(personas["county_admin"], "correct_sheet")
    assert group.items[0][1] == sheet.get_absolute_url()
    assert not todos_of_kind(personas["clerk"], "correct_sheet")
    sheet.reopen(personas["county_admin"], "补录请假")
    sheet.refresh_from_db()
    record.refresh_from_db()
    assert not sheet.needs_correction and sheet.correction_note == ""
    assert record.days[11:13] == "LL"
    assert not todos_of_kind(personas["county_admin"], "correct_sheet")


def test_leave_approved_for_a_cadre_missing_from_a_submitted_sheet_marks_it_too(
    client_for, personas, serving, tree, make_village, make_cadre, dispatch
):
    record = make_sheet(client_for(personas["clerk"]), tree["t1"], D(2026, 3, 1), serving)
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    sheet.submit(personas["clerk"])
    # Dispatched after the sheet went in: no row on it.
    newcomer = dispatch(make_cadre(name="新来的"), make_village(name="南村"), start=D(2026, 3, 2))
    leave = ask(newcomer, D(2026, 3, 12), D(2026, 3, 12), personas["clerk"])
    assert [s.pk for s in leave.approve(personas["clerk"])] == [sheet.pk]
    sheet.refresh_from_db()
    assert sheet.needs_correction and "新来的" in sheet.correction_note


def test_approving_leave_on_an_open_sheet_says_one_thing(client_for, personas, serving, tree):
    clerk = client_for(personas["clerk"])
    make_sheet(clerk, tree["t1"], D(2026, 3, 1), serving)
    leave = ask(serving, D(2026, 3, 12), D(2026, 3, 13), personas["clerk"])
    response = clerk.post(reverse("leave:decide", args=[leave.pk, "approve"]), follow=True)
    assert len(list(response.context["messages"])) == 1
    assert AttendanceRecord.objects.get().days[11:13] == "LL"


def test_a_submitted_sheet_that_needs_correction_is_not_approved_until_reopened_and_resubmitted(
    client_for, personas, serving, tree
):
    clerk = client_for(personas["clerk"])
    record = make_sheet(clerk, tree["t1"], D(2026, 3, 1), serving)
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    sheet.submit(personas["clerk"])
    ask(serving, D(2026, 3, 12), D(2026, 3, 13), personas["clerk"]).approve(personas["clerk"])
    sheet.refresh_from_db()
    assert sheet.needs_correction
    with pytest.raises(ValidationError, match="重新上报"):
        sheet.approve(personas["county_admin"])
    sheet.refresh_from_db()
    assert sheet.state == "submitted" and sheet.allowance_per_day is None
    sheet.reopen(personas["county_admin"], "补录请假")
    sheet.submit(personas["clerk"])
    sheet.approve(personas["county_admin"])
    record.refresh_from_db()
    assert sheet.state == "approved" and record.days[11:13] == "LL"


def test_a_leave_on_rest_days_only_is_refused_as_no_leave_needed(serving, personas):
    # 2026-10-01 … 10-08 is the National Day holiday: no working day, so nothing to take leave from.
    with pytest.raises(ValidationError) as refused:
        ask(serving, D(2026, 10, 3), D(2026, 10, 4), personas["clerk"], today=D(2026, 9, 1))
    assert "没有工作日" in str(refused.value.message_dict["end_date"])
    assert not LeaveRequest.objects.exists()
    # One working day inside makes it a leave.
    assert ask(serving, D(2026, 10, 8), D(2026, 10, 9), personas["clerk"], today=D(2026, 9, 1)).pk


def test_a_county_page_loaded_before_a_leave_marked_the_sheet_cannot_approve_it(
    client_for, personas, serving, tree
):
    # Two people at once: the county opened the submitted sheet; meanwhile a leave on it is approved.
    # The county's copy is stale, but approval reads the locked row and refuses.
    clerk = client_for(personas["clerk"])
    record = make_sheet(clerk, tree["t1"], D(2026, 3, 1), serving)
    AttendanceSheet.objects.get(pk=record.sheet_id).submit(personas["clerk"])
    county_copy = AttendanceSheet.objects.get(pk=record.sheet_id)
    ask(serving, D(2026, 3, 12), D(2026, 3, 13), personas["clerk"]).approve(personas["clerk"])
    assert not county_copy.needs_correction
    with pytest.raises(ValidationError, match="重新上报"):
        county_copy.approve(personas["county_admin"])
    assert AttendanceSheet.objects.get(pk=record.sheet_id).state == "submitted"


def test_a_leave_approved_by_one_clerk_cannot_then_be_rejected_from_a_page_loaded_before(serving, personas):
    leave = ask(serving, D(2026, 3, 12), D(2026, 3, 13), personas["clerk"])
    stale = LeaveRequest.objects.get(pk=leave.pk)
    leave.approve(personas["clerk"])
    with pytest.raises(ValidationError):
        stale.reject(personas["county_admin"], "理由不充分")
    with pytest.raises(ValidationError):
        stale.cancel(personas["county_admin"])
    assert LeaveRequest.objects.get(pk=leave.pk).state == "approved"
