import datetime

from django.utils import timezone
from django.utils.translation import gettext, override

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


# --- 5. a recall or term end with no successor shows as a gap at once ---------------------------
def _ended_secretary(make_village, make_cadre, dispatch, personas, reason, last_day, name="待补村"):
    village = make_village(name=name, categories=["revitalization"])
    a = dispatch(make_cadre(name="原书记"), village, start=START)
    if reason == "recalled":
        a.recall(last_day, "工作不胜任", personas["county_admin"])
    else:
        a.end(last_day, reason, user=personas["county_admin"])
    return village, a


def _flags(name, day=TODAY):
    v = coverage.annotate(Village.objects.filter(name=name), day).get()
    return v.lacks_secretary, v.awaiting, v.recall_gap, v.term_gap


def test_a_recall_recorded_for_a_later_last_day_shows_as_awaiting_replacement_at_once(
    make_village, make_cadre, dispatch, personas
):
    _ended_secretary(
        make_village, make_cadre, dispatch, personas, "recalled", TODAY + datetime.timedelta(days=5)
    )
    # The cadre still serves the last days, yet the village already lists as 召回待补派.
    assert _flags("待补村") == (True, True, True, False)
    assert coverage.summary(Village.objects.all(), TODAY)["recall_gap"] == 1
    assert [v.name for v in coverage.filter_state(Village.objects.all(), "no_secretary", TODAY)] == ["待补村"]


def test_a_term_end_recorded_on_the_last_day_itself_shows_as_term_ended_awaiting_replacement(
    make_village, make_cadre, dispatch, personas
):
    _ended_secretary(make_village, make_cadre, dispatch, personas, "term_completed", TODAY)
    assert _flags("待补村") == (True, True, False, True)
    summary = coverage.summary(Village.objects.all(), TODAY)
    assert summary["term_gap"] == 1 and summary["no_secretary"] == 1 and summary["recall_gap"] == 0
    assert not coverage.filter_state(Village.objects.all(), "covered", TODAY).exists()


def test_an_adjustment_without_successor_awaits_a_replacement_but_is_neither_recall_nor_term_end(
    make_village, make_cadre, dispatch, personas
):
    _ended_secretary(
        make_village, make_cadre, dispatch, personas, "adjusted", TODAY + datetime.timedelta(days=1)
    )
    assert _flags("待补村") == (True, True, False, False)


def test_a_successor_starting_after_the_ended_term_closes_the_gap_even_before_starting(
    make_village, make_cadre, dispatch, personas
):
    last = TODAY + datetime.timedelta(days=3)
    village, _a = _ended_secretary(make_village, make_cadre, dispatch, personas, "recalled", last)
    dispatch(make_cadre(name="接任"), village, start=last + datetime.timedelta(days=1))
    assert _flags("待补村") == (False, False, False, False)  # the old one serves today, successor set
    # The days between two terms still lack a secretary, but nobody awaits a replacement any more.
    later = TODAY + datetime.timedelta(days=2)
    assert _flags("待补村", later) == (False, False, False, False)


def test_a_team_member_dispatched_after_the_recall_is_no_successor(
    make_village, make_cadre, dispatch, personas
):
    village, _a = _ended_secretary(
        make_village, make_cadre, dispatch, personas, "recalled", TODAY - datetime.timedelta(days=1)
    )
    dispatch(make_cadre(name="队员"), village, role="team_member", start=TODAY)
    assert _flags("待补村")[:3] == (True, True, True)


def test_the_same_cadre_sent_again_as_first_secretary_is_a_successor(
    make_village, make_cadre, dispatch, personas
):
    village, a = _ended_secretary(
        make_village, make_cadre, dispatch, personas, "term_completed", TODAY - datetime.timedelta(days=1)
    )
    dispatch(a.cadre, village, start=TODAY)
    assert _flags("待补村") == (False, False, False, False)


def test_pages_todos_and_coverage_export_agree_on_a_recall_recorded_for_a_later_day(
    make_village, make_cadre, dispatch, personas, client_for
):
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    from dashboard import todos

    _ended_secretary(
        make_village,
        make_cadre,
        dispatch,
        personas,
        "recalled",
        TODAY + datetime.timedelta(days=5),
        name="召回村",
    )
    _ended_secretary(make_village, make_cadre, dispatch, personas, "term_completed", TODAY, name="期满村")
    covered = make_village(name="有书记村", categories=["revitalization"])
    dispatch(make_cadre(name="在任"), covered, start=START)
    admin = client_for(personas["county_admin"])

    def listed(state):
        page = admin.get(reverse("villages:list") + f"?coverage={state}")
        return sorted(v.name for v in page.context["page"].object_list)

    assert listed("recall_gap") == ["召回村"]
    assert listed("term_gap") == ["期满村"]
    assert listed("no_secretary") == sorted(["期满村", "召回村"])
    assert listed("covered") == ["有书记村"]
    with override("zh-hans"):
        recall_badge, term_badge = (
            gettext("Recalled, awaiting replacement"),
            gettext("Term ended, awaiting replacement"),
        )
    html = admin.get(reverse("villages:list")).content.decode()
    assert html.count(f">{recall_badge}</span>") == 1 and html.count(f">{term_badge}</span>") == 1
    detail = admin.get(
        reverse("villages:detail", args=[Village.objects.get(name="期满村").code])
    ).content.decode()
    assert f">{term_badge}</span>" in detail and f">{recall_badge}</span>" not in detail

    home = admin.get(reverse("home"))
    summary = home.context["summary"]
    assert (summary["no_secretary"], summary["recall_gap"], summary["term_gap"]) == (2, 1, 1)

    groups = {g.kind: g for g in todos.for_user(personas["county_admin"])}
    group = groups["replace_secretary"]
    assert group.count == 2 and "1" in str(group.title)
    assert sorted(text.split(" · ")[1].split(" ")[0] for text, _url in group.items) == sorted(
        ["召回村", "期满村"]
    )
    assert any("召回村" in text and "(" in text for text, _url in group.items)

    response = admin.get(reverse("excel:export", args=["coverage"]))
    ws = load_workbook(io.BytesIO(response.content)).active
    headers = [c.value for c in ws[3]]  # below the title and the 填报单位 line
    total_row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[1] == "合计")
    total = dict(zip(headers, total_row, strict=True))
    assert total["召回待补派"] == 1 and total["期满待补派"] == 1
    assert total["缺第一书记"] == 2 and total["已有第一书记"] == 1
