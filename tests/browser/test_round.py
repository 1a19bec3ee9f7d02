"""The appraisal round page in chromium: finalize without saving keeps the grades, and leaving the
page with unsaved edits asks first (beforeunload), but saving does not."""

import datetime
import re

import pytest
from django.utils import timezone

from appraisal.models import AppraisalRound, Grade

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def round_of_four(personas, make_village, make_cadre, dispatch, tree):
    start = datetime.date(timezone.localdate().year - 1, 1, 1)
    for i in range(4):
        dispatch(
            make_cadre(name=f"干部{i}", birth=datetime.date(1980, 1, 1) + datetime.timedelta(days=50 * i)),
            make_village(name=f"村{i}"),
            start=start,
        )
    return AppraisalRound.start(tree["county"], start.year, "annual", personas["county_admin"])


def grade_select(page, round_, name):
    row = round_.appraisals.get(cadre__name=name)
    return page.locator(f"select[name='grade-{row.pk}']")


def test_edits_then_finalize_without_saving_keeps_every_grade(login, personas, round_of_four, live_server):
    page = login(personas["county_admin"])
    page.goto(f"{live_server.url}{round_of_four.get_absolute_url()}")
    for i in range(4):
        grade_select(page, round_of_four, f"干部{i}").select_option("excellent" if i < 2 else "competent")
    assert page.locator("#quota .e").inner_text() == "2"  # the counter follows the edits
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.click("form[action$='/finalize/'] button")
    page.wait_for_selector(".msg-success")
    assert dialogs == []  # submitting is no leaving
    round_of_four.refresh_from_db()
    assert round_of_four.state == "finalized"
    grades = sorted(round_of_four.appraisals.values_list("grade", flat=True))
    assert grades == sorted([Grade.EXCELLENT] * 2 + [Grade.COMPETENT] * 2)


def test_leaving_with_unsaved_edits_asks_first_and_saving_does_not(
    login, personas, round_of_four, live_server
):
    page = login(personas["county_admin"])
    url = f"{live_server.url}{round_of_four.get_absolute_url()}"
    page.goto(url)
    assert page.locator("#unsaved").is_hidden()
    page.locator("input[name^='score-']").first.fill("88")
    assert page.locator("#unsaved").is_visible()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.click("a[href='/']")  # the breadcrumb home: leaving
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert re.search(r"/appraisal/rounds/\d+/$", page.url)  # dismissed: still here, edit kept
    assert page.locator("input[name^='score-']").first.input_value() == "88"
    page.click("#round-form button.primary")
    page.wait_for_selector(".msg-success")
    assert dialogs == ["beforeunload"]
    assert round_of_four.appraisals.filter(score=88).count() == 1
    page.click("a[href='/']")  # saved: leaves without asking
    page.wait_for_url(f"{live_server.url}/")
    assert dialogs == ["beforeunload"]
