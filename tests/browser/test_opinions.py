"""The appraisal file in chromium: the township clerk gives the township's opinion and enters the
民主测评, the unit's liaison gives the unit's opinion, and the county sees both, the satisfaction rate
and the weighted score on the round's page."""

import datetime

import pytest

from appraisal.models import AppraisalRound, DemocraticAssessment, Inspection, Opinion
from assignments.models import Policy

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2025


@pytest.fixture
def open_round(personas, make_village, make_cadre, dispatch, tree):
    assignment = dispatch(
        make_cadre(name="王晓东"), make_village(name="东村"), start=datetime.date(YEAR, 1, 1)
    )
    Inspection.objects.create(
        assignment=assignment,
        year=YEAR,
        half=1,
        work_style="good",
        people_first="good",
        discipline="good",
        results="good",
        inspected_by=personas["county_admin"],
    )
    Policy.objects.create(
        region=tree["county"], score_weight_inspections=30, score_weight_annual=50, score_weight_assessment=20
    )
    round_ = AppraisalRound.start(tree["county"], YEAR, "annual", personas["county_admin"])
    round_.appraisals.update(score=90)
    return round_


def test_township_and_liaison_give_opinions_and_the_county_sees_them(
    login, personas, open_round, live_server
):
    row = open_round.appraisals.get()
    # The township clerk: from the to-dos to the round's opinions page.
    page = login(personas["clerk"])
    page.goto(f"{live_server.url}/todo/")
    page.click(f"a[href='/appraisal/opinions/{open_round.pk}/#row-{row.pk}']")
    page.select_option(f"select[name='grade-{row.pk}']", "excellent")
    page.fill(f"textarea[name='text-{row.pk}']", "吃住在村，群众认可")
    page.fill(f"input[name='held_on-{row.pk}']", "2025-12-10")
    page.fill(f"input[name='participants-{row.pk}']", "40")
    page.fill(f"input[name='good-{row.pk}']", "30")
    page.fill(f"input[name='fairly_good-{row.pk}']", "6")
    page.fill(f"input[name='average-{row.pk}']", "4")
    page.click("#opinions-form button.primary")
    page.wait_for_selector(".msg-success")
    assert DemocraticAssessment.objects.get().satisfaction_percent == 90
    # The liaison: through its navigation.
    page = login(personas["liaison"])
    page.click("nav.mainnav a[href='/appraisal/opinions/']")
    page.click(f"a[href='/appraisal/opinions/{open_round.pk}/']")
    assert page.locator(f"input[name='participants-{row.pk}']").count() == 0  # not the unit's to enter
    page.select_option(f"select[name='grade-{row.pk}']", "competent")
    page.fill(f"textarea[name='text-{row.pk}']", "履职尽责")
    page.click("#opinions-form button.primary")
    page.wait_for_selector(".msg-success")
    assert set(Opinion.objects.values_list("source", "suggested_grade")) == {
        ("township", "excellent"),
        ("unit", "competent"),
    }
    # The county: both opinions, the 民主测评 and the weighted total on the round's page.
    page = login(personas["county_admin"])
    page.goto(f"{live_server.url}{open_round.get_absolute_url()}")
    cell = page.locator(f"#row-{row.pk} td.opinions")
    assert "90.0 %" in cell.inner_text()
    assert cell.locator("b").count() == 3
    # 0.3 × 100 + 0.5 × 90 + 0.2 × 90 = 93.00
    assert page.locator(f"#weighted-{row.pk} .total").inner_text() == "93.00"
