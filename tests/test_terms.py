"""A term of N years ends the day before the Nth anniversary of its start, so a successor — or the
same cadre for a second term — starts on the anniversary."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from assignments.models import Assignment, Policy
from cadres.dates import term_end
from excel import imports

START = datetime.date(2025, 3, 1)
ANNIVERSARY = datetime.date(2027, 3, 1)


@pytest.mark.parametrize(
    ("start", "years", "end"),
    [
        (datetime.date(2025, 3, 1), 2, datetime.date(2027, 2, 28)),
        (datetime.date(2024, 2, 29), 2, datetime.date(2026, 2, 28)),  # leap day: anniversary 1 March
        (datetime.date(2024, 2, 29), 4, datetime.date(2028, 2, 28)),  # a leap anniversary exists
        (datetime.date(2024, 3, 1), 4, datetime.date(2028, 2, 29)),
        (datetime.date(2025, 1, 1), 3, datetime.date(2027, 12, 31)),
    ],
)
def test_a_term_ends_the_day_before_its_anniversary(start, years, end):
    assert term_end(start, years) == end


def test_dispatch_of_two_years_from_2025_03_01_plans_the_end_on_2027_02_28(
    make_cadre, make_village, dispatch
):
    assert dispatch(make_cadre(), make_village(), start=START).planned_end_date == datetime.date(2027, 2, 28)


def test_a_leap_day_start_plans_the_end_on_28_february(make_cadre, make_village, dispatch):
    a = dispatch(make_cadre(), make_village(), start=datetime.date(2024, 2, 29))
    assert a.planned_end_date == datetime.date(2026, 2, 28)


def test_a_three_year_policy_term_ends_the_day_before_the_third_anniversary(
    tree, make_cadre, make_village, dispatch
):
    Policy.objects.create(region=tree["county"], term_years=3)
    assert dispatch(make_cadre(), make_village(), start=START).planned_end_date == datetime.date(2028, 2, 29)


def test_a_successor_first_secretary_starts_on_the_anniversary(make_cadre, make_village, dispatch):
    village = make_village()
    dispatch(make_cadre(name="前任"), village, start=START)
    successor = dispatch(make_cadre(name="继任"), village, start=ANNIVERSARY)
    assert successor.planned_end_date == datetime.date(2029, 2, 28)


def test_the_same_cadre_starts_a_second_term_on_the_anniversary(make_cadre, make_village, dispatch):
    village, cadre = make_village(), make_cadre()
    dispatch(cadre, village, start=START)
    assert dispatch(cadre, village, start=ANNIVERSARY).pk
    assert Assignment.objects.filter(cadre=cadre).count() == 2


def test_a_successor_one_day_before_the_anniversary_is_refused(make_cadre, make_village, dispatch):
    from django.core.exceptions import ValidationError

    village = make_village()
    dispatch(make_cadre(name="前任"), village, start=START)
    with pytest.raises(ValidationError, match="2027-02-28"):
        dispatch(make_cadre(name="继任"), village, start=ANNIVERSARY - datetime.timedelta(days=1))


def post_dispatch(client, village, cadre, start):
    return client.post(
        reverse("assignments:dispatch"),
        {
            "village": village.code,
            "cadre": cadre.pk,
            "role": "first_secretary",
            "start_date": start.isoformat(),
            "dispatch_level": "county",
        },
    )


def test_the_dispatch_page_plans_the_day_before_the_anniversary_and_takes_a_successor_on_it(
    client_for, personas, make_cadre, make_village
):
    client = client_for(personas["county_admin"])
    village, first = make_village(), make_cadre(name="前任")
    assert post_dispatch(client, village, first, START).status_code == 302
    assert Assignment.objects.get(cadre=first).planned_end_date == datetime.date(2027, 2, 28)
    assert post_dispatch(client, village, make_cadre(name="继任"), ANNIVERSARY).status_code == 302
    # The same cadre again, for a second term in another village, from the anniversary too.
    assert post_dispatch(client, make_village(name="二村"), first, ANNIVERSARY).status_code == 302
    assert Assignment.objects.count() == 3
    page = client.get(reverse("assignments:dispatch")).content.decode()
    assert "2027-02-28" in page  # the rule, explained where the planned end is left empty


def test_the_assignment_import_plans_the_day_before_the_anniversary(personas, make_cadre, make_village):
    village, cadre = make_village(), make_cadre()
    wb = Workbook()
    ws = wb.active
    ws.append(["身份证号", "村代码", "职务", "任职时间", "计划期满"])
    ws.append([cadre.id_number, village.code, "第一书记", "2025-03-01", ""])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    assert imports.run("assignments", out, personas["county_admin"], filename="a.xlsx").ok
    assert Assignment.objects.get().planned_end_date == datetime.date(2027, 2, 28)


def test_the_assignment_template_example_follows_the_rule():
    out = io.BytesIO()
    imports.build_template("assignments", out)
    out.seek(0)
    ws = load_workbook(out).active
    example = dict(zip([c.value for c in ws[1]], [c.value for c in ws[2]], strict=True))
    start = datetime.date.fromisoformat(str(example["任职时间"])[:10])
    if example["计划期满"]:
        assert datetime.date.fromisoformat(str(example["计划期满"])[:10]) == term_end(start, 2)


def test_the_extension_page_proposes_one_more_year_to_the_day_before_the_next_anniversary(
    client_for, personas, make_cadre, make_village, dispatch
):
    a = dispatch(make_cadre(), make_village(), start=START)
    assert a.proposed_extension() == datetime.date(2028, 2, 29)
    page = client_for(personas["county_admin"]).get(reverse("assignments:extend", args=[a.pk]))
    assert 'value="2028-02-29"' in page.content.decode()
