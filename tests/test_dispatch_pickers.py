"""The dispatch page's pickers (issue 13, item 10): the cadre list leaves out the cadres serving on
the start date and searches by name or the end of the ID number; the village list shows what each
village lacks, gaps first."""

import datetime
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments import pickers
from assignments.models import Assignment
from cadres.models import Cadre

URL = reverse("assignments:dispatch")


class _Options(HTMLParser):
    """{select name: [(optgroup label, value, text, selected)]}."""

    def __init__(self, html):
        super().__init__()
        self.selects, self._select, self._group, self._option = {}, None, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._select = self.selects.setdefault(attrs["name"], [])
        elif tag == "optgroup":
            self._group = attrs.get("label")
        elif tag == "option" and self._select is not None:
            self._option = [self._group, attrs.get("value", ""), "", "selected" in attrs]
            self._select.append(self._option)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = self._group = None
        elif tag == "optgroup":
            self._group = None
        elif tag == "option":
            self._option = None

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data


def options(response, name):
    assert response.status_code == 200
    return [tuple(o) for o in _Options(response.content.decode()).selects[name] if o[1]]


def cadre_ids(response):
    return {int(value) for _g, value, _t, _s in options(response, "cadre")}


def village_texts(response):
    return {value: text for _g, value, text, _s in options(response, "village")}


@pytest.fixture
def admin(client_for, personas):
    return client_for(personas["county_admin"])


TODAY = timezone.localdate()
LONG_AGO = TODAY - datetime.timedelta(days=400)


def test_a_cadre_serving_on_the_start_date_is_not_offered(admin, make_village, make_cadre, dispatch):
    serving, free = make_cadre(name="在驻者"), make_cadre(name="空闲者")
    dispatch(serving, make_village(), start=LONG_AGO)
    offered = cadre_ids(admin.get(URL))
    assert free.pk in offered and serving.pk not in offered
    # Nor on a later start date the term still covers.
    later = (TODAY + datetime.timedelta(days=30)).isoformat()
    assert serving.pk not in cadre_ids(admin.get(URL, {"start_date": later}))


def test_a_cadre_whose_assignment_ended_before_the_start_date_is_offered(
    admin, personas, make_village, make_cadre, dispatch
):
    cadre = make_cadre()
    a = dispatch(cadre, make_village(), start=LONG_AGO)
    last_day = TODAY - datetime.timedelta(days=10)
    a.end(last_day, Assignment.EndReason.ADJUSTED, user=personas["county_admin"])
    assert cadre.pk in cadre_ids(admin.get(URL))
    assert cadre.pk in cadre_ids(admin.get(URL, {"start_date": (last_day + datetime.timedelta(days=1))}))
    # On its last day it still serves.
    assert cadre.pk not in cadre_ids(admin.get(URL, {"start_date": last_day.isoformat()}))


def test_a_term_past_its_planned_end_no_longer_serves(admin, make_village, make_cadre, dispatch):
    cadre = make_cadre()
    dispatch(cadre, make_village(), start=LONG_AGO, planned_end_date=TODAY - datetime.timedelta(days=1))
    assert cadre.pk in cadre_ids(admin.get(URL))


def test_the_search_finds_a_cadre_by_name_and_by_the_end_of_the_id_number(admin, make_cadre):
    wanted, other = make_cadre(name="李建国"), make_cadre(name="王秀英")
    by_name = admin.get(URL, {"q": "建国"})
    assert cadre_ids(by_name) == {wanted.pk}
    assert cadre_ids(admin.get(URL, {"q": wanted.id_number[-4:]})) == {wanted.pk}
    # The county sees whole ID numbers, so may search by a longer tail; an X is found either case.
    assert cadre_ids(admin.get(URL, {"q": wanted.id_number[-8:].lower()})) == {wanted.pk}
    assert other.pk in cadre_ids(admin.get(URL))


