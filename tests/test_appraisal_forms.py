"""The printed forms of the appraisal file (issue 18, item 4): the 年度考核登记表 and 期满考核登记表,
the 驻村工作经历 for the personnel file and the result letter to each dispatching unit, in the
browser and as PDF (one person a page)."""

import datetime
import re
import shutil
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal import pdf
from appraisal.models import AppraisalRound, DemocraticAssessment, Grade, Opinion
from cadres.models import Unit

YEAR = 2025

requires_chromium = pytest.mark.skipif(
    not pdf.available(), reason="headless Chromium (/usr/bin/chromium) is not installed on this machine"
)


def pdf_pages(data):
    """Pages of a PDF: its page objects, and poppler's count when pdfinfo is installed."""
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout
        assert int(re.search(rb"Pages:\s+(\d+)", info).group(1)) == pages
    return pages


@pytest.fixture
def people(tree, make_village, make_cadre, dispatch):
    """``make(n, township)``: n first secretaries serving all of YEAR, each in a village of its own."""

    def make(n, township=None, unit=None, prefix="书记"):
        return [
            dispatch(
                make_cadre(
                    name=f"{prefix}{i}",
                    birth=datetime.date(1975, 1, 1) + datetime.timedelta(days=40 * i),
                    unit=unit,
                    education="bachelor",
                    ethnicity="汉族",
                    position="副科长",
                ),
                make_village(township=township or tree["t1"], name=f"{prefix}村{i}"),
                start=datetime.date(2024, 6, 1),
            )
            for i in range(n)
        ]

    return make


def start(personas, tree, year=YEAR, kind="annual"):
    return AppraisalRound.start(tree["county"], year, kind, personas["county_admin"])


