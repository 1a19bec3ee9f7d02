"""The appraisal file's opinions and 民主测评 (issue 18, item 2): who may give which, for whom, until
when; the batch page saves all rows or none."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import access
from appraisal.models import AppraisalRound, DemocraticAssessment, Opinion
from dashboard import todos

YEAR = 2025


@pytest.fixture
def people(tree, personas, make_village, make_cadre, dispatch):
    """Three first secretaries serving all of 2025: two in 沐浴店镇 (t1) — one of the liaison's unit,
    one of another unit — and one of the liaison's unit in 团旺镇 (t2): the liaison answers for its
    unit's cadres wherever they serve, a township for whoever served in it."""
    start = datetime.date(2025, 1, 1)
    own = dispatch(make_cadre(name="本单位干部"), make_village(name="东村"), start=start)
    other_unit = dispatch(
        make_cadre(name="外单位干部", birth=datetime.date(1986, 3, 1), unit=tree["other_unit"]),
        make_village(name="西村"),
        start=start,
    )
    t2 = dispatch(
        make_cadre(name="团旺干部", birth=datetime.date(1987, 4, 1)),
        make_village(township=tree["t2"], name="南村"),
        start=start,
    )
    round_ = AppraisalRound.start(tree["county"], YEAR, "annual", personas["county_admin"])
    rows = {a.cadre.name: a for a in round_.appraisals.select_related("cadre", "round")}
    return round_, rows["本单位干部"], rows["外单位干部"], rows["团旺干部"], (own, other_unit, t2)


def url(round_):
    return reverse("appraisal:round_opinions", args=[round_.pk])


def opinion(pk, grade="competent", text="工作扎实，群众认可"):
    return {f"grade-{pk}": grade, f"text-{pk}": text}


def assessment(pk, held_on="2025-12-10", participants=40, good=20, fairly_good=10, average=6, poor=2):
    return {
        f"held_on-{pk}": held_on,
        f"participants-{pk}": participants,
        f"good-{pk}": good,
        f"fairly_good-{pk}": fairly_good,
        f"average-{pk}": average,
        f"poor-{pk}": poor,
    }


def test_the_liaison_gives_the_units_opinion_on_its_own_cadre(client_for, personas, people):
    round_, own, _other_unit, t2_row, _ = people
    client = client_for(personas["liaison"])
    page = client.get(url(round_))
    assert page.status_code == 200 and {a.pk for a in page.context["rows"]} == {own.pk, t2_row.pk}
    response = client.post(url(round_), opinion(own.pk, "excellent"), follow=True)
    assert response.status_code == 200
    stored = Opinion.objects.get()
    assert (stored.appraisal, stored.source, stored.suggested_grade) == (own, "unit", "excellent")
    assert stored.given_by == personas["liaison"] and stored.text == "工作扎实，群众认可"
    # Changing it keeps one opinion per body, with who changed it and when.
    client.post(url(round_), opinion(own.pk, "competent", "改为称职"))
    assert Opinion.objects.get().suggested_grade == "competent"


def test_the_liaison_gets_404_for_another_units_cadre_and_writes_nothing(client_for, personas, people):
    round_, own, other_unit, *_ = people
    client = client_for(personas["liaison"])
    response = client.post(url(round_), {**opinion(own.pk), **opinion(other_unit.pk)})
    assert response.status_code == 404
    assert not Opinion.objects.exists()


def test_the_liaison_may_not_do_anything_else(personas, people):
    round_, own, other_unit, *_ = people
    liaison = personas["liaison"]
    assert access.can(liaison, access.GIVE_OPINION, own)
    assert not access.can(liaison, access.GIVE_OPINION, other_unit)
    for action in (access.ENTER_ASSESSMENT, access.RUN_APPRAISAL, access.DISPATCH, access.ENTER_RESULTS):
        assert not access.can(liaison, action, own)
    assert not access.can(liaison, access.RUN_APPRAISAL, round_)


def test_the_township_answers_for_those_who_served_in_it_only(personas, people):
    round_, own, other_unit, t2_row, _ = people
    clerk, other = personas["clerk"], personas["other_clerk"]
    assert access.can(clerk, access.GIVE_OPINION, own) and access.can(
        clerk, access.ENTER_ASSESSMENT, other_unit
    )
    assert not access.can(clerk, access.GIVE_OPINION, t2_row)
    assert access.can(other, access.GIVE_OPINION, t2_row) and not access.can(other, access.GIVE_OPINION, own)
    assert access.can(personas["county_admin"], access.ENTER_ASSESSMENT, own)
    assert not access.can(personas["county_admin"], access.GIVE_OPINION, own)


