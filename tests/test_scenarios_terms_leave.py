"""Scenarios an organisation department would try against issue 12, items 1–9 (eligibility and terms;
attendance and leave), built from POLICY.md and the seeds: anniversaries, 29 February, month ends,
Spring Festival and National Day with their 调休 Saturdays (chinesecalendar 2025–2026), county
holiday entries, leave touching across weekends and holidays, two months and two years, recall
recorded today with the last day to come, successors the day after, ID numbers at the edges.

2026 in chinesecalendar: 1–3 Jan 元旦 (Sun 4 Jan worked); 15–23 Feb 春节 (Sat 14 and Sat 28 Feb
worked); 25–27 Sep 中秋节 (Sun 20 Sep worked); 1–7 Oct 国庆节 (Sat 10 Oct worked). 2025: 28 Jan –
4 Feb 春节 (Sun 26 Jan, Sat 8 Feb worked); 1–8 Oct 国庆/中秋 (Sun 28 Sep, Sat 11 Oct worked).
"""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from assignments import attendance, coverage
from assignments import leave as leave_rules
from assignments.models import (
    Assignment,
    AttendanceRecord,
    AttendanceSheet,
    HolidayOverride,
    LeaveRequest,
    Policy,
    SpotCheck,
)
from cadres import idcard
from cadres.models import Cadre
from dashboard import todos
from excel import exports, imports
from villages.models import Village

from .conftest import make_id

D = datetime.date
DAY = datetime.timedelta(days=1)
BEFORE = D(2025, 1, 1)  # requests made well ahead unless the scenario is a 补假


def xlsx(headers, *rows):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def ask(a, start, end, user, today=BEFORE):
    return leave_rules.request_leave(a, start, end, "家事", user, today=today)


def kinds(user, kind):
    return [g for g in todos.for_user(user) if g.kind == kind]


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    """A first secretary in 沐浴店镇 serving from 2025-03-01 to 2027-02-28."""
    return dispatch(make_cadre(name="在岗书记"), make_village(name="东村"))


def open_row(client, township, month, assignment):
    """Open the grid of ``month`` and save it as shown, so the row exists."""
    url = reverse("attendance:sheet", args=[township.code, f"{month:%Y-%m}"])
    response = client.get(url)
    row = next(r for r in response.context["rows"] if r.assignment == assignment)
    client.post(
        url, {"version": response.context["sheet"].version, f"row-{assignment.pk}": row.days}, follow=True
    )
    return AttendanceRecord.objects.get(assignment=assignment, sheet__month=month)


# === 1. 党龄 counts from 转正 ==========================================================================
def test_a_full_member_one_day_short_of_a_year_since_full_membership_is_refused_and_passes_the_next_day(
    make_cadre, make_village, dispatch
):
    c = make_cadre(joined=D(2023, 3, 1), full_member=D(2024, 3, 1))
    with pytest.raises(ValidationError) as short:
        dispatch(c, make_village(), start=D(2025, 2, 28))
    assert "2024-03-01" in str(short.value)
    assert dispatch(c, make_village(), start=D(2025, 3, 1)).pk


def test_joining_long_ago_does_not_help_when_full_membership_is_recent(make_cadre, make_village, dispatch):
    # Joined 20 years ago but full member only since 2024-06-01 (e.g. re-admitted): 党龄 < 1 year.
    c = make_cadre(joined=D(2005, 6, 1), full_member=D(2024, 6, 1))
    with pytest.raises(ValidationError):
        dispatch(c, make_village(), start=D(2025, 3, 1))
    # As a work-team member, party age does not matter.
    assert dispatch(c, make_village(), role="team_member", start=D(2025, 3, 1)).pk


def test_full_membership_on_29_february_completes_its_year_on_1_march(make_cadre, make_village, dispatch):
    c = make_cadre(joined=D(2023, 2, 28), full_member=D(2024, 2, 29))
    with pytest.raises(ValidationError):
        dispatch(c, make_village(), start=D(2025, 2, 28))
    assert dispatch(c, make_village(), start=D(2025, 3, 1)).pk


def test_full_membership_on_the_day_of_joining_counts_from_that_day(make_cadre, make_village, dispatch):
    c = make_cadre(joined=D(2024, 3, 1), full_member=D(2024, 3, 1))
    assert dispatch(c, make_village(), start=D(2025, 3, 1)).pk


def test_a_probationary_member_with_a_full_membership_date_is_refused_by_the_record_and_the_database(
    make_cadre, tree
):
    c = make_cadre(status="probationary", joined=D(2025, 1, 1))
    c.party_full_member_on = D(2025, 6, 1)
    with pytest.raises(ValidationError) as refused:
        c.full_clean()
    assert "party_full_member_on" in refused.value.message_dict
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Cadre.objects.filter(pk=c.pk).update(party_full_member_on=D(2025, 6, 1))


def test_full_membership_today_is_accepted_and_tomorrow_is_refused(make_cadre):
    today = timezone.localdate()
    c = make_cadre(joined=D(2020, 1, 1), full_member=D(2021, 1, 1))
    c.party_full_member_on = today
    c.full_clean()
    c.party_full_member_on = today + DAY
    with pytest.raises(ValidationError) as refused:
        c.full_clean()
    assert (today + DAY).isoformat() in refused.value.message_dict["party_full_member_on"][0]


# === 2. a term ends the day before its anniversary ===================================================
def test_a_term_started_on_29_february_ends_on_28_february_and_the_successor_starts_on_1_march(
    make_cadre, make_village, dispatch
):
    village = make_village()
    first = dispatch(make_cadre(name="甲"), village, start=D(2024, 2, 29))
    assert first.planned_end_date == D(2026, 2, 28)
    with pytest.raises(ValidationError):
        dispatch(make_cadre(name="乙"), village, start=D(2026, 2, 28))
    assert dispatch(make_cadre(name="乙"), village, start=D(2026, 3, 1)).pk


