"""The half-year inspection (专项考察) page shows what the cadre recorded in that half year — diary
entries, households visited, monthly reports, confirmed trips — so nobody types them again."""

import datetime

import pytest
from django.urls import reverse

from fieldwork.models import DiaryEntry, MonthlyReport, Trip


@pytest.mark.django_db
def test_the_inspection_page_counts_the_cadres_own_records_of_that_half_year(
    personas, client_for, make_cadre, make_village, dispatch
):
    a = dispatch(make_cadre(name="王芳"), make_village(name="东村"), start=datetime.date(2025, 3, 1))
    clerk = personas["clerk"]
    for day, households in [(datetime.date(2026, 3, 2), 3), (datetime.date(2026, 4, 8), 2)]:
        DiaryEntry.objects.create(
            assignment=a, created_by=clerk, date=day, kind="visit", households=households, text="走访"
        )
    DiaryEntry.objects.create(
        assignment=a,
        created_by=clerk,
        date=datetime.date(2026, 8, 1),
        kind="visit",
        households=9,
        text="下半年",
    )
    report = MonthlyReport.objects.create(
        assignment=a, month=datetime.date(2026, 3, 1), text="三月", created_by=clerk
    )
    report.submit(clerk)
    Trip.objects.create(
        assignment=a,
        created_by=clerk,
        start_date=datetime.date(2026, 5, 6),
        end_date=datetime.date(2026, 5, 6),
        kind="meeting",
        destination="县委",
        reason="开会",
        state="confirmed",
    )
    client = client_for(personas["county_admin"])
    page = client.get(reverse("appraisal:inspection_new", args=[a.pk]), {"year": 2026, "half": 1})
    recorded = page.context["recorded"]
    assert (recorded["entries"], recorded["households"], recorded["reports"], recorded["trips"]) == (
        2,
        5,
        1,
        1,
    )
    second = client.post(reverse("appraisal:inspection_new", args=[a.pk]), {"year": 2026, "half": 2})
    assert second.context["recorded"]["households"] == 9  # the half year the form names
