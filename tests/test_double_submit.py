"""A form sent twice — a double click, a resend, two requests at the same instant — makes one object
and answers the second with a friendly message, never a 500 or a duplicate (issue 14, item 7)."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from appraisal.models import AppraisalRound, Inspection
from assignments.models import SpotCheck

PASSWORD = "pw-zhucun-123"  # tests/conftest.py create_user


@pytest.fixture
def serving(make_village, make_cadre, dispatch):
    return dispatch(make_cadre(name="在岗书记"), make_village(name="东村"), start=datetime.date(2025, 3, 1))


def spot_check_data(serving, key):
    return {
        "assignment": serving.pk,
        "date": "2026-03-03",
        "method": "phone",
        "found_present": "False",
        "submission": key,
    }


def inspection_data(key):
    data = {"year": 2025, "half": 1, "work_style": "good", "people_first": "good"}
    return {**data, "discipline": "fair", "results": "good", "submission": key}


def at_once(user, url, data, n=2):
    """``n`` requests with the same data from ``n`` threads, each on its own database connection,
    released together. Returns their status codes."""
    barrier = threading.Barrier(n)
    codes = [None] * n

    def send(i):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        barrier.wait()
        try:
            codes[i] = client.post(url, data).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return codes


def test_a_spot_check_sent_twice_is_recorded_once_and_the_second_is_told(client_for, personas, serving):
    client = client_for(personas["clerk"])
    data = spot_check_data(serving, str(uuid.uuid4()))
    first = client.post(reverse("spotchecks:new"), data)
    second = client.post(reverse("spotchecks:new"), data, follow=True)
    assert first.status_code == 302 and second.status_code == 200
    assert SpotCheck.objects.count() == 1
    assert "已提交过" in second.content.decode()


def test_two_spot_checks_of_the_same_day_with_their_own_forms_are_both_recorded(
    client_for, personas, serving
):
    client = client_for(personas["clerk"])
    client.post(reverse("spotchecks:new"), spot_check_data(serving, str(uuid.uuid4())))
    client.post(reverse("spotchecks:new"), spot_check_data(serving, str(uuid.uuid4())))
    assert SpotCheck.objects.count() == 2  # two checks are two checks: only a resent form is one


def test_the_form_carries_its_one_time_key(client_for, personas, serving):
    body = client_for(personas["clerk"]).get(reverse("spotchecks:new")).content.decode()
    assert 'name="submission"' in body


@pytest.mark.django_db(transaction=True)
def test_a_spot_check_sent_twice_at_the_same_instant_is_recorded_once(personas, serving):
    codes = at_once(personas["clerk"], reverse("spotchecks:new"), spot_check_data(serving, str(uuid.uuid4())))
    assert sorted(codes) == [302, 302]  # the first to its list, the second told and sent to the first's page
    assert SpotCheck.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_inspection_sent_twice_at_the_same_instant_is_recorded_once(personas, serving):
    url = reverse("appraisal:inspection_new", args=[serving.pk])
    codes = at_once(personas["county_admin"], url, inspection_data(str(uuid.uuid4())))
    assert 500 not in codes and Inspection.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_inspection_from_two_forms_at_once_is_refused_kindly_not_a_500(personas, serving):
    url = reverse("appraisal:inspection_new", args=[serving.pk])
    data = inspection_data("")  # two different forms (no shared key): the half year's constraint decides
    codes = at_once(personas["county_admin"], url, data)
    assert sorted(codes) == [200, 302]
    assert Inspection.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_round_created_twice_at_once_is_one_round_and_no_500(personas, serving, tree):
    data = {"county": tree["county"].pk, "year": 2025, "kind": "annual", "submission": ""}
    codes = at_once(personas["county_admin"], reverse("appraisal:rounds"), data)
    assert 500 not in codes and sorted(codes) == [200, 302]
    assert AppraisalRound.objects.count() == 1
