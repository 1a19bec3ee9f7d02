"""Check plans run a constant number of queries (issue 17: a county of 250 cadres, p50 ≤ 150 ms):
making a plan and every supervision page cost the same for a township of 3 cadres and one of 30,
and making a plan costs the same whether the records hold anything to find or not."""

import calendar
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments.models import AttendanceRecord, AttendanceSheet, LeaveRequest, Policy, SpotCheck
from fieldwork.models import CheckIn, DiaryEntry, MonthlyReport, Trip
from supervision.models import SpotCheckPlan


def this_month():
    return timezone.localdate().replace(day=1)


def month_before(month):
    return (month - datetime.timedelta(days=1)).replace(day=1)


def kept_row(month):
    n = calendar.monthrange(month.year, month.month)[1]
    return "".join("H" if month.replace(day=d).weekday() >= 5 else "P" for d in range(1, n + 1))


def weekday_in(month, nth):
    days = [
        month.replace(day=d)
        for d in range(1, calendar.monthrange(month.year, month.month)[1] + 1)
        if month.replace(day=d).weekday() < 5
    ]
    return days[nth]


def at(day, hour=9):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def staff(tree, make_village, make_cadre, dispatch, personas):
    """``staff(township, n, traces)``: n serving cadres in the township with their sheet rows for the
    two finished months; with ``traces`` each also has what every signal reads (a diary entry, a far
    check-in, a late trip, leave whose return is overdue, 补假, a spot check that found the cadre away on
    a day marked P, a monthly report)."""
    evidence = month_before(this_month())
    before = month_before(evidence)
    serial = iter(range(10_000))
    clerk = personas["county_admin"]

    def build(township, n, traces=True):
        out = []
        for _ in range(n):
            i = next(serial)
            a = dispatch(make_cadre(name=f"督查{i}", phone=f"139{i:08d}"), make_village(township=township))
            for month in (before, evidence):
                sheet, _ = AttendanceSheet.objects.get_or_create(township=township, month=month)
                AttendanceRecord.objects.create(sheet=sheet, assignment=a, days=kept_row(month))
            if traces:
                day = weekday_in(evidence, 1)
                DiaryEntry.objects.create(assignment=a, date=day, kind="visit", text="走访", created_by=clerk)
                CheckIn.objects.create(
                    assignment=a,
                    accuracy_m=20,
                    distance_m=9000,
                    flag="far",
                    created_by=clerk,
                    created_at=at(day),
                )
                Trip.objects.create(
                    assignment=a,
                    start_date=weekday_in(evidence, 2),
                    end_date=weekday_in(evidence, 2),
                    kind="meeting",
                    destination="市里",
                    reason="开会",
                    late=True,
                    created_by=clerk,
                )
                for start, end, retroactive, returned in (
                    (weekday_in(evidence, 5), weekday_in(evidence, 6), False, None),
                    (weekday_in(evidence, 8), weekday_in(evidence, 8), True, weekday_in(evidence, 9)),
                ):
                    LeaveRequest.objects.create(
                        assignment=a,
                        start_date=start,
                        end_date=end,
                        reason="家事",
                        state="approved",
                        approval_level="county" if retroactive else "township",
                        retroactive=retroactive,
                        returned_on=returned,
                        created_by=clerk,
                    )
                SpotCheck.objects.create(
                    assignment=a,
                    date=weekday_in(evidence, 3),
                    method="phone",
                    found_present=False,
                    checked_by=clerk,
                )
                MonthlyReport.objects.create(
                    assignment=a,
                    month=evidence,
                    state="submitted",
                    submitted_at=at(weekday_in(evidence, 10)),
                    created_by=clerk,
                )
            out.append(a)
        return out

    # A yearly leave cap, so the near-cap signal reads the leave too.
    Policy.objects.create(region=tree["county"], max_leave_days_per_year=30)
    return build


def plan_queries(client, region, size):
    data = {
        "region": region.pk,
        "month": f"{this_month():%Y-%m}",
        "size": size,
        "methods": ["phone", "visit"],
    }
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(reverse("supervision:new"), data)
    assert response.status_code == 302, response.content[:500]
    plan = SpotCheckPlan.objects.filter(region=region).latest("pk")
    return len(ctx.captured_queries), plan


def get_queries(client, url):
    client.get(url)  # warm: sessions, caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_making_a_plan_and_every_supervision_page_cost_the_same_queries_for_3_cadres_or_30(
    client_for, personas, tree, staff
):
    staff(tree["t1"], 3)
    staff(tree["t2"], 30)
    client = client_for(personas["county_admin"])
    # The first plan pays for what a process loads once (content types, the session); not counted.
    plan_queries(client, tree["t1"], 2)
    few, small = plan_queries(client, tree["t1"], 2)
    many, large = plan_queries(client, tree["t2"], 20)
    assert large.tasks.count() >= 20 > small.tasks.count()
    assert few == many

    # One outcome recorded in each plan: the plan page then has a finding to show for both.
    evidence_day = weekday_in(month_before(this_month()), 4)
    counts = {}
    for plan in (small, large):
        task = plan.tasks.order_by("pk").first()
        url = reverse("supervision:task", args=[task.pk])
        counts.setdefault("task_form", []).append(get_queries(client, url))
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(url, {"date": evidence_day.isoformat(), "found_present": "False"})
        assert response.status_code == 302
        counts.setdefault("task_record", []).append(len(ctx.captured_queries))
        for name in ("supervision:plan", "supervision:print"):
            counts.setdefault(name, []).append(get_queries(client, reverse(name, args=[plan.pk])))
    for name, (a, b) in counts.items():
        assert a == b, (name, counts)
    assert SpotCheck.objects.filter(task__isnull=False).count() == 2

    # The list of plans: three plans or thirty.
    listing = [get_queries(client, reverse("supervision:plans"))]
    for _ in range(27):
        plan_queries(client, tree["t1"], 1)
    listing.append(get_queries(client, reverse("supervision:plans")))
    assert listing[0] == listing[1]


def test_making_a_plan_costs_the_same_queries_whether_the_records_hold_anything_or_not(
    client_for, personas, tree, staff
):
    staff(tree["t1"], 3, traces=True)
    staff(tree["t2"], 30, traces=False)
    client = client_for(personas["county_admin"])
    plan_queries(client, tree["t1"], 2)
    with_traces, _plan = plan_queries(client, tree["t1"], 2)
    without, _plan = plan_queries(client, tree["t2"], 5)
    assert with_traces == without


def test_a_plan_page_costs_the_same_queries_before_and_after_an_outcome_is_recorded(
    client_for, personas, tree, staff
):
    staff(tree["t1"], 3)
    client = client_for(personas["county_admin"])
    _n, plan = plan_queries(client, tree["t1"], 2)
    before = get_queries(client, plan.get_absolute_url())
    task = plan.tasks.order_by("pk").first()
    day = weekday_in(month_before(this_month()), 4)
    client.post(
        reverse("supervision:task", args=[task.pk]), {"date": day.isoformat(), "found_present": "True"}
    )
    assert SpotCheck.objects.filter(task=task).exists()
    assert get_queries(client, plan.get_absolute_url()) == before
