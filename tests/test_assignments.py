import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assignments.models import Assignment, AssignmentEvent, Policy

START = datetime.date(2025, 3, 1)


def refused(dispatch, *args, **kwargs):
    with pytest.raises(ValidationError) as exc:
        dispatch(*args, **kwargs)
    return " ".join(m for msgs in exc.value.message_dict.values() for m in msgs)


# --- eligibility boundaries -------------------------------------------------------------------
def test_the_day_before_the_58th_birthday_passes(make_cadre, make_village, dispatch):
    cadre = make_cadre(birth=datetime.date(1967, 3, 2))  # 57 on 2025-03-01, 58 the next day
    assert dispatch(cadre, make_village()).pk


def test_on_the_58th_birthday_the_cadre_is_too_old(make_cadre, make_village, dispatch):
    cadre = make_cadre(birth=datetime.date(1967, 3, 1))
    message = refused(dispatch, cadre, make_village())
    assert "58" in message and "57" in message
    assert not Assignment.objects.exists()


def test_age_limit_applies_to_team_members_too(make_cadre, make_village, dispatch):
    cadre = make_cadre(birth=datetime.date(1960, 1, 1))
    assert "57" in refused(dispatch, cadre, make_village(), role="team_member")


def test_party_age_of_exactly_one_year_from_full_membership_passes(make_cadre, make_village, dispatch):
    cadre = make_cadre(joined=datetime.date(2023, 3, 1), full_member=datetime.date(2024, 3, 1))
    assert dispatch(cadre, make_village()).pk


def test_party_age_one_day_short_is_refused_with_the_date(make_cadre, make_village, dispatch):
    cadre = make_cadre(joined=datetime.date(2023, 3, 2), full_member=datetime.date(2024, 3, 2))
    message = refused(dispatch, cadre, make_village())
    assert "2024-03-02" in message


def test_probationary_member_cannot_be_first_secretary(make_cadre, make_village, dispatch):
    cadre = make_cadre(status="probationary", joined=datetime.date(2024, 9, 1))
    assert refused(dispatch, cadre, make_village())


def test_non_member_cannot_be_first_secretary_but_can_join_a_team_with_a_warning(
    make_cadre, make_village, dispatch
):
    cadre = make_cadre(status="masses")
    village = make_village()
    assert refused(dispatch, cadre, village)
    member = dispatch(cadre, village, role="team_member")
    assert member.warnings()


def test_work_experience_of_exactly_two_years_passes(make_cadre, make_village, dispatch):
    cadre = make_cadre(work=datetime.date(2023, 3, 1))
    assert dispatch(cadre, make_village()).pk


def test_work_experience_one_day_short_is_refused(make_cadre, make_village, dispatch):
    cadre = make_cadre(work=datetime.date(2023, 3, 2))
    assert "2023-03-02" in refused(dispatch, cadre, make_village())


def test_missing_work_start_is_refused_for_a_first_secretary(make_cadre, make_village, dispatch):
    cadre = make_cadre(work=None)
    assert refused(dispatch, cadre, make_village())


def test_policy_changes_the_boundaries(tree, make_cadre, make_village, dispatch):
    Policy.objects.create(region=tree["county"], max_age=55, min_party_years=3)
    cadre = make_cadre(
        birth=datetime.date(1969, 1, 1),
        joined=datetime.date(2022, 1, 1),
        full_member=datetime.date(2023, 1, 1),
    )
    message = refused(dispatch, cadre, make_village())
    assert "55" in message and "2023-01-01" in message


# --- terms -----------------------------------------------------------------------------------
def test_planned_end_is_start_plus_the_policy_term(tree, make_cadre, make_village, dispatch):
    a = dispatch(make_cadre(), make_village())
    assert a.planned_end_date == datetime.date(2027, 2, 28)
    Policy.objects.create(region=tree["province"], term_years=3)
    b = dispatch(make_cadre(name="李强"), make_village(), role="team_member")
    assert b.planned_end_date == datetime.date(2028, 2, 29)


def test_dispatch_records_who_and_when(make_cadre, make_village, dispatch, personas):
    a = dispatch(make_cadre(), make_village())
    event = a.events.get()
    assert event.kind == AssignmentEvent.Kind.DISPATCHED
    assert event.by == personas["county_admin"]
    assert a.created_by == personas["county_admin"]


def test_overlapping_terms_of_one_cadre_are_refused_with_the_other_village(
    make_cadre, make_village, dispatch
):
    cadre = make_cadre()
    dispatch(cadre, make_village(name="东村"))
    message = refused(dispatch, cadre, make_village(name="西村"), start=datetime.date(2026, 1, 1))
    assert "东村" in message


def test_second_first_secretary_in_a_village_is_refused(make_cadre, make_village, dispatch):
    village = make_village(name="南村")
    dispatch(make_cadre(), village)
    message = refused(dispatch, make_cadre(name="赵敏"), village, start=datetime.date(2025, 6, 1))
    assert "南村" in message


