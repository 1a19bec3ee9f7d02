"""Making a monthly spot-check plan, recomputing its draw, recording a task's outcome and the plan's
figures.

The draw: every cadre whose risk score reaches the threshold, plus a random sample of the others
(at least ``sample_percent`` of them, more when the plan asks for more checks), so nobody is ever
beyond a check. The random part comes from ``random.Random(seed)`` over the others sorted by
assignment id; the seed and the scores are stored with the plan, so anyone can recompute it.
"""

import datetime
import math
import random
import secrets

from django.db import transaction
from django.utils import timezone

from assignments import leave as leave_rules
from assignments.attendance import work_days_for
from assignments.models import Assignment, SpotCheck
from assignments.models.attendance import month_bounds

from . import compiled, signals
from .models import Method, SpotCheckPlan, SpotCheckTask

# Phone checks are made in office hours: 8:30 to 17:30, on the minute.
CALL_FROM, CALL_MINUTES = 8 * 60 + 30, 9 * 60


def draw(scores, threshold, sample_percent, seed, size=0):
    """(risk ids, random ids): every id whose score reaches ``threshold``, then a random sample of the
    rest — ``sample_percent`` of them rounded up, or more to reach ``size`` checks in all."""
    risk = sorted(aid for aid, score in scores.items() if score >= threshold)
    rest = sorted(aid for aid, score in scores.items() if score < threshold)
    k = max(math.ceil(len(rest) * sample_percent / 100), size - len(risk))
    k = min(max(k, 0), len(rest))
    return risk, sorted(random.Random(seed).sample(rest, k))