def test_a_three_year_term_from_1_march_2025_ends_on_29_february_2028(
    make_cadre, make_village, dispatch, tree
):
    Policy.objects.create(region=tree["county"], term_years=3)
    a = dispatch(make_cadre(), make_village(), start=D(2025, 3, 1))
    assert a.planned_end_date == D(2028, 2, 29)


def test_a_term_from_the_last_day_of_a_month_ends_the_day_before_its_anniversary(
    make_cadre, make_village, dispatch
):
    a = dispatch(make_cadre(), make_village(), start=D(2025, 12, 31))
    assert a.planned_end_date == D(2027, 12, 30)
    # The same cadre's second term in the same village starts on the anniversary.
    again = dispatch(a.cadre, a.village, start=D(2027, 12, 31))
    assert again.planned_end_date == D(2029, 12, 30)


def test_an_assignment_import_of_a_29_february_start_plans_28_february(personas, make_cadre, make_village):
    village, cadre = make_village(), make_cadre()
    result = imports.run(
        "assignments",
        xlsx(
            ["身份证号", "村代码", "职务", "任职时间"],
            [cadre.id_number, village.code, "第一书记", "2024-02-29"],
        ),
        personas["county_admin"],
        filename="a.xlsx",
    )
    assert result.ok, result.errors
    assert Assignment.objects.get().planned_end_date == D(2026, 2, 28)


# === 3. the team maximum over the whole term ========================================================
@pytest.fixture
def capped(tree):
    return Policy.objects.create(region=tree["county"], team_max_size=3)


def test_a_member_starting_later_counts_against_the_maximum(capped, make_cadre, make_village, dispatch):
    village = make_village()
    dispatch(make_cadre(name="书记"), village, start=D(2025, 3, 1))
    dispatch(make_cadre(name="队员甲"), village, role="team_member", start=D(2025, 3, 1))
    dispatch(make_cadre(name="队员乙"), village, role="team_member", start=D(2026, 1, 1))
    with pytest.raises(ValidationError) as refused:
        dispatch(make_cadre(name="队员丙"), village, role="team_member", start=D(2025, 6, 1))
    assert "2026-01-01" in str(refused.value)


def test_a_member_ending_the_day_before_leaves_room_for_the_newcomer(
    capped, make_cadre, make_village, dispatch, personas
):
    village = make_village()
    dispatch(make_cadre(name="书记"), village, start=D(2025, 3, 1))
    dispatch(make_cadre(name="队员甲"), village, role="team_member", start=D(2025, 3, 1))
    leaving = dispatch(make_cadre(name="队员乙"), village, role="team_member", start=D(2025, 3, 1))
    leaving.recall(D(2025, 5, 31), "工作不胜任", personas["county_admin"])
    assert dispatch(make_cadre(name="队员丙"), village, role="team_member", start=D(2025, 6, 1)).pk
    # Starting on the recalled member's last day would make four.
    with pytest.raises(ValidationError) as refused:
        dispatch(
            make_cadre(name="队员丁"),
            village,
            role="team_member",
            start=D(2025, 5, 31),
            planned_end_date=D(2025, 5, 31) + DAY,
        )
    assert "2025-05-31" in str(refused.value)


def test_extending_a_term_into_a_later_members_term_is_refused(
    capped, make_cadre, make_village, dispatch, personas
):
    village = make_village()
    dispatch(make_cadre(name="书记"), village, start=D(2025, 3, 1), planned_end_date=D(2028, 2, 29))
    short = dispatch(
        make_cadre(name="队员甲"),
        village,
        role="team_member",
        start=D(2025, 3, 1),
        planned_end_date=D(2025, 12, 31),
    )
    dispatch(make_cadre(name="队员乙"), village, role="team_member", start=D(2025, 3, 1))
    dispatch(make_cadre(name="队员丙"), village, role="team_member", start=D(2026, 1, 1))
    with pytest.raises(ValidationError) as refused:
        short.extend(D(2026, 1, 1), "工作需要", personas["county_admin"])
    assert "2026-01-01" in str(refused.value)
    short.refresh_from_db()
    assert short.planned_end_date == D(2025, 12, 31)


def test_an_import_refuses_a_member_whose_term_meets_a_later_starter(
    capped, personas, make_cadre, make_village, dispatch
):
    village = make_village()
    dispatch(make_cadre(name="书记"), village, start=D(2025, 3, 1))
    dispatch(make_cadre(name="队员甲"), village, role="team_member", start=D(2025, 3, 1))
    newcomer = make_cadre(name="队员乙")
    later = make_cadre(name="队员丙")
    result = imports.run(
        "assignments",
        xlsx(
            ["身份证号", "村代码", "职务", "任职时间"],
            [later.id_number, village.code, "工作队员", "2026-01-01"],
            [newcomer.id_number, village.code, "工作队员", "2025-06-01"],
        ),
        personas["county_admin"],
        filename="a.xlsx",
    )
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, "村代码")]
    assert "2026-01-01" in result.errors[0].message
    assert Assignment.objects.count() == 2


# === 4. plausible ID numbers ========================================================================
def _id(area, birth, order="123"):
    first17 = f"{area}{birth:%Y%m%d}{order}"
    return first17 + idcard.check_digit(first17)


@pytest.mark.parametrize(
    "prefix", ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82"]
)
def test_province_codes_at_the_edges_of_each_range_are_accepted(prefix):
    assert idcard.parse(_id(prefix + "0101", D(1985, 5, 1)))[0] == D(1985, 5, 1)


@pytest.mark.parametrize(
    "prefix",
    [
        "00",
        "10",
        "16",
        "20",
        "24",
        "30",
        "38",
        "40",
        "47",
        "49",
        "55",
        "60",
        "66",
        "70",
        "72",
        "80",
        "83",
        "91",
        "99",
    ],
)
def test_province_codes_just_outside_each_range_are_refused_by_the_parser_and_the_database(prefix, tree):
    number = _id(prefix + "0101", D(1985, 5, 1))
    with pytest.raises(idcard.IdNumberError) as refused:
        idcard.parse(number)
    assert prefix in str(refused.value)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Cadre.objects.bulk_create(
            [
                Cadre(
                    name="某",
                    gender="M",
                    id_number=number,
                    birth_date=D(1985, 5, 1),
                    political_status="masses",
                    unit=tree["unit"],
                    rank="section",
                    region=tree["county"],
                )
            ]
        )


