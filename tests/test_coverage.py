import datetime

from django.utils import timezone

from assignments import coverage
from assignments.models import Policy
from villages.models import Village

TODAY = timezone.localdate()
START = TODAY - datetime.timedelta(days=100)


def states(day=TODAY):
    rows = coverage.annotate(Village.objects.all(), day)
    return {v.name: (v.lacks_secretary, v.team_short, v.recall_gap, v.team_size) for v in rows}


def test_poverty_exit_village_needs_a_secretary_and_a_team_of_three(make_village, make_cadre, dispatch):
    village = make_village(name="脱贫村", categories=["poverty_exit"])
    assert states()["脱贫村"] == (True, True, False, 0)
    dispatch(make_cadre(name="书记"), village, start=START)
    assert states()["脱贫村"] == (False, True, False, 1)
    dispatch(make_cadre(name="队员一"), village, role="team_member", start=START)
    dispatch(make_cadre(name="队员二"), village, role="team_member", start=START)
    assert states()["脱贫村"] == (False, False, False, 3)


def test_revitalisation_village_needs_only_a_secretary(make_village, make_cadre, dispatch):
    village = make_village(name="振兴村", categories=["revitalization"])
    assert states()["振兴村"][:2] == (True, False)
    dispatch(make_cadre(), village, start=START)
    assert states()["振兴村"][:2] == (False, False)


def test_problem_prominent_weak_village_also_needs_a_team(make_village):
    make_village(name="软弱村", categories=["weak_org"])
    make_village(name="突出村", categories=["weak_org"], problem_prominent=True)
    s = states()
    assert s["软弱村"][:2] == (True, False)
    assert s["突出村"][:2] == (True, True)


def test_other_and_uncategorised_villages_need_nothing(make_village):
    make_village(name="其他村", categories=["other"])
    make_village(name="普通村", categories=[])
    s = states()
    assert s["其他村"][:2] == (False, False) and s["普通村"][:2] == (False, False)


def test_recall_leaves_the_village_uncovered_until_a_replacement_starts(
    make_village, make_cadre, dispatch, personas
):
    village = make_village(name="召回村", categories=["revitalization"])
    a = dispatch(make_cadre(name="被召回"), village, start=START)
    a.recall(TODAY - datetime.timedelta(days=10), "群众不满意", personas["county_admin"])
    assert states()["召回村"][:3] == (True, False, True)
    assert coverage.filter_state(coverage.annotate(Village.objects.all(), TODAY), "recall_gap").count() == 1
    dispatch(make_cadre(name="接替"), village, start=TODAY - datetime.timedelta(days=2))
    assert states()["召回村"][:3] == (False, False, False)


def test_team_minimum_follows_the_effective_policy(tree, make_village, make_cadre, dispatch):
    Policy.objects.create(region=tree["county"], team_min_size=2)
    village = make_village(name="二人村")
    dispatch(make_cadre(), village, start=START)
    dispatch(make_cadre(name="队员"), village, role="team_member", start=START)
    assert states()["二人村"][1] is False


def test_filter_states_and_summary_agree(make_village, make_cadre, dispatch):
    make_village(name="缺书记", categories=["revitalization"])
    covered = make_village(name="已覆盖", categories=["revitalization"])
    dispatch(make_cadre(), covered, start=START)
    make_village(name="不需要", categories=[])
    annotated = coverage.annotate(Village.objects.all(), TODAY)
    assert [v.name for v in coverage.filter_state(annotated, "no_secretary")] == ["缺书记"]
    assert [v.name for v in coverage.filter_state(annotated, "covered")] == ["已覆盖"]
    assert [v.name for v in coverage.filter_state(annotated, "not_required")] == ["不需要"]
    summary = coverage.summary(Village.objects.all(), TODAY)
    assert summary["total"] == 3 and summary["required"] == 2 and summary["no_secretary"] == 1
