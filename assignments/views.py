"""Pages for villages, cadres and assignments. Thin: rules live on the models and in rules.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import access
from accounts import history as change_history
from cadres.models import Cadre
from villages.models import Village

from . import coverage, pages, rules
from . import leave as leave_rules
from .filters import CadreFilter, VillageFilter, sorted_by
from .forms import DispatchForm, EndForm, ExtendForm, RecallForm, apply_errors
from .models import Assignment, AttendanceRecord, LeaveRequest, Policy, SpotCheck


def _page(request, queryset):
    return Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def _current_secretary_name():
    serving = Assignment.objects.filter(
        village=OuterRef("pk"), role=Assignment.Role.FIRST_SECRETARY
    ).serving_on(timezone.localdate())
    return Subquery(serving.values("cadre__name")[:1])


@login_required
def village_list(request):
    today = timezone.localdate()
    villages = access.scope(request.user, Village.objects.select_related("township"))
    villages = coverage.annotate(villages, today).annotate(secretary_name=_current_secretary_name())
    filterset = VillageFilter(request.GET or None, queryset=villages, user=request.user)
    return render(
        request,
        "assignments/village_list.html",
        {
            "filter": filterset,
            "page": _page(request, sorted_by(filterset, villages, "code")),
            "can_dispatch": access.can(request.user, access.DISPATCH),
        },
    )


@login_required
def village_detail(request, code):
    village = access.get_object_or_404(request.user, Village.objects.select_related("township"), code=code)
    today = timezone.localdate()
    status = coverage.village_status(village, today)
    # Through the jurisdiction: a unit liaison sees the village of its cadre, not the other units'
    # cadres serving there (their pages answer it 404).
    history = list(
        access.scope(request.user, Assignment.objects.filter(village=village))
        .select_related("cadre__unit")
        .order_by("-start_date", "role")
    )
    team = [a for a in history if a.is_serving_on(today)]
    team.sort(key=lambda a: (a.role != Assignment.Role.FIRST_SECRETARY, a.cadre.name))
    return render(
        request,
        "assignments/village_detail.html",
        {
            "change_history": change_history.for_object(village, request.user)
            if access.sees_history(request.user)
            else None,
            "village": village,
            "status": status,
            "team": team,
            "history": history,
            "policy": Policy.effective_for(village.township),
            "sections": pages.render_sections(pages.VILLAGE_SECTIONS, request, village),
            "can_dispatch": access.can(request.user, access.DISPATCH, village),
        },
    )


@login_required
def cadre_list(request):
    today = timezone.localdate()
    # The current assignment inside the jurisdiction: a cadre who served here and now serves in
    # another county shows no village of that county.
    current = access.scope(request.user, Assignment.objects.filter(cadre=OuterRef("pk"))).serving_on(today)
    cadres = access.scope(request.user, Cadre.objects.select_related("unit")).annotate(
        village_name=Subquery(current.values("village__name")[:1]),
        village_code=Subquery(current.values("village__code")[:1]),
        current_role=Subquery(current.values("role")[:1]),
    )
    filterset = CadreFilter(request.GET or None, queryset=cadres, user=request.user)
    return render(
        request,
        "assignments/cadre_list.html",
        {
            "filter": filterset,
            "page": _page(request, sorted_by(filterset, cadres, "name", "pk")),
            "roles": dict(Assignment.Role.choices),
            "can_manage": access.can(request.user, access.MANAGE_REFERENCE),
        },
    )


@login_required
def cadre_detail(request, pk):
    cadre = access.get_object_or_404(request.user, Cadre.objects.select_related("unit", "region"), pk=pk)
    # Every list through the jurisdiction: a cadre who served in two counties shows each county
    # (each township, each unit) only its own assignments and what hangs off them.
    user = request.user
    history = list(
        access.scope(user, Assignment.objects.filter(cadre=cadre))
        .select_related("village__township")
        .order_by("-start_date")
    )
    today = timezone.localdate()
    records = (
        access.scope(user, AttendanceRecord.objects.filter(assignment__cadre=cadre))
        .select_related("sheet__township")
        .order_by("-sheet__month")[:14]
    )
    checks = leave_rules.with_findings(
        access.scope(user, SpotCheck.objects.filter(assignment__cadre=cadre))
    ).order_by("-date")[:20]
    leave = access.scope(user, LeaveRequest.objects.filter(assignment__cadre=cadre))
    leaves = leave_rules.mark_leaves(
        leave.select_related("assignment__village__township").order_by("-start_date")[:20]
    )
    serving = next((a for a in history if a.is_serving_on(today)), None)
    return render(
        request,
        "assignments/cadre_detail.html",
        {
            "change_history": change_history.for_object(cadre, request.user)
            if access.sees_history(request.user)
            else None,
            "cadre": cadre,
            "history": history,
            "preferences": rules.preferences(cadre, timezone.localdate()),
            "age": cadre.age_on(timezone.localdate()),
            "show_id": access.sees_id_numbers(request.user),
            "records": records,
            "sections": pages.render_sections(pages.CADRE_SECTIONS, request, cadre),
            "checks": checks,
            "leaves": leaves,
            "overdue_leave": leave_rules.overdue_returns(leave, today),
            "leave_cap": leave_rules.over_leave_cap(serving, today.year) if serving else None,
            "unexcused": sum(
                leave_rules.unexcused_absences_by_assignment([a.pk for a in history], today.year).values()
            ),
            "can_edit": access.can(request.user, access.MANAGE_REFERENCE, cadre),
            "reads_fieldwork": access.can(request.user, access.READ_FIELDWORK),
            # The 驻村工作经历 for the personnel file (appraisal's printed forms), where a record exists.
            "prints_service_record": bool(history) and access.can(request.user, access.PRINT_APPRAISAL_FORMS),
        },
    )


@login_required
def assignment_detail(request, pk):
    assignment = access.get_object_or_404(
        request.user,
        Assignment.objects.select_related("cadre__unit", "village__township", "created_by"),
        pk=pk,
    )
    return render(
        request,
        "assignments/assignment_detail.html",
        {
            "change_history": change_history.for_object(assignment, request.user)
            if access.sees_history(request.user)
            else None,
            "a": assignment,
            "leaves": leave_rules.mark_leaves(
                access.scope(request.user, LeaveRequest.objects.filter(assignment=assignment))
                .select_related("assignment__village__township")
                .order_by("-start_date")[:20]
            ),
            "events": assignment.events.select_related("by"),
            "warnings": assignment.warnings(),
            "can_manage": assignment.is_open and access.can(request.user, access.DISPATCH, assignment),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dispatch(request):
    access.require(request.user, access.DISPATCH)
    villages = access.scope(request.user, Village.objects.all())
    cadres = access.scope(request.user, Cadre.objects.all())
    today = timezone.localdate()
    # "Find" (查找) posts the form to list the cadres its search box finds, keeping what is entered;
    # a GET prefills the same way (?village=<code>&role= from a village page or the to-do list).
    finding = request.method == "POST" and "find" in request.POST
    entered = request.GET if request.method == "GET" else request.POST
    initial = {"start_date": today} | {
        name: value for name in DispatchForm.base_fields if (value := entered.get(name, "").strip())
    }
    form = DispatchForm(
        request.POST if request.method == "POST" and not finding else None,
        initial=initial,
        villages=villages,
        cadres=cadres,
        user=request.user,
        day=DispatchForm.day_of(entered.get("start_date"), today),
        query=entered.get("q", "")[:40],
        keep=entered.get("cadre"),
    )
    if request.method == "POST" and not finding and form.is_valid():
        data = dict(form.cleaned_data)
        access.require(request.user, access.DISPATCH, data["village"])
        try:
            assignment = Assignment.dispatch(user=request.user, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(cadre)s is dispatched to %(village)s as %(role)s from %(start)s to %(end)s.")
                % {
                    "cadre": assignment.cadre.name,
                    "village": assignment.village.name,
                    "role": assignment.get_role_display(),
                    "start": assignment.start_date.isoformat(),
                    "end": assignment.planned_end_date.isoformat(),
                },
            )
            for warning in assignment.warnings():
                messages.warning(request, warning)
            return redirect(assignment)
    return render(
        request,
        "assignments/dispatch.html",
        {"form": form, "id_tail_max": access.searchable_id_tail(request.user)},
    )


def _change(request, pk, form_class, action, template_title, success):
    assignment = access.get_object_or_404(
        request.user, Assignment.objects.select_related("cadre", "village__township"), pk=pk
    )
    access.require(request.user, access.DISPATCH, assignment)
    initial = {"end_date": timezone.localdate(), "planned_end_date": assignment.proposed_extension()}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            action(assignment, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, success % {"cadre": assignment.cadre.name, "village": assignment.village.name}
            )
            return redirect(assignment)
    return render(
        request, "assignments/change.html", {"a": assignment, "form": form, "title": template_title}
    )


@login_required
@require_http_methods(["GET", "POST"])
def end(request, pk):
    return _change(
        request,
        pk,
        EndForm,
        lambda a, d: a.end(d["end_date"], d["end_reason"], user=request.user, note=d["end_note"]),
        _("End the assignment"),
        _("The assignment of %(cadre)s in %(village)s has ended."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def recall(request, pk):
    return _change(
        request,
        pk,
        RecallForm,
        lambda a, d: a.recall(d["end_date"], d["end_note"], request.user),
        _("Recall the cadre"),
        _("%(cadre)s is recalled from %(village)s; the village now awaits a replacement."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def extend(request, pk):
    return _change(
        request,
        pk,
        ExtendForm,
        lambda a, d: a.extend(d["planned_end_date"], d["reason"], request.user),
        _("Extend the term"),
        _("The term of %(cadre)s in %(village)s is extended."),
    )