def test_a_birth_date_today_is_accepted_and_tomorrow_refused():
    today = timezone.localdate()
    assert idcard.parse(_id("370682", today))[0] == today
    with pytest.raises(idcard.IdNumberError):
        idcard.parse(_id("370682", today + DAY))
    assert idcard.parse(_id("370682", D(1900, 1, 1)))[0] == D(1900, 1, 1)
    with pytest.raises(idcard.IdNumberError):
        idcard.parse(_id("370682", D(1899, 12, 31)))


def test_the_cadre_import_refuses_a_birth_date_tomorrow_and_an_unknown_province_naming_the_row(
    personas, tree
):
    tomorrow = timezone.localdate() + DAY
    headers = ["姓名", "身份证号", "政治面貌", "参加工作时间", "派出单位", "职级"]
    result = imports.run(
        "cadres",
        xlsx(
            headers,
            ["甲", make_id(D(1985, 5, 1)), "群众", "2008-08-01", "莱阳市财政局", "正科级"],
            ["乙", _id("370682", tomorrow), "群众", "2008-08-01", "莱阳市财政局", "正科级"],
            ["丙", _id("160682", D(1985, 5, 1)), "群众", "2008-08-01", "莱阳市财政局", "正科级"],
        ),
        personas["county_admin"],
        filename="a.xlsx",
    )
    assert [(e.row, e.column) for e in result.errors] == [(3, "身份证号"), (4, "身份证号")]
    assert not Cadre.objects.exists()


# === 5. a recall or term end shows as a gap at once =================================================
def test_a_recall_recorded_today_with_the_last_day_to_come_is_a_gap_at_once(
    make_cadre, make_village, dispatch, personas, client_for
):
    today = timezone.localdate()
    village = make_village(name="召回村")
    a = dispatch(make_cadre(name="被召回"), village, start=today - datetime.timedelta(days=100))
    a.recall(today + datetime.timedelta(days=10), "群众不满意", personas["county_admin"])
    status = coverage.village_status(village, today)
    assert status.recall_gap and status.lacks_secretary and status.has_secretary
    assert coverage.summary(Village.objects.all(), today)["recall_gap"] == 1
    assert list(coverage.filter_state(Village.objects.all(), "recall_gap", today)) == [village]
    (group,) = kinds(personas["county_admin"], "replace_secretary")
    assert group.count == 1 and "召回村" in group.items[0][0] and "召回待补派" in group.items[0][0]
    page = client_for(personas["county_admin"]).get(village.get_absolute_url()).content.decode()
    assert "召回待补派" in page


def test_a_successor_starting_the_day_after_the_recalled_last_day_closes_the_gap(
    make_cadre, make_village, dispatch, personas
):
    today = timezone.localdate()
    village = make_village()
    a = dispatch(make_cadre(name="前任"), village, start=today - datetime.timedelta(days=100))
    last = today + datetime.timedelta(days=10)
    a.recall(last, "工作不胜任", personas["county_admin"])
    dispatch(make_cadre(name="继任"), village, start=last + DAY)
    for day in (today, last, last + DAY):
        status = coverage.village_status(village, day)
        assert not status.awaiting and not status.lacks_secretary, day


def test_a_term_ended_as_completed_before_its_planned_end_shows_awaiting_a_replacement(
    make_cadre, make_village, dispatch, personas
):
    today = timezone.localdate()
    village = make_village()
    a = dispatch(make_cadre(), village, start=today - datetime.timedelta(days=700))
    a.end(min(a.planned_end_date, today + DAY * 5), "term_completed", personas["county_admin"])
    status = coverage.village_status(village, today)
    assert status.term_gap and not status.recall_gap and status.lacks_secretary


def test_the_coverage_export_names_the_recall_gap_on_the_day_it_is_recorded(
    make_cadre, make_village, dispatch, personas
):
    today = timezone.localdate()
    village = make_village(name="导出村")
    a = dispatch(make_cadre(), village, start=today - datetime.timedelta(days=100))
    a.recall(today + datetime.timedelta(days=3), "群众不满意", personas["county_admin"])
    out = io.BytesIO()
    villages = coverage.annotate(Village.objects.all(), today)
    exports.build_coverage(villages, out, region_label="莱阳市", day=today)
    out.seek(0)
    rows = [[c.value for c in row] for row in load_workbook(out).active.iter_rows()]
    header = next(r for r in rows if "召回待补派" in r)
    township = next(r for r in rows if r[header.index("乡镇")] == "沐浴店镇")
    assert township[header.index("召回待补派")] == 1 and township[header.index("缺第一书记")] == 1


# === 6. leave in working days ========================================================================
def test_a_leave_over_spring_festival_counts_the_worked_saturday_and_not_the_holiday(serving, personas):
    # Fri 13 – Tue 24 Feb 2026: Fri 13, Sat 14 (调休, worked), Tue 24; 15–23 are the holiday.
    leave = ask(serving, D(2026, 2, 13), D(2026, 2, 24), personas["clerk"])
    assert leave.working_days == 3 and leave.approval_level == "township"


def test_leaves_across_spring_festival_touch_but_the_worked_saturday_keeps_them_apart(serving, personas):
    # Thu 12 – Fri 13 Feb, then Tue 24 Feb: Sat 14 Feb is a working day (调休), so they are apart.
    ask(serving, D(2026, 2, 12), D(2026, 2, 13), personas["clerk"])
    apart = ask(serving, D(2026, 2, 24), D(2026, 2, 24), personas["clerk"])
    assert apart.approval_level == "township"
    assert leave_rules.combined_working_days(serving, D(2026, 2, 24), D(2026, 2, 24), apart.pk) == 1
    # Taking the worked Saturday too joins them through the holiday: 2 + 1 + 1 = 4 working days.
    joined = ask(serving, D(2026, 2, 14), D(2026, 2, 14), personas["clerk"])
    assert joined.approval_level == "county"