def _schedule(rng, assignment_ids, methods, month, township_of):
    """For each assignment: (method, date, time to call) — a random working day of its township's
    calendar (after today when the month has begun), a random minute in office hours for a call."""
    first, last = month_bounds(month)
    today = timezone.localdate()
    calendars = work_days_for(set(township_of.values()))
    out = {}
    for aid in assignment_ids:
        method = methods[rng.randrange(len(methods))]
        days = calendars[township_of[aid]].dates(max(first, today), last) or calendars[
            township_of[aid]
        ].dates(first, last)
        date = days[rng.randrange(len(days))] if days else first
        minute = CALL_FROM + rng.randrange(CALL_MINUTES)
        call_at = datetime.time(minute // 60, minute % 60) if method == Method.PHONE else None
        out[aid] = (method, date, call_at)
    return out


def _previous(month):
    return (month - datetime.timedelta(days=1)).replace(day=1)


def make_plan(region, month, size, methods, user, seed=None, today=None):
    """Make the plan for ``region`` (a county or township) and ``month`` from the risk signals of the
    month before, with its tasks."""
    month = month.replace(day=1)
    evidence = _previous(month)
    weights, threshold, percent = signals.settings_for(region)
    risks = signals.month_risks(region, evidence, today=today, weights=weights)
    # Only those still serving in the checked month can be checked.
    serving = set(signals.serving(region, month).values_list("pk", flat=True))
    scores = {aid: r.score for aid, r in risks.items() if aid in serving}
    seed = secrets.randbits(62) if seed is None else seed
    risk_ids, random_ids = draw(scores, threshold, percent, seed, size)
    methods = [m for m in Method.values if m in methods]
    township_of = dict(
        Assignment.objects.filter(pk__in=risk_ids + random_ids).values_list("pk", "village__township__code")
    )
    # The schedule has its own generator (seeded from the plan's), so the draw stays recomputable alone.
    schedule = _schedule(random.Random(seed + 1), risk_ids + random_ids, methods, month, township_of)
    with transaction.atomic():
        plan = SpotCheckPlan.objects.create(
            region=region,
            month=month,
            evidence_month=evidence,
            size=size,
            methods=methods,
            unannounced=Method.UNANNOUNCED in methods,
            threshold=threshold,
            sample_percent=percent,
            seed=seed,
            inputs={
                "weights": weights,
                "scores": {str(aid): [risks[aid].score, risks[aid].reasons] for aid in scores},
            },
            created_by=user,
        )
        SpotCheckTask.objects.bulk_create(
            SpotCheckTask(
                plan=plan,
                assignment_id=aid,
                part=part,
                score=scores[aid],
                method=schedule[aid][0],
                date=schedule[aid][1],
                call_at=schedule[aid][2],
            )
            for part, ids in ((SpotCheckTask.Part.RISK, risk_ids), (SpotCheckTask.Part.RANDOM, random_ids))
            for aid in ids
        )
    return plan


def recompute(plan):
    """The draw again from the plan's stored scores, threshold, share, size and seed."""
    scores = {int(aid): value[0] for aid, value in plan.inputs["scores"].items()}
    return draw(scores, plan.threshold, plan.sample_percent, plan.seed, plan.size)


def verify(plan):
    """Whether the plan's tasks are exactly what its stored draw gives."""
    risk, sample = recompute(plan)
    tasks = list(plan.tasks.values_list("assignment_id", "part"))
    return (
        sorted(a for a, p in tasks if p == SpotCheckTask.Part.RISK) == risk
        and sorted(a for a, p in tasks if p == SpotCheckTask.Part.RANDOM) == sample
    )


def reasons(plan, assignment_id):
    value = plan.inputs["scores"].get(str(assignment_id))
    return [signals.describe(code, params) for code, params in value[1]] if value else []


def record_outcome(task, user, date, found_present, note="", recorded_at=None):
    """Close the task as a spot check (assignments.SpotCheck): the one rule of findings then applies
    (one finding a day; rest days, leave asked before and reported trips excused). ``recorded_at``
    only for the demo's history (by default now: what the sheet said then decides the excuses)."""
    with transaction.atomic():
        task = SpotCheckTask.objects.select_for_update().get(pk=task.pk)
        if task.spot_check_id:
            return task.spot_check
        check = SpotCheck(
            assignment_id=task.assignment_id,
            date=date,
            method=task.method,
            found_present=found_present,
            note=note,
            checked_by=user,
            created_at=recorded_at or timezone.now(),
        )
        check.full_clean(exclude=["assignment", "checked_by"])
        check.save()
        task.spot_check = check
        task.save(update_fields=["spot_check"])
    return check


# The findings of one plan's checks by the one rule (leave_rules.with_findings), built once per
# process (supervision/compiled.py): building it took Django ~70 ms on every plan page.
_FINDINGS = compiled.Compiled(
    lambda plan_id: (
        leave_rules.with_findings(SpotCheck.objects.filter(task__plan_id=plan_id))
        .order_by()
        .values_list("pk", "unexcused_absence")
    ),
    plan_id=compiled.STAND_IN_ID,
)


def absences_in(plan):
    """Ids of the plan's recorded checks that are unexcused absences by the spot-check rules (one
    finding a day; rest days, leave asked before and reported business excused; a withdrawn check is
    none). One query, whether any outcome is recorded or not."""
    return {pk for pk, absent in _FINDINGS.rows(plan_id=plan.pk) if absent}


_DISCREPANCY = compiled.Compiled(
    lambda check_id: leave_rules.discrepancies(SpotCheck.objects.filter(pk=check_id)).values_list("pk"),
    check_id=compiled.STAND_IN_ID,
)


def is_discrepancy(check):
    """Whether the check found the cadre away on a day the sheet records in the village (the rule of
    leave_rules.discrepancies). One query."""
    return bool(_DISCREPANCY.rows(check_id=check.pk))


def with_outcomes(plan, tasks):
    """Set ``finding`` on each of the plan's tasks (loaded with select_related("spot_check")): its
    recorded check with ``unexcused_absence``, or None while the check is to be made."""
    absent = absences_in(plan)
    for t in tasks:
        t.finding = t.spot_check if t.spot_check_id else None
        if t.finding is not None:
            t.finding.unexcused_absence = t.finding.pk in absent
    return tasks


def figures(plan):
    """Checks done, found absent (unexcused absences by the spot-check rules; a withdrawn check is no
    finding) and the hit rate, for the risk-selected and the random part. Two queries."""
    return figures_of(with_outcomes(plan, list(plan.tasks.select_related("spot_check").order_by())))


def figures_of(tasks):
    """``figures`` from tasks already loaded with their ``finding`` (see with_outcomes)."""
    parts = {p: {"planned": 0, "done": 0, "absent": 0} for p in SpotCheckTask.Part.values}
    for t in tasks:
        part = parts[t.part]
        part["planned"] += 1
        if t.finding is not None and not t.finding.withdrawn:
            part["done"] += 1
            part["absent"] += bool(t.finding.unexcused_absence)
    return _rates(parts)


def _rates(parts):
    total = {k: sum(p[k] for p in parts.values()) for k in ("planned", "done", "absent")}
    for p in (*parts.values(), total):
        p["rate"] = round(100 * p["absent"] / p["done"]) if p["done"] else None
    return {"risk": parts["risk"], "random": parts["random"], "total": total}