def test_database_refuses_overlapping_terms_of_one_cadre_past_clean(make_cadre, make_village, dispatch):
    cadre = make_cadre()
    dispatch(cadre, make_village())
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            cadre=cadre,
            village=make_village(),
            role="team_member",
            dispatch_level="county",
            start_date=datetime.date(2026, 1, 1),
            planned_end_date=datetime.date(2028, 1, 1),
        )


def test_database_refuses_two_first_secretaries_in_one_village_past_clean(make_cadre, make_village, dispatch):
    village = make_village()
    dispatch(make_cadre(), village)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            cadre=make_cadre(name="孙丽"),
            village=village,
            role="first_secretary",
            dispatch_level="county",
            start_date=datetime.date(2027, 2, 28),  # the inclusive last day of the first term
            planned_end_date=datetime.date(2029, 2, 27),
        )


def test_database_allows_a_team_member_beside_the_first_secretary(make_cadre, make_village, dispatch):
    village = make_village()
    dispatch(make_cadre(), village)
    assert dispatch(make_cadre(name="周杰"), village, role="team_member").pk


def test_successor_may_start_the_day_after_a_recall(make_cadre, make_village, dispatch, personas):
    village = make_village()
    first = dispatch(make_cadre(), village)
    first.recall(datetime.date(2025, 9, 30), "工作不胜任", personas["county_admin"])
    assert dispatch(make_cadre(name="吴刚"), village, start=datetime.date(2025, 10, 1)).pk


# --- end, recall, extend ---------------------------------------------------------------------
def test_recall_requires_a_reason_and_records_who(make_cadre, make_village, dispatch, personas):
    a = dispatch(make_cadre(), make_village())
    with pytest.raises(ValidationError):
        a.recall(datetime.date(2025, 9, 30), "  ", personas["county_admin"])
    a.recall(datetime.date(2025, 9, 30), "群众不满意", personas["county_admin"])
    a.refresh_from_db()
    assert a.end_reason == "recalled" and a.end_date == datetime.date(2025, 9, 30)
    event = a.events.get(kind="recalled")
    assert event.by == personas["county_admin"] and event.reason == "群众不满意"


def test_end_cannot_precede_start_or_pass_planned_end(make_cadre, make_village, dispatch):
    a = dispatch(make_cadre(), make_village())
    with pytest.raises(ValidationError):
        a.end(datetime.date(2025, 2, 1), "term_completed")
    with pytest.raises(ValidationError):
        a.end(datetime.date(2027, 3, 1), "term_completed")
    a.end(datetime.date(2027, 2, 28), "term_completed")
    with pytest.raises(ValidationError):
        a.end(datetime.date(2027, 2, 28), "term_completed")


def test_extend_moves_planned_end_and_records_the_old_one(make_cadre, make_village, dispatch, personas):
    a = dispatch(make_cadre(), make_village())
    a.extend(datetime.date(2028, 3, 1), "工作需要", personas["county_admin"])
    a.refresh_from_db()
    assert a.planned_end_date == datetime.date(2028, 3, 1)
    event = a.events.get(kind="extended")
    assert event.old_planned_end == datetime.date(2027, 2, 28)


def test_extend_into_a_successors_term_is_refused(make_cadre, make_village, dispatch, personas):
    village = make_village()
    a = dispatch(make_cadre(), village)  # 2025-03-01 .. 2027-02-28
    dispatch(make_cadre(name="郑华"), village, start=datetime.date(2027, 3, 2))
    with pytest.raises(ValidationError) as exc:
        a.extend(datetime.date(2027, 6, 1), "工作需要", personas["county_admin"])
    assert "郑华" in str(exc.value)
    a.refresh_from_db()
    assert a.planned_end_date == datetime.date(2027, 2, 28)


def test_team_max_size_from_policy_is_enforced(tree, make_cadre, make_village, dispatch):
    Policy.objects.create(region=tree["county"], team_max_size=3)
    village = make_village()
    dispatch(make_cadre(), village)
    dispatch(make_cadre(name="甲"), village, role="team_member")
    dispatch(make_cadre(name="乙"), village, role="team_member")
    assert "3" in refused(dispatch, make_cadre(name="丙"), village, role="team_member")


# --- 3. team maximum over the whole term ---------------------------------------------------------
def _team_of_two(tree, make_cadre, make_village, dispatch, member_start=START, **member_kw):
    """A village with a maximum team of 2: the first secretary from START and one member."""
    Policy.objects.create(region=tree["county"], team_max_size=2)
    village = make_village()
    dispatch(make_cadre(name="书记"), village)
    member = dispatch(make_cadre(name="甲"), village, role="team_member", start=member_start, **member_kw)
    return village, member


def test_team_maximum_counts_a_member_who_starts_later_in_the_new_term(
    tree, make_cadre, make_village, dispatch
):
    later = datetime.date(2026, 1, 10)
    village, _m = _team_of_two(tree, make_cadre, make_village, dispatch, member_start=later)
    # On START the team is 书记 + 丙 = 2 (allowed), but from 2026-01-10 甲 joins: 3.
    message = refused(dispatch, make_cadre(name="丙"), village, role="team_member")
    assert "2026-01-10" in message and "3" in message and "2" in message
    assert not Assignment.objects.filter(cadre__name="丙").exists()