def test_a_leave_over_new_year_counts_working_days_in_both_years_for_the_cap(serving, personas, tree):
    Policy.objects.create(region=tree["county"], max_leave_days_per_year=3)
    # Mon 29 Dec 2025 – Mon 5 Jan 2026: 29, 30, 31 Dec; Sun 4 Jan (worked) and Mon 5 Jan.
    leave = ask(serving, D(2025, 12, 29), D(2026, 1, 5), personas["clerk"])
    assert leave.working_days == 5 and leave.approval_level == "county"
    leave.approve(personas["county_admin"])
    assert leave_rules.leave_days_by_cadre([serving.cadre_id], 2025) == {serving.cadre_id: 3}
    assert leave_rules.leave_days_by_cadre([serving.cadre_id], 2026) == {serving.cadre_id: 2}
    # Exactly at the cap is not over it.
    assert leave_rules.over_leave_cap(serving, 2025) is None
    extra = ask(serving, D(2025, 12, 22), D(2025, 12, 22), personas["clerk"])
    extra.approve(personas["clerk"])
    assert leave_rules.over_leave_cap(serving, 2025) == (4, 3)


def test_a_leave_over_two_months_writes_l_into_an_open_sheet_and_marks_the_closed_one(
    client_for, personas, serving, tree
):
    clerk = client_for(personas["clerk"])
    march = open_row(clerk, tree["t1"], D(2026, 3, 1), serving)
    april = open_row(clerk, tree["t1"], D(2026, 4, 1), serving)
    sheet = AttendanceSheet.objects.get(pk=march.sheet_id)
    sheet.submit(personas["clerk"], today=D(2026, 4, 1))
    # Mon 30 Mar – Thu 2 Apr: four working days, the county decides.
    leave = ask(serving, D(2026, 3, 30), D(2026, 4, 2), personas["clerk"])
    assert leave.approval_level == "county"
    assert [s.pk for s in leave.approve(personas["county_admin"])] == [sheet.pk]
    april.refresh_from_db()
    assert april.days[:2] == "LL"
    sheet.refresh_from_db()
    assert sheet.needs_correction and "30, 31" in sheet.correction_note
    march.refresh_from_db()
    assert march.days[29:31] == "PP"
    sheet.reopen(personas["county_admin"], "补录请假")
    march.refresh_from_db()
    assert march.days[29:31] == "LL"


def test_the_township_maximum_set_by_the_county_counts_working_days(serving, personas, tree):
    Policy.objects.create(region=tree["county"], township_leave_max_days=1)
    # Fri 6 – Sun 8 Mar: one working day.
    assert ask(serving, D(2026, 3, 6), D(2026, 3, 8), personas["clerk"]).approval_level == "township"
    assert ask(serving, D(2026, 3, 16), D(2026, 3, 17), personas["clerk"]).approval_level == "county"


def test_leave_of_an_adjusted_cadre_touching_across_the_move_is_one_leave(
    make_cadre, make_village, dispatch, personas, tree
):
    cadre = make_cadre(name="调整者")
    first = dispatch(cadre, make_village(), role="team_member", start=D(2025, 3, 1))
    first.end(D(2026, 3, 13), "adjusted", personas["county_admin"])  # a Friday
    second = dispatch(cadre, make_village(township=tree["t2"]), role="team_member", start=D(2026, 3, 16))
    ask(first, D(2026, 3, 11), D(2026, 3, 13), personas["clerk"])  # Wed–Fri in the first village
    monday = ask(second, D(2026, 3, 16), D(2026, 3, 16), personas["other_clerk"])
    assert monday.approval_level == "county"


# === 7. 请假在先 ======================================================================================
def test_a_leave_requested_on_its_first_day_is_not_a_makeup_and_the_next_day_is(serving, personas):
    on_the_day = ask(serving, D(2026, 3, 2), D(2026, 3, 3), personas["clerk"], today=D(2026, 3, 2))
    assert not on_the_day.retroactive and on_the_day.approval_level == "township"
    # Requested on a Saturday for the Friday before: a 补假 even of one day.
    late = ask(serving, D(2026, 3, 6), D(2026, 3, 6), personas["clerk"], today=D(2026, 3, 7))
    assert late.retroactive and late.approval_level == "county"


def test_the_clerk_cannot_approve_a_makeup_leave_and_the_county_can(serving, personas, client_for):
    yesterday = timezone.localdate() - DAY
    late = leave_rules.request_leave(serving, yesterday, yesterday, "急病", personas["clerk"])
    assert late.retroactive
    response = client_for(personas["clerk"]).post(reverse("leave:decide", args=[late.pk, "approve"]))
    assert response.status_code in (403, 404)
    assert LeaveRequest.objects.get(pk=late.pk).state == "pending"
    client_for(personas["county_admin"]).post(reverse("leave:decide", args=[late.pk, "approve"]))
    assert LeaveRequest.objects.get(pk=late.pk).state == "approved"