def test_after_the_deadline_an_opinion_is_refused_with_the_date(client_for, personas, people):
    round_, own, *_ = people
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    round_.set_opinions_due(yesterday, personas["county_admin"])
    with pytest.raises(ValidationError) as exc:
        own.give_opinion("unit", "competent", "迟到的意见", personas["liaison"])
    assert yesterday.isoformat() in exc.value.messages[0]
    client = client_for(personas["liaison"])
    page = client.get(url(round_))
    assert not page.context["can_opinion"] and yesterday.isoformat() in page.context["closed"]
    response = client.post(url(round_), opinion(own.pk))
    row = next(a for a in response.context["rows"] if a.pk == own.pk)
    assert response.status_code == 200 and row.problems
    assert yesterday.isoformat() in row.problems[0]
    assert not Opinion.objects.exists()
    # On the deadline day itself it is still open.
    round_.set_opinions_due(timezone.localdate(), personas["county_admin"])
    own.give_opinion("unit", "competent", "按时的意见", personas["liaison"])
    assert Opinion.objects.count() == 1


def test_a_finalized_round_refuses_opinions_assessments_and_deadline_changes(personas, people):
    round_, own, *_ = people
    AppraisalRound.objects.filter(pk=round_.pk).update(state="finalized")
    round_.refresh_from_db()
    with pytest.raises(ValidationError):
        own.give_opinion("township", "competent", "意见", personas["clerk"])
    with pytest.raises(ValidationError):
        own.record_assessment(datetime.date(2025, 12, 1), 10, 5, 3, 1, 1, personas["clerk"])
    with pytest.raises(ValidationError) as exc:
        round_.set_opinions_due(datetime.date(2026, 1, 31), personas["county_admin"])
    assert "opinions_due" in exc.value.message_dict
    assert not Opinion.objects.exists() and not DemocraticAssessment.objects.exists()


def test_the_clerk_of_another_township_gets_404(client_for, personas, people):
    round_, own, _other_unit, t2_row, _ = people
    client = client_for(personas["other_clerk"])
    assert [a.pk for a in client.get(url(round_)).context["rows"]] == [t2_row.pk]
    assert client.post(url(round_), {**opinion(own.pk), **assessment(own.pk)}).status_code == 404
    assert not Opinion.objects.exists() and not DemocraticAssessment.objects.exists()


def test_the_township_saves_opinions_and_assessments_all_or_nothing(client_for, personas, people):
    round_, own, other_unit, *_ = people
    client = client_for(personas["clerk"])
    bad = client.post(
        url(round_),
        {
            **opinion(own.pk),
            **assessment(own.pk),
            **opinion(other_unit.pk),
            **assessment(other_unit.pk, participants=10, good=8, fairly_good=3, average=0, poor=0),  # 11 > 10
        },
    )
    assert bad.status_code == 200
    marked = {a.pk: a.problems for a in bad.context["rows"]}
    assert marked[own.pk] == [] and len(marked[other_unit.pk]) == 1
    assert "外单位干部" in marked[other_unit.pk][0] and "11" in marked[other_unit.pk][0]
    assert not Opinion.objects.exists() and not DemocraticAssessment.objects.exists()  # nothing saved
    # What was typed is still on the page.
    row = next(a for a in bad.context["rows"] if a.pk == other_unit.pk)
    assert row.shown_counts["good"] == "8"
    good = client.post(
        url(round_),
        {**opinion(own.pk), **assessment(own.pk), **opinion(other_unit.pk), **assessment(other_unit.pk)},
    )
    assert good.status_code == 302
    assert set(Opinion.objects.values_list("source", flat=True)) == {"township"}
    assert Opinion.objects.count() == 2 and DemocraticAssessment.objects.count() == 2
    x = DemocraticAssessment.objects.get(appraisal=own)
    assert x.entered_by == personas["clerk"] and x.satisfaction_percent == Decimal("75.0")


