"""Issue 18's whole flow in chromium: the township and the dispatching unit give their opinions, the
county opens a person's evidence page, sets the grades, finalizes, prints one person's form and the
round's forms (in the browser and as PDF), and the unit's liaison reads the result letter."""

import datetime
import re

import pytest
from django.urls import reverse

from appraisal.models import AppraisalRound, Grade, Inspection
from assignments.models import Policy

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = 2025


def pdf_pages(data):
    assert data.startswith(b"%PDF")
    return len(re.findall(rb"/Type\s*/Page\b", data))


@pytest.fixture
def file_round(personas, make_village, make_cadre, dispatch, tree):
    ratings = {"王晓东": "good", "李红": "fair"}
    for i, (name, rating) in enumerate(ratings.items()):
        assignment = dispatch(
            make_cadre(name=name, birth=datetime.date(1982, 4, 1) + datetime.timedelta(days=90 * i)),
            make_village(name=f"{name[0]}家村"),
            start=datetime.date(YEAR, 1, 1),
        )
        Inspection.objects.create(
            assignment=assignment,
            year=YEAR,
            half=1,
            work_style=rating,
            people_first=rating,
            discipline=rating,
            results=rating,
            inspected_by=personas["county_admin"],
        )
    Policy.objects.create(
        region=tree["county"], score_weight_inspections=30, score_weight_annual=50, score_weight_assessment=20
    )
    round_ = AppraisalRound.start(tree["county"], YEAR, "annual", personas["county_admin"])
    round_.appraisals.filter(cadre__name="王晓东").update(score=90)
    round_.appraisals.filter(cadre__name="李红").update(score=80)
    return round_


def test_opinions_evidence_grades_forms_and_the_units_result_letter(login, personas, file_round, live_server):
    rows = {a.cadre.name: a for a in file_round.appraisals.select_related("cadre")}
    opinions_url = f"{live_server.url}/appraisal/opinions/{file_round.pk}/"

    # The township clerk: the township's opinions and the 民主测评 of both, saved at once.
    page = login(personas["clerk"])
    page.goto(opinions_url)
    for name, grade in (("王晓东", "excellent"), ("李红", "competent")):
        pk = rows[name].pk
        page.select_option(f"select[name='grade-{pk}']", grade)
        page.fill(f"textarea[name='text-{pk}']", "吃住在村，工作扎实")
        page.fill(f"input[name='held_on-{pk}']", "2025-12-10")
        page.fill(f"input[name='participants-{pk}']", "40")
        page.fill(f"input[name='good-{pk}']", "30")
        page.fill(f"input[name='fairly_good-{pk}']", "6")
        page.fill(f"input[name='average-{pk}']", "4")
    page.click("#opinions-form button.primary")
    page.wait_for_selector(".msg-success")

    # The dispatching unit's liaison: the unit's opinions.
    page = login(personas["liaison"])
    page.goto(opinions_url)
    for name in rows:
        page.select_option(f"select[name='grade-{rows[name].pk}']", "competent")
        page.fill(f"textarea[name='text-{rows[name].pk}']", "履职尽责")
    page.click("#opinions-form button.primary")
    page.wait_for_selector(".msg-success")

    # The county: the evidence page from the round's row, then the grades and finalize.
    page = login(personas["county_admin"])
    page.goto(f"{live_server.url}{file_round.get_absolute_url()}")
    page.click(f"#row-{rows['王晓东'].pk} a.evidence-link")
    page.wait_for_selector("#evidence")
    # 100 × 0.3 + 90 × 0.5 + 90 × 0.2 (民主测评 36 of 40) = 93.00
    assert "93.00" in page.locator("#ev-total").inner_text()
    assert "吃住在村" in page.locator("#evidence").inner_text()
    page.go_back()
    page.wait_for_selector("#round-form")
    # 李红: 80 × 0.3 + 80 × 0.5 + 90 × 0.2 = 82.00, competent.
    assert page.locator(f"#weighted-{rows['李红'].pk} .total").inner_text() == "82.00"
    page.select_option(f"select[name='grade-{rows['王晓东'].pk}']", "excellent")
    page.select_option(f"select[name='grade-{rows['李红'].pk}']", "competent")
    page.click("form[action$='/finalize/'] button")
    page.wait_for_selector(".msg-success")
    file_round.refresh_from_db()
    assert file_round.state == "finalized"
    assert dict(file_round.appraisals.values_list("cadre__name", "grade")) == {
        "王晓东": Grade.EXCELLENT,
        "李红": Grade.COMPETENT,
    }

    # One person's form, the round's forms (one page each), and the round's PDF.
    page.goto(f"{live_server.url}{reverse('appraisal:form_html', args=[file_round.pk, rows['李红'].pk])}")
    assert page.locator(".form-page").count() == 1
    assert "李红" in page.locator(".form-page").inner_text()
    page.goto(f"{live_server.url}{file_round.get_absolute_url()}")
    page.click("#form-links a.button >> nth=0")
    page.wait_for_selector(".form-page")
    assert page.locator(".form-page").count() == 2
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden()
    response = page.request.get(f"{live_server.url}{reverse('appraisal:forms_pdf', args=[file_round.pk])}")
    assert response.status == 200 and pdf_pages(response.body()) == 2

    # The liaison: from the round's page to its unit's result letter.
    page = login(personas["liaison"])
    page.goto(f"{live_server.url}{file_round.get_absolute_url()}")
    page.click("#form-links a[href$='/letters/']")
    letter = page.locator(".form-page.letter")
    assert letter.count() == 1
    text = letter.inner_text()
    assert "王晓东" in text and "李红" in text and "优秀" in text and "称职" in text
