"""List pages run a constant number of queries whatever the row count."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

START = datetime.date.today() - datetime.timedelta(days=60)


def populate(n, tree, make_village, make_cadre, dispatch):

    for i in range(n):
        village = make_village(categories=["poverty_exit"] if i % 2 else ["revitalization"])
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=i * 37)
        cadre = make_cadre(name=f"干部{i}", birth=birth)
        dispatch(cadre, village, start=START)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("url_name", ["villages:list", "cadres:list", "home"])
def test_list_pages_run_constant_queries_for_10_and_200_rows(
    url_name, settings, client_for, personas, tree, make_village, make_cadre, dispatch
):
    settings.PAGE_SIZE = 500  # every row on one page, so the rows really are rendered
    client = client_for(personas["county_admin"])
    populate(10, tree, make_village, make_cadre, dispatch)
    small = count_queries(client, reverse(url_name))
    populate(190, tree, make_village, make_cadre, dispatch)
    large = count_queries(client, reverse(url_name))
    assert small == large
    # The dashboard gathers some thirty figures, each one grouped query.
    assert large <= (40 if url_name == "home" else 20)


def test_village_page_runs_constant_queries(client_for, personas, tree, make_village, make_cadre, dispatch):
    client = client_for(personas["county_admin"])
    village = make_village()
    dispatch(make_cadre(), village, start=START)
    small = count_queries(client, village.get_absolute_url())
    for i in range(8):
        dispatch(make_cadre(name=f"队员{i}"), village, role="team_member", start=START)
    assert count_queries(client, village.get_absolute_url()) == small
