"""Related lists inside one county: a township committee reads its own township's part of a cadre
who served in two townships, on the round page as on the cadre page; the county reads both."""

import datetime

from django.urls import reverse

from appraisal.models import AppraisalRound


def test_a_round_lists_only_the_villages_of_the_viewers_township(
    personas, tree, make_village, make_cadre, dispatch, client_for
):
    cadre = make_cadre(name="两镇干部")
    first = make_village(name="沐浴店一村")
    second = make_village(township=tree["t2"], name="团旺一村")
    earlier = dispatch(cadre, first, start=datetime.date(2024, 3, 1))
    earlier.end(datetime.date(2025, 5, 31), "adjusted")
    dispatch(cadre, second, start=datetime.date(2025, 6, 1))
    round_ = AppraisalRound.start(tree["county"], 2025, "annual", personas["county_admin"])
    url = reverse("appraisal:round", args=[round_.pk])

    pages = {p: client_for(personas[p]).get(url) for p in ("county_admin", "clerk", "other_clerk")}
    shown = {
        p: {s.village.name for a in r.context["appraisals"] for s in a.shown_assignments}
        for p, r in pages.items()
    }
    assert shown == {
        "county_admin": {"沐浴店一村", "团旺一村"},
        "clerk": {"沐浴店一村"},
        "other_clerk": {"团旺一村"},
    }
    for persona, village in [("clerk", "团旺一村"), ("other_clerk", "沐浴店一村")]:
        assert village not in pages[persona].content.decode()
    # the verdict still counts the whole year in the county (months served: both assignments)
    facts = {p: [a.facts for a in r.context["appraisals"]][0] for p, r in pages.items()}
    assert len({f.months_served for f in facts.values()}) == 1


def test_a_cadres_page_lists_only_the_viewers_township_within_a_county(
    personas, tree, make_village, make_cadre, dispatch, client_for
):
    cadre = make_cadre(name="两镇干部")
    first = make_village(name="沐浴店一村")
    second = make_village(township=tree["t2"], name="团旺一村")
    earlier = dispatch(cadre, first, start=datetime.date(2024, 3, 1))
    earlier.end(datetime.date(2025, 5, 31), "adjusted")
    later = dispatch(cadre, second, start=datetime.date(2025, 6, 1))
    expected = {"county_admin": {earlier.pk, later.pk}, "clerk": {earlier.pk}, "other_clerk": {later.pk}}
    for persona, pks in expected.items():
        response = client_for(personas[persona]).get(cadre.get_absolute_url())
        assert {a.pk for a in response.context["history"]} == pks, persona
