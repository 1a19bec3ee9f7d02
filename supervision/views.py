"""精准督查 pages: the plans, one plan with its tasks and figures, its printed tasks, and a task's
outcome. Thin: the rules are in signals.py and plans.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import access, once

from . import plans
from .forms import OutcomeForm, PlanForm
from .models import SpotCheckPlan, SpotCheckTask


@login_required
def plan_list(request):
    rows = (
        access.scope(request.user, SpotCheckPlan.objects.all())
        .select_related("region", "created_by")
        # The scores a plan drew from (a county's: tens of kilobytes of JSON each) are for its own page.
        .defer("inputs")
        .annotate(
            n_tasks=Count("tasks"),
            n_done=Count("tasks", filter=Q(tasks__spot_check__isnull=False)),
        )
        .order_by("-month", "-pk")[:120]
    )
    return render(
        request,
        "supervision/plan_list.html",
        {"plans": rows, "can_plan": access.can(request.user, access.PLAN_SPOT_CHECKS)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request):
    access.require(request.user, access.PLAN_SPOT_CHECKS)
    form = PlanForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        access.require(request.user, access.PLAN_SPOT_CHECKS, d["region"])
        try:
            with once.submission(request) as made:
                plan = plans.make_plan(d["region"], d["month"], d["size"], d["methods"], request.user)
                made(plan)
        except once.AlreadySent as sent:
            messages.info(request, _("This plan was already sent and is made once."))
            return redirect(sent.url or "supervision:plans")
        messages.success(request, _("Plan made: %(n)s checks.") % {"n": plan.tasks.count()})
        return redirect(plan)
    return render(request, "supervision/plan_form.html", {"form": form})


def _plan(request, pk):
    return access.get_object_or_404(
        request.user, SpotCheckPlan.objects.select_related("region", "created_by"), pk=pk
    )


def _tasks(plan, findings=True):
    tasks = list(
        plan.tasks.select_related(
            "assignment__cadre", "assignment__village__township", "spot_check"
        ).order_by("date", "call_at", "pk")
    )
    if findings:  # one query whether any outcome is recorded yet or not
        plans.with_outcomes(plan, tasks)
    for t in tasks:
        if not findings:
            t.finding = None
        t.reasons = plans.reasons(plan, t.assignment_id)
    return tasks


@login_required
def plan_detail(request, pk):
    plan = _plan(request, pk)
    tasks = _tasks(plan)
    return render(
        request,
        "supervision/plan_detail.html",
        {
            "plan": plan,
            "tasks": tasks,
            "figures": plans.figures_of(tasks),
            "verified": plans.verify(plan),
            "can_record": access.can(request.user, access.RECORD_SPOT_CHECK, plan),
        },
    )


@login_required
def plan_print(request, pk):
    plan = _plan(request, pk)
    return render(
        request, "supervision/plan_print.html", {"plan": plan, "tasks": _tasks(plan, findings=False)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_record(request, pk):
    task = access.get_object_or_404(
        request.user,
        SpotCheckTask.objects.select_related(
            "plan__region", "assignment__cadre", "assignment__village__township"
        ),
        pk=pk,
    )
    access.require(request.user, access.RECORD_SPOT_CHECK, task)
    if task.spot_check_id:
        messages.info(request, _("The outcome of this check is already recorded."))
        return redirect(task.plan)
    form = OutcomeForm(request.POST or None, task=task)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            check = plans.record_outcome(task, request.user, d["date"], d["found_present"], d["note"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if plans.is_discrepancy(check):
                messages.warning(
                    request,
                    _("Discrepancy: the attendance sheet records %(cadre)s in the village on %(date)s.")
                    % {"cadre": task.assignment.cadre.name, "date": check.date.isoformat()},
                )
            messages.success(request, _("Outcome recorded as a spot check."))
            return redirect(task.plan)
    return render(request, "supervision/task_form.html", {"task": task, "form": form})
