"""Spot-check plans (supervision/plans.py): every cadre at or above the risk threshold is in the plan,
the random part is reproducible from the stored seed and scores, an outcome closes the task as a spot
check under the one rule of findings, and the plan's figures count what those rules count."""

import datetime

import pytest

from accounts import access
from assignments.models import AttendanceRecord, AttendanceSheet, LeaveRequest, Policy, SpotCheck
from supervision import plans
from supervision.models import SpotCheckPlan, SpotCheckTask

FEB = datetime.date(2026, 2, 1)
MARCH = datetime.date(2026, 3, 1)
TUESDAY = datetime.date(2026, 3, 3)
SATURDAY = datetime.date(2026, 3, 7)


def row(assignment, month, days):
    sheet, _ = AttendanceSheet.objects.get_or_create(township=assignment.village.township, month=month)
    AttendanceRecord.objects.update_or_create(sheet=sheet, assignment=assignment, defaults={"days": days})


@pytest.fixture
def county(tree, make_village, make_cadre, dispatch):
    """Twenty cadres; the first three have a February row copied from January (score 3)."""
    assignments = []
    for i in range(20):
        township = tree["t1"] if i % 2 else tree["t2"]
        a = dispatch(make_cadre(name=f"干部{i:02d}"), make_village(township=township))
        assignments.append(a)
        row(a, datetime.date(2026, 1, 1), "P" * 31)
        row(a, FEB, "P" * 28 if i < 3 else "H" + "P" * 27)
    return assignments


def test_the_draw_is_the_same_for_the_same_seed_and_inputs():
    scores = {i: (5 if i % 7 == 0 else i % 3) for i in range(1, 101)}
    first = plans.draw(scores, 4, 10, seed=12345)
    assert first == plans.draw(dict(reversed(scores.items())), 4, 10, seed=12345)
    assert first[0] == [7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 91, 98]
    assert len(first[1]) == 9  # 10 % of the 86 others, rounded up
    assert plans.draw(scores, 4, 10, seed=54321)[1] != first[1]


def test_a_plan_asking_for_more_checks_draws_more_of_the_others():
    scores = dict.fromkeys(range(1, 51), 0)
    risk, sample = plans.draw(scores, 4, 10, seed=1, size=12)
    assert risk == [] and len(sample) == 12


def test_every_cadre_at_or_above_the_threshold_is_in_the_plan_even_beyond_its_size(tree, county, personas):
    Policy.objects.create(region=tree["county"], supervision_threshold=3)
    plan = plans.make_plan(tree["county"], MARCH, 2, ["phone", "visit"], personas["county_admin"])
    risky = {a.pk for a in county[:3]}
    tasks = {t.assignment_id: t for t in plan.tasks.all()}
    assert risky <= set(tasks)
    assert {tasks[pk].part for pk in risky} == {"risk"}
    assert sum(t.part == "random" for t in tasks.values()) == 2  # 10 % of 17, rounded up
    assert plan.threshold == 3 and plan.sample_percent == 10


def test_a_plan_is_recomputed_from_its_stored_seed_and_scores(tree, county, personas):
    plan = plans.make_plan(tree["county"], MARCH, 6, ["phone"], personas["county_admin"], seed=99)
    assert plans.verify(plan)
    again = plans.make_plan(tree["county"], MARCH, 6, ["phone"], personas["county_admin"], seed=99)
    assert sorted(plan.tasks.values_list("assignment_id", flat=True)) == sorted(
        again.tasks.values_list("assignment_id", flat=True)
    )
    # A task swapped for another cadre after the draw no longer matches the stored draw.
    task = plan.tasks.filter(part="random").first()
    outside = next(a for a in county if not plan.tasks.filter(assignment=a).exists())
    SpotCheckTask.objects.filter(pk=task.pk).update(assignment=outside)
    assert not plans.verify(plan)