def test_team_maximum_ignores_a_member_whose_term_ends_the_day_before_the_new_start(
    tree, make_cadre, make_village, dispatch
):
    new_start = datetime.date(2025, 9, 1)
    village, _m = _team_of_two(
        tree, make_cadre, make_village, dispatch, planned_end_date=new_start - datetime.timedelta(days=1)
    )
    assert dispatch(make_cadre(name="丙"), village, role="team_member", start=new_start).pk


def test_team_maximum_counts_a_member_whose_term_ends_on_the_new_start(
    tree, make_cadre, make_village, dispatch
):
    new_start = datetime.date(2025, 9, 1)
    village, _m = _team_of_two(tree, make_cadre, make_village, dispatch, planned_end_date=new_start)
    message = refused(dispatch, make_cadre(name="丙"), village, role="team_member", start=new_start)
    assert "2025-09-01" in message and "3" in message


def test_team_maximum_counts_the_recorded_end_not_the_planned_one(
    tree, make_cadre, make_village, dispatch, personas
):
    new_start = datetime.date(2025, 9, 1)
    village, member = _team_of_two(tree, make_cadre, make_village, dispatch)
    member.end(new_start - datetime.timedelta(days=1), "adjusted", user=personas["county_admin"])
    assert dispatch(make_cadre(name="丙"), village, role="team_member", start=new_start).pk


def test_a_new_term_that_ends_the_day_before_a_later_member_starts_is_allowed(
    tree, make_cadre, make_village, dispatch
):
    later = datetime.date(2026, 1, 10)
    village, _m = _team_of_two(tree, make_cadre, make_village, dispatch, member_start=later)
    a = dispatch(
        make_cadre(name="丙"),
        village,
        role="team_member",
        planned_end_date=later - datetime.timedelta(days=1),
    )
    assert a.pk


def test_extending_a_term_into_a_fuller_team_is_refused_naming_the_day(
    tree, make_cadre, make_village, dispatch, personas
):
    later = datetime.date(2026, 1, 10)
    village, _m = _team_of_two(tree, make_cadre, make_village, dispatch, member_start=later)
    short = dispatch(
        make_cadre(name="丙"),
        village,
        role="team_member",
        planned_end_date=later - datetime.timedelta(days=1),
    )
    with pytest.raises(ValidationError) as exc:
        short.extend(later, "工作需要", personas["county_admin"])
    assert "2026-01-10" in str(exc.value) and "3" in str(exc.value)
    short.refresh_from_db()
    assert short.planned_end_date == later - datetime.timedelta(days=1)
    assert not short.events.filter(kind="extended").exists()


def test_extending_when_the_team_stays_within_the_maximum_passes(
    tree, make_cadre, make_village, dispatch, personas
):
    village, member = _team_of_two(tree, make_cadre, make_village, dispatch)
    member.extend(datetime.date(2027, 6, 30), "工作需要", personas["county_admin"])
    member.refresh_from_db()
    assert member.planned_end_date == datetime.date(2027, 6, 30)


def test_peak_team_counts_only_the_days_where_the_team_can_grow():
    from assignments.rules import peak_team

    d = datetime.date
    terms = [
        (d(2025, 1, 1), d(2025, 12, 31)),
        (d(2025, 6, 1), d(2025, 6, 30)),
        (d(2025, 6, 30), d(2025, 7, 5)),
    ]
    assert peak_team(d(2025, 3, 1), d(2025, 8, 1), terms) == (d(2025, 6, 30), 4)
    assert peak_team(d(2025, 7, 1), d(2025, 8, 1), terms) == (d(2025, 7, 1), 3)
    assert peak_team(d(2026, 1, 1), d(2026, 2, 1), terms) == (d(2026, 1, 1), 1)


def test_extending_a_stale_copy_after_another_extension_is_refused(
    make_cadre, make_village, dispatch, personas
):
    a = dispatch(make_cadre(), make_village())
    stale = Assignment.objects.get(pk=a.pk)
    a.extend(datetime.date(2027, 6, 30), "工作需要", personas["county_admin"])
    with pytest.raises(ValidationError, match="请刷新页面"):
        stale.extend(datetime.date(2027, 5, 31), "工作需要", personas["county_admin"])
    a.refresh_from_db()
    assert a.planned_end_date == datetime.date(2027, 6, 30) and a.events.filter(kind="extended").count() == 1


def test_a_page_loaded_before_another_recall_cannot_end_the_assignment_again(
    make_cadre, make_village, dispatch, personas
):
    a = dispatch(make_cadre(), make_village())
    stale = Assignment.objects.get(pk=a.pk)
    a.recall(datetime.date(2025, 9, 30), "工作不胜任", personas["county_admin"])
    with pytest.raises(ValidationError, match="2025-09-30"):
        stale.end(datetime.date(2025, 12, 31), "term_completed", personas["county_admin"])
    a.refresh_from_db()
    assert (a.end_date, a.end_reason, a.events.filter(kind__in=["ended", "recalled"]).count()) == (
        datetime.date(2025, 9, 30),
        "recalled",
        1,
    )