def test_an_option_shows_the_name_the_unit_and_only_the_tail_of_the_id_number(admin, make_cadre):
    cadre = make_cadre(name="李建国")
    response = admin.get(URL)
    [text] = [t for _g, v, t, _s in options(response, "cadre") if v == str(cadre.pk)]
    assert text == f"李建国（莱阳市财政局，…{cadre.id_number[-4:]}）"
    assert cadre.id_number not in response.content.decode()
    assert f'data-tail="{cadre.id_number[-4:]}"' in response.content.decode()


def test_someone_who_sees_masked_id_numbers_searches_by_the_last_four_characters_only(personas, make_cadre):
    cadre = make_cadre(name="李建国")
    clerk = personas["clerk"]
    cadres = Cadre.objects.all()
    found, note = pickers.search_cadres(cadres, cadre.id_number[-4:], clerk)
    assert list(found) == [cadre] and not note
    for longer in (cadre.id_number[-5:], cadre.id_number[-8:], cadre.id_number):
        found, note = pickers.search_cadres(cadres, longer, clerk)
        assert not found.exists() and "4" in note
    # Those who see the whole number may search by all of it.
    found, _note = pickers.search_cadres(cadres, cadre.id_number, personas["county_admin"])
    assert list(found) == [cadre]


def test_odd_searches_and_dates_list_nothing_wrong(admin, make_cadre):
    cadre = make_cadre(name="李建国")
    for params in (
        {"q": "李\x00建国"},
        {"q": "建" * 5000},
        {"q": "%"},
        {"start_date": "2026-02-30"},
        {"start_date": "0001-01-01", "cadre": "99999999999999999999"},
        {"cadre": "-1", "village": "<b>"},
    ):
        response = admin.get(URL, params)
        assert response.status_code == 200
    assert cadre_ids(admin.get(URL, {"q": "李\x00建国"})) == {cadre.pk}
    assert not cadre_ids(admin.get(URL, {"q": "%"}))


def test_a_clerk_cannot_open_the_dispatch_page_at_all(client_for, personas):
    assert client_for(personas["clerk"]).get(URL, {"q": "1234"}).status_code == 403