def test_an_assessment_names_the_field_that_is_wrong(personas, people):
    _round, own, *_ = people
    with pytest.raises(ValidationError) as exc:
        own.record_assessment(datetime.date(2025, 12, 1), 3, 2, 2, 0, 0, personas["clerk"])
    assert list(exc.value.message_dict) == ["participants"]
    with pytest.raises(ValidationError) as exc:
        own.record_assessment(
            timezone.localdate() + datetime.timedelta(days=2), 3, 1, 1, 0, 0, personas["clerk"]
        )
    assert list(exc.value.message_dict) == ["held_on"]


def test_the_database_refuses_more_votes_than_participants(personas, people):
    _round, own, *_ = people
    with pytest.raises(IntegrityError), transaction.atomic():
        DemocraticAssessment.objects.create(
            appraisal=own,
            held_on=datetime.date(2025, 12, 1),
            participants=3,
            good=3,
            poor=1,
            entered_by=personas["clerk"],
        )


def test_the_satisfaction_rate_is_good_and_fairly_good_over_participants():
    x = DemocraticAssessment(participants=3, good=1, fairly_good=1, average=1)
    assert x.satisfaction_rate == Decimal(2) / Decimal(3) and x.satisfaction_percent == Decimal("66.7")
    # Ballots not returned count against.
    assert DemocraticAssessment(participants=50, good=30, fairly_good=10).satisfaction_percent == Decimal(
        "80.0"
    )


def test_the_county_sets_the_deadline_on_the_round_page(client_for, personas, people):
    round_, *_ = people
    deadline = reverse("appraisal:round_deadline", args=[round_.pk])
    assert client_for(personas["clerk"]).post(deadline, {"opinions_due": "2026-01-31"}).status_code == 403
    client = client_for(personas["county_admin"])
    assert (
        reverse("appraisal:round_deadline", args=[round_.pk])
        in client.get(round_.get_absolute_url()).content.decode()
    )
    assert client.post(deadline, {"opinions_due": "2026-01-31"}).status_code == 302
    round_.refresh_from_db()
    assert round_.opinions_due == datetime.date(2026, 1, 31)
    client.post(deadline, {"opinions_due": "31/01"})  # not a date: unchanged
    round_.refresh_from_db()
    assert round_.opinions_due == datetime.date(2026, 1, 31)
    client.post(deadline, {"opinions_due": ""})
    round_.refresh_from_db()
    assert round_.opinions_due is None


def test_the_to_dos_count_the_opinions_to_give_with_the_deadline(client_for, personas, people):
    round_, own, other_unit, *_ = people
    round_.set_opinions_due(timezone.localdate() + datetime.timedelta(days=10), personas["county_admin"])
    due = round_.opinions_due.isoformat()
    liaison = next(g for g in todos.for_user(personas["liaison"]) if g.kind == "give_opinion")
    assert liaison.count == 2 and due in liaison.title
    assert {link for _text, link in liaison.items} == {
        f"{url(round_)}#row-{own.pk}",
        f"{url(round_)}#row-{people[3].pk}",
    }
    clerk = next(g for g in todos.for_user(personas["clerk"]) if g.kind == "give_opinion")
    assert clerk.count == 2
    own.give_opinion("township", "competent", "意见", personas["clerk"])
    assert todos.counts(personas["clerk"])["give_opinion"] == 1
    assert todos.counts(personas["liaison"])["give_opinion"] == 2  # the township's is not the unit's
    own.give_opinion("unit", "competent", "意见", personas["liaison"])
    assert todos.counts(personas["liaison"])["give_opinion"] == 1
    assert "give_opinion" not in todos.counts(personas["county_admin"])
    # Past the deadline there is nothing left to give.
    AppraisalRound.objects.filter(pk=round_.pk).update(
        opinions_due=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert todos.counts(personas["liaison"])["give_opinion"] == 0


def test_the_liaisons_navigation_reaches_its_opinions_page(client_for, personas, people):
    round_, *_ = people
    client = client_for(personas["liaison"])
    home = client.get("/").content.decode()
    assert reverse("appraisal:opinions") in home
    index = client.get(reverse("appraisal:opinions"))
    assert index.status_code == 200
    assert [e["round"] for e in index.context["rounds"]] == [round_]
    assert {a.cadre.name for a in index.context["rounds"][0]["people"]} == {"本单位干部", "团旺干部"}
    assert client_for(personas["viewer"]).get(reverse("appraisal:opinions")).status_code == 403