def test_a_makeup_leave_approved_after_a_finding_leaves_the_finding_standing(serving, personas):
    today = timezone.localdate()
    day = today - datetime.timedelta(days=1)
    while not attendance.work_days(serving.village.township).is_working(day):
        day -= DAY
    check = SpotCheck.objects.create(
        assignment=serving, date=day, method="phone", found_present=False, checked_by=personas["clerk"]
    )
    SpotCheck.objects.filter(pk=check.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    late = leave_rules.request_leave(serving, day, day, "急事", personas["clerk"])
    late.approve(personas["county_admin"])
    assert leave_rules.unexcused_absences_by_assignment([serving.pk], day.year) == {serving.pk: 1}


# === 8. 销假 ==========================================================================================
def test_an_early_return_on_a_saturday_counts_only_the_days_taken(client_for, personas, serving, tree):
    record = open_row(client_for(personas["clerk"]), tree["t1"], D(2026, 3, 1), serving)
    leave = ask(serving, D(2026, 3, 12), D(2026, 3, 17), personas["clerk"])  # Thu – Tue, 4 working days
    leave.approve(personas["county_admin"])
    record.refresh_from_db()
    assert record.days[11:17] == "LLHHLL"
    leave.report_return(D(2026, 3, 14), personas["clerk"], today=D(2026, 3, 14))  # back on Saturday
    record.refresh_from_db()
    assert record.days[11:17] == "LLHHPP"
    assert leave.working_days == 2
    assert leave_rules.leave_days_by_cadre([serving.cadre_id], 2026) == {serving.cadre_id: 2}


def test_a_return_on_the_first_day_of_leave_takes_no_day(client_for, personas, serving, tree):
    leave = ask(serving, D(2026, 3, 12), D(2026, 3, 13), personas["clerk"])
    leave.approve(personas["clerk"])
    leave.report_return(D(2026, 3, 12), personas["clerk"], today=D(2026, 3, 12))
    assert leave.working_days == 0
    assert leave_rules.leave_days_by_cadre([serving.cadre_id], 2026).get(serving.cadre_id, 0) == 0
    assert attendance.approved_leave_dates([serving.pk], D(2026, 3, 1), D(2026, 3, 31)) == {}


def test_a_return_due_on_the_worked_saturday_of_spring_festival_is_overdue_on_sunday(serving, personas):
    leave = ask(serving, D(2026, 2, 12), D(2026, 2, 13), personas["clerk"])  # Thu–Fri
    leave.approve(personas["clerk"])
    qs = LeaveRequest.objects.all()
    assert leave_rules.overdue_returns(qs, D(2026, 2, 14)) == []
    (late,) = leave_rules.overdue_returns(qs, D(2026, 2, 15))
    assert late.return_due == D(2026, 2, 14)


def test_a_return_due_after_spring_festival_is_not_overdue_during_the_holiday(serving, personas):
    leave = ask(serving, D(2026, 2, 14), D(2026, 2, 14), personas["clerk"])  # the worked Saturday
    leave.approve(personas["clerk"])
    qs = LeaveRequest.objects.all()
    for day in (D(2026, 2, 16), D(2026, 2, 20), D(2026, 2, 24)):
        assert leave_rules.overdue_returns(qs, day) == [], day
    (late,) = leave_rules.overdue_returns(qs, D(2026, 2, 25))
    assert late.return_due == D(2026, 2, 24)
    (marked,) = leave_rules.mark_leaves(
        LeaveRequest.objects.select_related("assignment__village__township"), D(2026, 2, 25)
    )
    assert marked.overdue


def test_a_county_holiday_after_the_leave_moves_the_return_due_day(serving, personas, tree):
    leave = ask(serving, D(2026, 3, 12), D(2026, 3, 13), personas["clerk"])  # Thu–Fri
    leave.approve(personas["clerk"])
    HolidayOverride.objects.create(region=tree["county"], date=D(2026, 3, 16), kind="holiday", name="县庆")
    qs = LeaveRequest.objects.all()
    assert leave_rules.overdue_returns(qs, D(2026, 3, 17)) == []
    (late,) = leave_rules.overdue_returns(qs, D(2026, 3, 18))
    assert late.return_due == D(2026, 3, 17)


# === 9. the grid accepts only what is true ===========================================================
def grid_post(client, township, month, assignment, days):
    url = reverse("attendance:sheet", args=[township.code, f"{month:%Y-%m}"])
    response = client.get(url)
    return client.post(
        url, {"version": response.context["sheet"].version, f"row-{assignment.pk}": days}, follow=True
    )


def test_the_grid_takes_l_on_the_worked_saturday_of_a_leave_and_refuses_it_on_the_holiday(
    client_for, personas, serving, tree
):
    clerk = client_for(personas["clerk"])
    record = open_row(clerk, tree["t1"], D(2026, 2, 1), serving)
    leave = ask(serving, D(2026, 2, 13), D(2026, 2, 24), personas["clerk"])
    leave.approve(personas["clerk"])
    record.refresh_from_db()
    days = record.days
    assert days[12:24] == "LL" + "H" * 9 + "L"
    # L on Mon 16 Feb (春节) is refused, H on the worked Saturday 28 Feb too.
    html = grid_post(clerk, tree["t1"], D(2026, 2, 1), serving, days[:15] + "L" + days[16:]).content.decode()
    assert "16日" in html
    html = grid_post(clerk, tree["t1"], D(2026, 2, 1), serving, days[:27] + "H").content.decode()
    assert "28日" in html
    record.refresh_from_db()
    assert record.days == days


def test_a_county_holiday_entered_after_the_grid_was_opened_takes_h_on_save(
    client_for, personas, serving, tree
):
    clerk = client_for(personas["clerk"])
    url = reverse("attendance:sheet", args=[tree["t1"].code, "2026-03"])
    response = clerk.get(url)
    days = next(r for r in response.context["rows"] if r.assignment == serving).days
    HolidayOverride.objects.create(region=tree["county"], date=D(2026, 3, 18), kind="holiday", name="县庆")
    sheet = response.context["sheet"]  # not saved yet: opening the grid writes nothing
    attendance.save_grid(sheet, {serving.pk: days[:17] + "H" + days[18:]}, sheet.version, personas["clerk"])
    assert AttendanceRecord.objects.get().days[17] == "H"
    # And the day the county gave off can no longer be written P.
    sheet.refresh_from_db()
    with pytest.raises(attendance.GridError):
        attendance.save_grid(
            sheet, {serving.pk: days[:17] + "L" + days[18:]}, sheet.version, personas["clerk"]
        )


def test_a_sheet_of_a_month_ending_on_saturday_is_submitted_from_friday(client_for, personas, serving, tree):
    record = open_row(client_for(personas["clerk"]), tree["t1"], D(2026, 1, 1), serving)
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    with pytest.raises(ValidationError) as early:
        sheet.submit(personas["clerk"], today=D(2026, 1, 29))
    assert "2026-01-30" in early.value.messages[0]
    sheet.submit(personas["clerk"], today=D(2026, 1, 30))
    assert sheet.state == "submitted"


def test_february_2026_ends_on_a_worked_saturday_so_friday_is_too_early(client_for, personas, serving, tree):
    record = open_row(client_for(personas["clerk"]), tree["t1"], D(2026, 2, 1), serving)
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    with pytest.raises(ValidationError) as early:
        sheet.submit(personas["clerk"], today=D(2026, 2, 27))
    assert "2026-02-28" in early.value.messages[0]
    sheet.submit(personas["clerk"], today=D(2026, 2, 28))
    assert sheet.state == "submitted"


def test_a_county_worked_saturday_at_month_end_moves_the_submission_day(client_for, personas, serving, tree):
    HolidayOverride.objects.create(
        region=tree["county"], date=D(2026, 1, 31), kind="adjusted_workday", name="调休"
    )
    record = open_row(client_for(personas["clerk"]), tree["t1"], D(2026, 1, 1), serving)
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    with pytest.raises(ValidationError):
        sheet.submit(personas["clerk"], today=D(2026, 1, 30))
    sheet.submit(personas["clerk"], today=D(2026, 1, 31))


def test_leave_approved_on_an_approved_sheet_then_reopened_writes_l_only_on_working_days(
    client_for, personas, serving, tree
):
    clerk = client_for(personas["clerk"])
    record = open_row(clerk, tree["t1"], D(2026, 10, 1), serving)
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    sheet.submit(personas["clerk"], today=D(2026, 11, 1))
    sheet.approve(personas["county_admin"])
    # Thu 8 – Mon 12 Oct 2026: Thu 8, Fri 9, Sat 10 (调休, worked) and Mon 12; Sun 11 rests.
    leave = ask(serving, D(2026, 10, 8), D(2026, 10, 12), personas["clerk"])
    assert leave.working_days == 4 and leave.approval_level == "county"
    assert [s.pk for s in leave.approve(personas["county_admin"])] == [sheet.pk]
    sheet.refresh_from_db()
    assert sheet.needs_correction and "8, 9, 10, 12" in sheet.correction_note
    sheet.reopen(personas["county_admin"], "补录请假")
    record.refresh_from_db()
    assert record.days[7:12] == "LLLHL"


def test_a_leave_only_over_the_national_day_holiday_is_refused_and_marks_no_closed_sheet(
    client_for, personas, serving, tree
):
    record = open_row(client_for(personas["clerk"]), tree["t1"], D(2026, 10, 1), serving)
    sheet = AttendanceSheet.objects.get(pk=record.sheet_id)
    sheet.submit(personas["clerk"], today=D(2026, 11, 1))
    # No working day from 2 to 6 October: no leave is needed, so none is registered.
    with pytest.raises(ValidationError) as refused:
        ask(serving, D(2026, 10, 2), D(2026, 10, 6), personas["clerk"])
    assert "没有工作日" in str(refused.value)
    sheet.refresh_from_db()
    assert not sheet.needs_correction and not LeaveRequest.objects.exists()


# === more boundary days =============================================================================
def test_a_cadre_born_on_29_february_is_57_until_28_february_of_the_58th_year(
    make_cadre, make_village, dispatch
):
    born = D(1968, 2, 29)  # the 58th birthday falls on 1 March 2026
    assert dispatch(make_cadre(birth=born, name="甲"), make_village(), start=D(2026, 2, 28)).pk
    with pytest.raises(ValidationError) as refused:
        dispatch(make_cadre(birth=born, name="乙"), make_village(), start=D(2026, 3, 1))
    assert "58" in str(refused.value)


def test_the_village_list_filters_the_term_gap_on_the_day_the_end_is_recorded(
    make_cadre, make_village, dispatch, personas, client_for
):
    today = timezone.localdate()
    village = make_village(name="期满村")
    make_village(name="平安村")
    a = dispatch(make_cadre(), village, start=today - datetime.timedelta(days=100))
    a.end(today + DAY, "term_completed", personas["county_admin"])
    client = client_for(personas["county_admin"])
    listed = client.get(reverse("villages:list") + "?coverage=term_gap").context["page"].object_list
    assert [v.name for v in listed] == ["期满村"]
    assert "期满待补派" in client.get(village.get_absolute_url()).content.decode()


def test_the_cadre_import_takes_full_membership_on_the_day_of_joining_and_on_29_february(personas, tree):
    headers = ["姓名", "身份证号", "政治面貌", "入党时间", "转正时间", "参加工作时间", "派出单位", "职级"]
    result = imports.run(
        "cadres",
        xlsx(
            headers,
            [
                "甲",
                make_id(D(1985, 5, 1)),
                "中共党员",
                "2023-02-28",
                "2023-02-28",
                "2008-08-01",
                "莱阳市财政局",
                "正科级",
            ],
            [
                "乙",
                make_id(D(1986, 5, 1)),
                "中共党员",
                "2023-02-28",
                "2024-02-29",
                "2008-08-01",
                "莱阳市财政局",
                "正科级",
            ],
        ),
        personas["county_admin"],
        filename="a.xlsx",
    )
    assert result.ok, result.errors
    assert dict(Cadre.objects.values_list("name", "party_full_member_on")) == {
        "甲": D(2023, 2, 28),
        "乙": D(2024, 2, 29),
    }


def test_days_to_come_take_l_of_approved_leave_but_not_p_and_rest_days_to_come_stay_h(
    serving, personas, tree
):
    today = timezone.localdate()
    month = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    if month > D(2027, 1, 31):
        pytest.skip("the serving fixture's term ends in February 2027")
    wd = attendance.work_days(tree["t1"])
    first_working = next(d for d in (month + DAY * i for i in range(10)) if wd.is_working(d))
    leave = ask(serving, first_working, first_working, personas["clerk"], today=today)
    leave.approve(personas["clerk"])
    sheet = AttendanceSheet.objects.create(township=tree["t1"], month=month)
    cal = attendance.calendar_for(tree["t1"], month)
    days = "".join("H" if d.is_rest else ("L" if d.date == first_working else ".") for d in cal.days)
    attendance.save_grid(sheet, {serving.pk: days}, sheet.version, personas["clerk"])
    assert AttendanceRecord.objects.get().days == days
    sheet.refresh_from_db()
    i = first_working.day - 1
    with pytest.raises(attendance.GridError):
        attendance.save_grid(
            sheet, {serving.pk: days[:i] + "P" + days[i + 1 :]}, sheet.version, personas["clerk"]
        )
    rest = next(n for n, d in enumerate(cal.days) if d.is_rest)
    with pytest.raises(attendance.GridError):
        attendance.save_grid(
            sheet, {serving.pk: days[:rest] + "." + days[rest + 1 :]}, sheet.version, personas["clerk"]
        )


def test_a_leave_running_to_the_last_day_of_the_term_is_never_an_overdue_return(
    make_cadre, make_village, dispatch, personas
):
    a = dispatch(
        make_cadre(), make_village(), start=D(2024, 3, 1)
    )  # last day Fri 27 Feb 2026... planned 28th
    assert a.planned_end_date == D(2026, 2, 28)
    leave = ask(a, D(2026, 2, 26), D(2026, 2, 28), personas["clerk"])
    leave.approve(personas["clerk"])
    assert leave_rules.overdue_returns(LeaveRequest.objects.all(), D(2026, 3, 10)) == []
    (marked,) = leave_rules.mark_leaves(
        LeaveRequest.objects.select_related("assignment__village__township"), D(2026, 3, 10)
    )
    assert not marked.overdue


def test_a_cadre_recalled_during_leave_owes_no_return_and_the_days_after_the_recall_are_not_leave(
    serving, personas, tree
):
    Policy.objects.create(region=tree["county"], max_leave_days_per_year=3)
    leave = ask(serving, D(2026, 3, 16), D(2026, 3, 20), personas["clerk"])  # Mon–Fri, 5 working days
    leave.approve(personas["county_admin"])
    serving.recall(D(2026, 3, 17), "群众不满意", personas["county_admin"])  # last day Tuesday
    assert leave_rules.overdue_returns(LeaveRequest.objects.all(), D(2026, 3, 30)) == []
    assert leave_rules.leave_days_by_cadre([serving.cadre_id], 2026) == {serving.cadre_id: 2}
    assert leave_rules.over_leave_cap(serving, 2026) is None


def test_the_attendance_workbook_counts_leave_over_spring_festival_in_working_days(
    client_for, personas, serving, tree
):
    record = open_row(client_for(personas["clerk"]), tree["t1"], D(2026, 2, 1), serving)
    ask(serving, D(2026, 2, 13), D(2026, 2, 24), personas["clerk"]).approve(personas["clerk"])
    out = io.BytesIO()
    exports.build_attendance(AttendanceRecord.objects.all(), out, region_label="莱阳市", month=D(2026, 2, 1))
    out.seek(0)
    rows = [[c.value for c in row] for row in load_workbook(out).active.iter_rows()]
    header = next(r for r in rows if "请假天数" in r)
    row = next(r for r in rows if "在岗书记" in r)
    assert row[header.index("请假天数")] == 3
    assert row[header.index("16")] == "休" and row[header.index("14")] == "假"
    record.refresh_from_db()
    assert record.leave_days == 3


def test_the_overdue_filter_of_the_leave_list_leaves_out_a_cadre_recalled_during_leave(
    serving, personas, client_for
):
    leave = ask(serving, D(2026, 3, 16), D(2026, 3, 20), personas["clerk"])
    leave.approve(personas["county_admin"])
    clerk = client_for(personas["clerk"])
    listed = clerk.get(reverse("leave:list") + "?only=overdue").context["page"].object_list
    assert [lv.pk for lv in listed] == [leave.pk]
    serving.recall(D(2026, 3, 18), "群众不满意", personas["county_admin"])
    assert not clerk.get(reverse("leave:list") + "?only=overdue").context["page"].object_list
    assert not kinds(personas["clerk"], "overdue_return")


def test_a_leave_requested_on_the_page_joins_the_leave_it_touches_across_a_weekend(
    serving, personas, client_for
):
    # Mon 14 – Tue 15 Dec 2026, then Thu 10 – Fri 11 Dec asked on the page: one leave of 4 working days.
    first = ask(serving, D(2026, 12, 14), D(2026, 12, 15), personas["clerk"])
    assert first.approval_level == "township"
    response = client_for(personas["clerk"]).post(
        reverse("leave:new"),
        {"assignment": serving.pk, "start_date": "2026-12-10", "end_date": "2026-12-11", "reason": "家事"},
    )
    assert response.status_code == 302
    second = LeaveRequest.objects.exclude(pk=first.pk).get()
    assert leave_rules.combined_working_days(serving, D(2026, 12, 10), D(2026, 12, 11), second.pk) == 4
    assert second.approval_level == "county"


def test_leaves_across_national_day_2025_touch_through_the_holiday_but_not_through_the_worked_sunday(
    serving, personas
):
    # Mon 29 – Tue 30 Sep, then Thu 9 Oct: 1–8 Oct are the holiday, so one leave of 3 working days.
    ask(serving, D(2025, 9, 29), D(2025, 9, 30), personas["clerk"])
    ninth = ask(serving, D(2025, 10, 9), D(2025, 10, 9), personas["clerk"])
    assert ninth.approval_level == "township"
    tenth = ask(serving, D(2025, 10, 10), D(2025, 10, 10), personas["clerk"])
    assert tenth.approval_level == "county"
    # Fri 26 Sep and the Monday after: Sun 28 Sep is worked (调休), so they stay apart.
    ask(serving, D(2025, 9, 24), D(2025, 9, 26), personas["clerk"])
    assert leave_rules.combined_working_days(serving, D(2025, 9, 24), D(2025, 9, 26)) == 3


def test_a_return_after_national_day_2025_falls_due_on_the_first_working_day_after_it(serving, personas):
    leave = ask(serving, D(2025, 9, 30), D(2025, 9, 30), personas["clerk"])
    leave.approve(personas["clerk"])
    qs = LeaveRequest.objects.all()
    assert leave_rules.overdue_returns(qs, D(2025, 10, 9)) == []
    (late,) = leave_rules.overdue_returns(qs, D(2025, 10, 10))
    assert late.return_due == D(2025, 10, 9)
    other = ask(serving, D(2025, 10, 11), D(2025, 10, 11), personas["clerk"])  # the worked Saturday
    other.approve(personas["clerk"])
    assert [lv.pk for lv in leave_rules.overdue_returns(qs, D(2025, 10, 13))] == [leave.pk]
    assert {lv.pk for lv in leave_rules.overdue_returns(qs, D(2025, 10, 14))} == {leave.pk, other.pk}


# === a recall recorded after the month was kept ======================================================
def test_a_recall_backdated_into_kept_months_leaves_no_day_in_the_village_after_the_last_day(
    client_for, personas, serving, tree
):
    clerk = client_for(personas["clerk"])
    march = open_row(clerk, tree["t1"], D(2026, 3, 1), serving)
    april = open_row(clerk, tree["t1"], D(2026, 4, 1), serving)
    april_sheet = AttendanceSheet.objects.get(pk=april.sheet_id)
    april_sheet.submit(personas["clerk"], today=D(2026, 5, 1))
    assert march.present_days == 22
    serving.recall(D(2026, 3, 17), "群众不满意", personas["county_admin"])
    march.refresh_from_db()
    assert march.days[17:] == "-" * 14 and march.present_days == 12
    # The month's minimum is pro-rated to the 17 days served: 20 × 17/31 = 10.97 → 11.
    assert march.required_days == 11 and march.present_days >= march.required_days
    # The submitted April sheet cannot change: it is marked for the county, naming the days.
    april_sheet.refresh_from_db()
    assert april_sheet.needs_correction and "在岗书记" in april_sheet.correction_note
    assert "2026-03-17" in april_sheet.correction_note  # the term now ends then
    (group,) = kinds(personas["county_admin"], "correct_sheet")
    assert group.items[0][1] == april_sheet.get_absolute_url()
    april_sheet.reopen(personas["county_admin"], "召回")
    april.refresh_from_db()
    assert april.days == "-" * 30 and april.present_days == 0
    assert not AttendanceSheet.objects.get(pk=april_sheet.pk).needs_correction


def test_a_recall_with_the_last_day_to_come_turns_the_days_after_it_outside_the_term(
    client_for, personas, make_cadre, make_village, dispatch, tree
):
    today = timezone.localdate()
    a = dispatch(
        make_cadre(name="召回者"), make_village(), start=today.replace(day=1) - datetime.timedelta(days=60)
    )
    month = today.replace(day=1)
    record = open_row(client_for(personas["clerk"]), tree["t1"], month, a)
    last = today + DAY
    a.recall(last, "工作不胜任", personas["county_admin"])
    record.refresh_from_db()
    if last.month == month.month:
        assert record.days[last.day :] == "-" * (len(record.days) - last.day)
        assert set(record.days[: last.day]) - {"-"}
    # The grid of the month shows the same row and saves it as it is.
    url = reverse("attendance:sheet", args=[tree["t1"].code, f"{month:%Y-%m}"])
    row = next(r for r in client_for(personas["clerk"]).get(url).context["rows"] if r.assignment == a)
    assert row.days == record.days


def test_an_extension_recorded_after_the_month_was_kept_opens_the_days_now_inside_the_term(
    client_for, personas, make_cadre, make_village, dispatch, tree
):
    a = dispatch(
        make_cadre(name="延期者"), make_village(), start=D(2025, 3, 1), planned_end_date=D(2026, 3, 13)
    )
    clerk = client_for(personas["clerk"])
    march = open_row(clerk, tree["t1"], D(2026, 3, 1), a)
    assert march.days[13:] == "-" * 18
    leave = ask(a, D(2026, 3, 12), D(2026, 3, 13), personas["clerk"])
    leave.approve(personas["clerk"])
    a.extend(D(2026, 6, 30), "工作需要", personas["county_admin"])
    march.refresh_from_db()
    # Sat 14, Sun 15 rest; Mon 16 onward working days already come (P) — no '-' inside the term.
    assert march.days[11:16] == "LLHHP" and "-" not in march.days
    assert march.present_days == 22 - 2
    assert march.required_days == 20  # the whole month is inside the term now


def test_an_assignment_import_takes_a_successor_on_the_anniversary_and_refuses_one_a_day_earlier(
    personas, make_cadre, make_village
):
    village = make_village()
    first, second, third = make_cadre(name="甲"), make_cadre(name="乙"), make_cadre(name="丙")
    headers = ["身份证号", "村代码", "职务", "任职时间"]
    refused = imports.run(
        "assignments",
        xlsx(
            headers,
            [first.id_number, village.code, "第一书记", "2025-03-01"],
            [second.id_number, village.code, "第一书记", "2027-02-28"],
        ),
        personas["county_admin"],
        filename="a.xlsx",
    )
    assert [e.row for e in refused.errors] == [3] and not Assignment.objects.exists()
    taken = imports.run(
        "assignments",
        xlsx(
            headers,
            [first.id_number, village.code, "第一书记", "2025-03-01"],
            [third.id_number, village.code, "第一书记", "2027-03-01"],
        ),
        personas["county_admin"],
        filename="a.xlsx",
    )
    assert taken.ok, taken.errors
    assert sorted(Assignment.objects.values_list("start_date", "planned_end_date")) == [
        (D(2025, 3, 1), D(2027, 2, 28)),
        (D(2027, 3, 1), D(2029, 2, 28)),
    ]


def test_an_assignment_import_refuses_a_first_secretary_one_day_short_of_a_year_since_full_membership(
    personas, make_cadre, make_village
):
    c = make_cadre(joined=D(2023, 3, 1), full_member=D(2024, 3, 2))
    result = imports.run(
        "assignments",
        xlsx(
            ["身份证号", "村代码", "职务", "任职时间"],
            [c.id_number, make_village().code, "第一书记", "2025-03-01"],
        ),
        personas["county_admin"],
        filename="a.xlsx",
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "身份证号")]
    assert "2024-03-02" in result.errors[0].message