def test_phone_tasks_get_a_working_day_and_a_moment_in_office_hours(tree, county, personas):
    plan = plans.make_plan(tree["county"], MARCH, 8, ["phone"], personas["county_admin"], seed=7)
    for task in plan.tasks.all():
        assert task.date.month == 3 and task.date.weekday() < 5
        assert datetime.time(8, 30) <= task.call_at < datetime.time(17, 30)


def test_recording_an_outcome_closes_the_task_as_a_spot_check(tree, county, personas):
    plan = plans.make_plan(tree["county"], MARCH, 4, ["visit"], personas["county_admin"], seed=3)
    task = plan.tasks.first()
    check = plans.record_outcome(task, personas["county_admin"], TUESDAY, False, "不在村")
    task.refresh_from_db()
    assert task.spot_check == check and check.method == "visit" and check.assignment_id == task.assignment_id
    # Sent twice: one check.
    assert plans.record_outcome(task, personas["county_admin"], TUESDAY, False) == check
    assert SpotCheck.objects.count() == 1


def test_excused_days_are_not_findings_in_the_plans_figures(tree, county, personas):
    plan = plans.make_plan(tree["county"], MARCH, 6, ["visit"], personas["county_admin"], seed=5)
    tasks = list(plan.tasks.order_by("pk"))
    on_leave = tasks[1].assignment
    LeaveRequest.objects.create(
        assignment=on_leave,
        start_date=TUESDAY,
        end_date=TUESDAY,
        reason="看病",
        state="approved",
        approval_level="township",
        created_by=personas["clerk"],
    )
    plans.record_outcome(tasks[0], personas["county_admin"], TUESDAY, False)  # absent
    plans.record_outcome(tasks[1], personas["county_admin"], TUESDAY, False)  # leave asked before
    plans.record_outcome(tasks[2], personas["county_admin"], SATURDAY, False)  # rest day
    plans.record_outcome(tasks[3], personas["county_admin"], TUESDAY, True)  # present
    figures = plans.figures(plan)
    assert figures["total"]["done"] == 4
    assert figures["total"]["absent"] == 1
    assert figures["total"]["rate"] == 25
    part = tasks[0].part
    assert figures[part]["absent"] == 1


def test_the_figures_compare_the_risk_part_with_the_random_part(tree, county, personas):
    Policy.objects.create(region=tree["county"], supervision_threshold=3)
    plan = plans.make_plan(tree["county"], MARCH, 2, ["phone"], personas["county_admin"], seed=11)
    for task in plan.tasks.all():
        plans.record_outcome(task, personas["county_admin"], TUESDAY, task.part == "random")
    figures = plans.figures(plan)
    assert figures["risk"] == {"planned": 3, "done": 3, "absent": 3, "rate": 100}
    assert figures["random"] == {"planned": 2, "done": 2, "absent": 0, "rate": 0}


def test_an_unannounced_plan_is_seen_by_the_county_only(tree, county, personas):
    secret = plans.make_plan(tree["county"], MARCH, 2, ["unannounced"], personas["county_admin"], seed=1)
    open_plan = plans.make_plan(tree["t1"], MARCH, 2, ["phone"], personas["clerk"], seed=1)
    assert secret.unannounced and not open_plan.unannounced
    seen = {
        name: set(access.scope(personas[name], SpotCheckPlan.objects.all()))
        for name in ("county_admin", "clerk", "viewer", "liaison", "other_admin")
    }
    assert seen["county_admin"] == {secret, open_plan}
    assert seen["clerk"] == {open_plan}
    assert seen["viewer"] == {open_plan}
    assert seen["liaison"] == set() and seen["other_admin"] == set()
    assert not access.scope(personas["clerk"], SpotCheckTask.objects.filter(plan=secret)).exists()


def test_a_township_plan_draws_only_its_own_cadres(tree, county, personas):
    plan = plans.make_plan(tree["t1"], MARCH, 5, ["phone"], personas["clerk"], seed=2)
    assert plan.tasks.exists()
    assert set(plan.tasks.values_list("assignment__village__township", flat=True)) == {tree["t1"].code}
