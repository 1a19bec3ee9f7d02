"""The evidence page of a person in chromium: reached from the round's row, and printed on A4 portrait
without the navigation (issue 18, item 1)."""

import datetime
import re

import pytest
from django.utils import timezone

from appraisal.models import AppraisalRound

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def round_of_two(personas, make_village, make_cadre, dispatch, tree):
    start = datetime.date(timezone.localdate().year - 1, 1, 1)
    for i in range(2):
        dispatch(
            make_cadre(name=f"干部{i}", birth=datetime.date(1980, 1, 1) + datetime.timedelta(days=50 * i)),
            make_village(name=f"村{i}"),
            start=start,
        )
    return AppraisalRound.start(tree["county"], start.year, "annual", personas["county_admin"])


def test_the_round_row_opens_the_evidence_page_which_prints_on_a4_without_the_navigation(
    login, personas, round_of_two, live_server, tmp_path
):
    page = login(personas["county_admin"])
    page.goto(f"{live_server.url}{round_of_two.get_absolute_url()}")
    row = round_of_two.appraisals.get(cadre__name="干部1")
    page.click(f"#row-{row.pk} a.evidence-link")
    page.wait_for_selector("#evidence")
    assert page.url.endswith(f"/appraisal/rounds/{round_of_two.pk}/people/{row.pk}/")
    assert page.locator("h1").inner_text().startswith("干部1")
    assert page.locator("section.ev-section").count() == 10
    assert page.locator(".topbar").is_visible()
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden() and page.locator("button[data-print]").is_hidden()
    pdf = tmp_path / "evidence.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes())
    assert boxes, "no page in the PDF"
    width, height = (float(x) for x in boxes[0])
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 portrait (the sheets print landscape)