def finalize(round_, personas):
    """Grade everyone (the first third excellent, the quota) and finalize the round."""
    rows = list(round_.appraisals.order_by("pk"))
    for i, a in enumerate(rows):
        a.grade = Grade.EXCELLENT if i < max(1, -(-len(rows) * 3 // 10)) else Grade.COMPETENT
    type(rows[0]).objects.bulk_update(rows, ["grade"])
    round_.finalize(personas["county_admin"])
    round_.refresh_from_db()
    return round_


def test_the_annual_form_shows_the_persons_data_its_opinions_and_its_assessment(
    client_for, personas, tree, people
):
    assignment = people(1)[0]
    round_ = start(personas, tree)
    appraisal = round_.appraisals.get()
    Opinion.objects.create(
        appraisal=appraisal,
        source="township",
        suggested_grade="excellent",
        text="扎根基层，群众公认",
        given_by=personas["clerk"],
    )
    DemocraticAssessment.objects.create(
        appraisal=appraisal,
        held_on=datetime.date(YEAR, 12, 10),
        participants=40,
        good=31,
        fairly_good=5,
        average=3,
        poor=1,
        entered_by=personas["clerk"],
    )
    response = client_for(personas["county_admin"]).get(
        reverse("appraisal:form_html", args=[round_.pk, appraisal.pk])
    )
    assert response.status_code == 200
    html = response.content.decode()
    cadre = assignment.cadre
    for fact in [
        cadre.name,
        "莱阳市财政局",
        "副科长",
        assignment.village.name,
        "汉族",
        f"{cadre.birth_date:%Y.%m}",
    ]:
        assert fact in html
    assert "扎根基层，群众公认" in html  # the township's opinion; the unit's box is left to fill in
    assert html.count('class="suggested"') == 1
    assert "90.0" in html  # (31 + 5) ÷ 40 satisfied
    assert cadre.id_number not in html  # never printed, not even masked
    assert html.count('class="form-page"') == 1


def test_the_round_forms_are_one_section_per_person_and_the_clerk_gets_only_its_own_people(
    client_for, personas, tree, people
):
    people(3)
    people(2, township=tree["t2"], prefix="团旺")
    round_ = start(personas, tree)
    url = reverse("appraisal:forms_html", args=[round_.pk])
    html = client_for(personas["county_admin"]).get(url).content.decode()
    assert html.count('class="form-page"') == 5
    html = client_for(personas["clerk"]).get(url).content.decode()
    assert html.count('class="form-page"') == 3
    assert "团旺" not in html


def test_the_liaison_and_the_cadre_get_no_registration_forms(client_for, personas, tree, people):
    people(1)
    round_ = finalize(start(personas, tree), personas)
    appraisal = round_.appraisals.get()
    for url in [
        reverse("appraisal:forms_html", args=[round_.pk]),
        reverse("appraisal:form_html", args=[round_.pk, appraisal.pk]),
        reverse("appraisal:experience_html", args=[appraisal.cadre_id]),
    ]:
        assert client_for(personas["liaison"]).get(url).status_code == 404


def test_the_term_end_form_summarises_the_whole_term_with_each_years_grade(
    client_for, personas, tree, make_village, make_cadre, dispatch
):
    cadre = make_cadre(name="期满书记")
    assignment = dispatch(cadre, make_village(), start=datetime.date(2023, 3, 1))  # ends 2025-02-28
    finalize(start(personas, tree, year=2024), personas)  # rated excellent in 2024
    round_ = start(personas, tree, kind="term_end")
    appraisal = round_.appraisals.get()
    html = (
        client_for(personas["county_admin"])
        .get(reverse("appraisal:form_html", args=[round_.pk, appraisal.pk]), HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "2023.03.01—2025.02.28" in html
    assert "<td>24</td>" in html  # months served over the term
    assert "2024: Excellent" in html
    assert assignment.village.name in html


def test_the_record_of_village_service_lists_every_assignment_with_its_months(
    client_for, personas, tree, make_village, make_cadre, dispatch
):
    cadre = make_cadre(name="经历书记")
    first = dispatch(cadre, make_village(name="甲村"), start=datetime.date(2021, 3, 1))
    first.end(datetime.date(2023, 2, 28), "term_completed", personas["county_admin"])
    dispatch(cadre, make_village(name="乙村"), start=datetime.date(2023, 3, 1))
    html = (
        client_for(personas["county_admin"])
        .get(reverse("appraisal:experience_html", args=[cadre.pk]))
        .content.decode()
    )
    assert "甲村" in html and "乙村" in html
    assert '<td class="n">24</td>' in html  # 2021-03-01 – 2023-02-28


def test_the_unit_letter_lists_only_that_units_cadres(client_for, personas, tree, people):
    other = Unit.objects.create(name="莱阳市教育局", level="county", kind="party_gov", region=tree["county"])
    people(2, prefix="财政")
    people(2, unit=other, prefix="教育")
    round_ = finalize(start(personas, tree), personas)
    client = client_for(personas["county_admin"])
    html = client.get(reverse("appraisal:letter_html", args=[round_.pk, tree["unit"].pk])).content.decode()
    assert "财政0" in html and "财政1" in html
    assert "教育0" not in html and "教育1" not in html
    html = client.get(reverse("appraisal:letters_html", args=[round_.pk])).content.decode()
    assert html.count('class="form-page letter"') == 2  # the county: one letter per unit


def test_the_liaison_gets_its_units_letter_and_404_for_another_unit(client_for, personas, tree, people):
    other = Unit.objects.create(name="莱阳市教育局", level="county", kind="party_gov", region=tree["county"])
    people(1, prefix="财政")
    people(1, unit=other, prefix="教育")
    round_ = finalize(start(personas, tree), personas)
    client = client_for(personas["liaison"])
    own = client.get(reverse("appraisal:letter_html", args=[round_.pk, tree["unit"].pk]))
    assert own.status_code == 200 and "财政0" in own.content.decode()
    assert client.get(reverse("appraisal:letter_html", args=[round_.pk, other.pk])).status_code == 404
    letters = client.get(reverse("appraisal:letters_html", args=[round_.pk])).content.decode()
    assert "财政0" in letters and "教育0" not in letters


def test_a_draft_rounds_letter_is_refused_to_the_liaison_and_marked_as_a_draft_for_the_county(
    client_for, personas, tree, people
):
    people(1)
    round_ = start(personas, tree)
    url = reverse("appraisal:letter_html", args=[round_.pk, tree["unit"].pk])
    assert client_for(personas["liaison"]).get(url).status_code == 404
    html = client_for(personas["county_admin"]).get(url).content.decode()
    assert 'class="draft-mark"' in html
    finalize(round_, personas)
    html = client_for(personas["county_admin"]).get(url).content.decode()
    assert 'class="draft-mark"' not in html


def test_a_clerk_gets_no_letters(client_for, personas, tree, people):
    people(1)
    round_ = finalize(start(personas, tree), personas)
    assert (
        client_for(personas["clerk"]).get(reverse("appraisal:letters_html", args=[round_.pk])).status_code
        == 404
    )


def test_the_round_forms_run_the_same_queries_for_3_and_for_30_people(client_for, personas, tree, people):
    client = client_for(personas["county_admin"])
    counts = []
    for n, prefix in [(3, "少"), (30, "多")]:
        AppraisalRound.objects.all().delete()
        people(n if n == 3 else n - 3, prefix=prefix)
        round_ = start(personas, tree)
        for a in round_.appraisals.all():
            Opinion.objects.create(
                appraisal=a, source="unit", suggested_grade="competent", text="好", given_by=personas["clerk"]
            )
        url = reverse("appraisal:forms_html", args=[round_.pk])
        client.get(url)  # warm (session, policy)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.content.decode().count('class="form-page"') == n
        counts.append(len(queries))
    assert counts[0] == counts[1]


@requires_chromium
def test_the_rounds_pdf_has_exactly_one_page_per_person(client_for, personas, tree, people):
    people(3)
    round_ = start(personas, tree)
    response = client_for(personas["county_admin"]).get(reverse("appraisal:forms_pdf", args=[round_.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert pdf_pages(response.content) == 3


@requires_chromium
def test_the_term_end_forms_and_the_letters_print_as_pdf(
    client_for, personas, tree, make_village, make_cadre, dispatch
):
    for i in range(2):
        dispatch(make_cadre(name=f"期满{i}"), make_village(), start=datetime.date(2023, 3, 1))
    round_ = finalize(start(personas, tree, kind="term_end"), personas)
    client = client_for(personas["county_admin"])
    assert pdf_pages(client.get(reverse("appraisal:forms_pdf", args=[round_.pk])).content) == 2
    assert pdf_pages(client.get(reverse("appraisal:letters_pdf", args=[round_.pk])).content) == 1


def test_without_chromium_the_pdf_link_says_so_instead_of_failing(
    client_for, personas, tree, people, settings
):
    settings.PDF_CHROMIUM = "/nonexistent/chromium"
    people(1)
    round_ = start(personas, tree)
    client = client_for(personas["county_admin"])
    response = client.get(reverse("appraisal:forms_pdf", args=[round_.pk]))
    assert response.status_code == 503
    assert 'id="pdf-unavailable"' in response.content.decode()
    page = client.get(reverse("appraisal:forms_html", args=[round_.pk])).content.decode()
    assert reverse("appraisal:forms_pdf", args=[round_.pk]) not in page  # no link where it cannot work


def test_the_cadre_page_links_to_the_record_of_village_service_for_the_offices_only(
    client_for, personas, people
):
    (assignment,) = people(1)
    url = reverse("appraisal:experience_html", args=[assignment.cadre.pk])
    page = client_for(personas["county_admin"]).get(assignment.cadre.get_absolute_url())
    assert url in page.content.decode()
    assert client_for(personas["county_admin"]).get(url).status_code == 200
    liaison = client_for(personas["liaison"])
    page = liaison.get(assignment.cadre.get_absolute_url())
    assert page.status_code == 200 and url not in page.content.decode()
    assert liaison.get(url).status_code == 404
