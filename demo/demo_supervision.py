"""Demo check plans (精准督查, issue 17): the demo county has a plan for each of the last six months,
drawn from its records by the risk signals, with the outcomes of the checks already made recorded as
spot checks, so the plan pages and the county's home show figures. Idempotent: a month that already
has a county plan is left alone."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from assignments.models import AttendanceRecord, Policy
from supervision import plans
from supervision.models import SpotCheckPlan

from .demo import DEMO_COUNTY

# The demo county's records are kept well, so few cadres reach the default threshold (5): it sets its
# own lower one, as a county that wants more of its checks aimed would.
DEMO_THRESHOLD = 3

# The demo's own stand-in for what the checkers find: a day the sheet says A is found away, and
# otherwise a risk-selected cadre is found away more often than one drawn at random.
AWAY = {"risk": 0.30, "random": 0.08}


def seed(builder):
    county = builder.regions.get(f"{DEMO_COUNTY[0]}000000")
    admin = builder.admin_user
    if county is None or admin is None:
        return
    policy, _created = Policy.objects.get_or_create(region=county)
    if policy.supervision_threshold is None:
        policy.supervision_threshold = DEMO_THRESHOLD
        policy.save(update_fields=["supervision_threshold"])
    today = builder.today
    first_this = today.replace(day=1)
    months = []
    month = first_this
    for _i in range(6):
        month = (month - datetime.timedelta(days=1)).replace(day=1)
        months.append(month)
    for month in sorted(months):
        if SpotCheckPlan.objects.filter(region=county, month=month).exists():
            continue
        with transaction.atomic():
            plan = plans.make_plan(
                county, month, 12, ["phone", "visit"], admin, seed=int(f"{month:%Y%m}") * 7919, today=today
            )
            _outcomes(plan, admin, today)
    builder.log(f"supervision: check plans for {len(months)} months in {county.name}")


def _outcomes(plan, admin, today):
    rng = random.Random(plan.seed)
    tasks = list(plan.tasks.order_by("pk"))
    codes = {
        (a, m): days
        for a, m, days in AttendanceRecord.objects.filter(
            assignment_id__in=[t.assignment_id for t in tasks], sheet__month=plan.month
        ).values_list("assignment_id", "sheet__month", "days")
    }
    for task in tasks:
        if task.date >= today or rng.random() < 0.1:  # a few checks not made yet
            continue
        days = codes.get((task.assignment_id, plan.month), "")
        code = days[task.date.day - 1] if len(days) >= task.date.day else ""
        away = code == "A" or rng.random() < AWAY[task.part]
        # Recorded on the evening of the check (a fixed moment: the demo is the same at every seed).
        at = timezone.make_aware(datetime.datetime.combine(task.date, datetime.time(18, 0)))
        note = "演示：电话未接通，村干部称不在村" if away else ""
        plans.record_outcome(task, admin, task.date, not away, note, recorded_at=at)