def test_the_village_options_show_what_each_village_lacks_gaps_first(
    admin, personas, tree, make_village, make_cadre, dispatch
):
    lacking = make_village(name="东村", categories=["revitalization"])
    covered = make_village(name="西村", categories=["revitalization"])
    recalled = make_village(name="南村", categories=["revitalization"])
    unneeded = make_village(name="北村", categories=[])
    short_team = make_village(name="中村", categories=["poverty_exit"])
    dispatch(make_cadre(name="甲"), covered, start=LONG_AGO)
    dispatch(make_cadre(name="乙"), short_team, start=LONG_AGO)
    dispatch(make_cadre(name="丙"), recalled, start=LONG_AGO).recall(
        TODAY - datetime.timedelta(days=3), "工作不胜任", personas["county_admin"]
    )
    response = admin.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    texts = village_texts(response)
    assert texts[lacking.code] == "沐浴店镇 · 东村 — 缺第一书记"
    assert texts[recalled.code] == "沐浴店镇 · 南村 — 召回待补派"
    english = village_texts(admin.get(URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert english[covered.code] == "沐浴店镇 · 西村 — Fully covered"
    assert english[unneeded.code] == "沐浴店镇 · 北村 — No cadres required"
    assert english[short_team.code] == "沐浴店镇 · 中村 — Work team too small (1/3)"
    # Grouped: the villages with a gap, then the covered ones, then those that need nobody.
    order = [value for _g, value, _t, _s in options(admin.get(URL, HTTP_ACCEPT_LANGUAGE="en"), "village")]
    assert set(order[:3]) == {lacking.code, recalled.code, short_team.code}
    assert order[3:] == [covered.code, unneeded.code]
    groups = [g for g, _v, _t, _s in options(admin.get(URL, HTTP_ACCEPT_LANGUAGE="en"), "village")]
    assert groups[0] == "Villages with a gap" and groups[-1] == "Villages that need no cadres"


def test_the_village_page_prefill_still_chooses_the_village_and_the_role(admin, make_village):
    village = make_village()
    response = admin.get(URL, {"village": village.code, "role": "team_member"})
    assert [v for _g, v, _t, selected in options(response, "village") if selected] == [village.code]
    assert [v for _g, v, _t, selected in options(response, "role") if selected] == ["team_member"]


def dispatch_data(village, cadre, **extra):
    return {
        "village": village.code,
        "cadre": cadre.pk,
        "role": "first_secretary",
        "start_date": TODAY.isoformat(),
        "dispatch_level": "county",
    } | extra


def test_dispatching_from_the_pickers_works_end_to_end(admin, make_village, make_cadre):
    village, cadre = make_village(), make_cadre(name="李建国")
    # Find by the ID tail, keeping what is entered; nothing is dispatched by finding.
    found = admin.post(URL, dispatch_data(village, cadre, batch="2026年第二批", q="建国", find="1"))
    assert cadre_ids(found) == {cadre.pk} and not Assignment.objects.exists()
    page = found.content.decode()
    assert "2026年第二批" in page and f'value="{TODAY.isoformat()}"' in page
    assert [v for _g, v, _t, selected in options(found, "village") if selected] == [village.code]
    response = admin.post(URL, dispatch_data(village, cadre, batch="2026年第二批", q="建国"))
    a = Assignment.objects.get()
    assert response.status_code == 302 and response["Location"] == a.get_absolute_url()
    assert (a.cadre, a.village, a.batch) == (cadre, village, "2026年第二批")
    # Now serving: no longer offered, and the village no longer lacks its first secretary.
    again = admin.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert cadre.pk not in cadre_ids(again)
    assert "Lacks a first secretary" not in village_texts(again)[village.code]


def test_a_serving_cadre_posted_anyway_is_refused_by_the_dispatch_rule(
    admin, make_village, make_cadre, dispatch
):
    cadre = make_cadre(name="在驻者")
    dispatch(cadre, make_village(name="旧村"), start=LONG_AGO)
    response = admin.post(URL, dispatch_data(make_village(name="新村"), cadre), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and Assignment.objects.count() == 1
    assert "already serves in 旧村" in response.content.decode()
    # The refused choice stays chosen on the page, beside the message.
    assert [v for _g, v, _t, selected in options(response, "cadre") if selected] == [str(cadre.pk)]


def test_another_countys_cadres_and_villages_never_appear(admin, tree, make_village, make_cadre):
    mine = make_cadre(name="本县干部")
    theirs = make_cadre(name="外县干部", unit=tree["other_unit"], region=tree["other_county"])
    their_village = make_village(township=tree["t3"], name="外县村")
    for params in ({}, {"q": "外县"}, {"q": theirs.id_number[-4:]}, {"q": theirs.id_number}):
        response = admin.get(URL, params)
        assert theirs.pk not in cadre_ids(response)
        assert their_village.code not in village_texts(response)
        assert "外县干部" not in response.content.decode() and "外县村" not in response.content.decode()
    assert mine.pk in cadre_ids(admin.get(URL))
    # Nor can they be posted, found or kept.
    response = admin.post(URL, dispatch_data(their_village, theirs) | {"find": "1"})
    assert theirs.pk not in cadre_ids(response)
    response = admin.post(URL, dispatch_data(their_village, theirs), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Assignment.objects.exists()


def test_the_dispatch_page_runs_constant_queries_whatever_the_number_of_villages_and_cadres(
    admin, make_village, make_cadre, dispatch
):
    def populate(n):
        for i in range(n):
            village = make_village(categories=["poverty_exit"] if i % 2 else ["revitalization"])
            birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=i * 37)
            if i % 3:
                dispatch(make_cadre(name=f"干部{i}", birth=birth), village, start=LONG_AGO)
            make_cadre(name=f"备选{i}", birth=birth)

    def count(**params):
        with CaptureQueriesContext(connection) as ctx:
            response = admin.get(URL, params)
        assert response.status_code == 200
        return len(ctx)

    populate(5)
    small, small_search = count(), count(q="干部")
    populate(60)
    assert count() == small and count(q="干部") == small_search
    # The header's to-do count is most of them; the pickers are one query each.
    assert small <= 30
