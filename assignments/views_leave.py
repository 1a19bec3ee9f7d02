"""Leave (请销假) and spot-check pages."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access, once
from accounts import history as change_history
from accounts.forms import PromptToChoose

from . import leave as rules
from .filters import LeaveFilter, SpotCheckFilter, sorted_by
from .forms import DateInput, apply_errors
from .models import Assignment, LeaveRequest, SpotCheck


def _serving_choices(user):
    today = timezone.localdate()
    return (
        access.scope(user, Assignment.objects.all())
        .filter(start_date__lte=today + datetime.timedelta(days=366))  # leave may be requested ahead
        .open()
        .select_related("cadre", "village")
        .order_by("village__code", "cadre__name")
    )


class AssignmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, a):
        return f"{a.cadre.name} · {a.village.name} · {a.get_role_display()}"


class LeaveForm(PromptToChoose, forms.Form):
    assignment = AssignmentChoice(label=gettext_lazy("Cadre"), queryset=Assignment.objects.none())
    start_date = forms.DateField(label=gettext_lazy("First day of leave"), widget=DateInput())
    end_date = forms.DateField(label=gettext_lazy("Last day of leave"), widget=DateInput())
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment"].queryset = _serving_choices(user)

    def clean(self):
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("The last day of leave is before the first day."))
        return data


def found_present_field():
    """在岗 / 不在岗 as two radio buttons, neither chosen: the finding is never assumed."""
    return forms.TypedChoiceField(
        label=gettext_lazy("Found in the village"),
        choices=[("True", gettext_lazy("On post (在岗)")), ("False", gettext_lazy("Not on post (不在岗)"))],
        coerce=lambda value: value == "True",
        widget=forms.RadioSelect(attrs={"class": "radio-row"}),
        error_messages={
            "required": gettext_lazy(
                "Found in the village: choose whether the cadre was on post (在岗) or not (不在岗)."
            )
        },
    )


class SpotCheckForm(PromptToChoose, forms.ModelForm):
    assignment = AssignmentChoice(label=gettext_lazy("Cadre"), queryset=Assignment.objects.none())

    class Meta:
        model = SpotCheck
        fields = ["assignment", "date", "method", "found_present", "note"]
        widgets = {"date": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["found_present"] = found_present_field()
        self.fields["assignment"].queryset = (
            access.scope(user, Assignment.objects.all())
            .select_related("cadre", "village")
            .order_by("-start_date")
        )


class SpotCheckCorrectionForm(PromptToChoose, forms.Form):
    """更正: the recorded facts, prefilled, and why they change."""

    date = forms.DateField(label=gettext_lazy("Date of the check"), widget=DateInput())
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=SpotCheck.Method.choices)
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the correction"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": gettext_lazy("Reason for the correction: say why the check is corrected.")
        },
    )

    def __init__(self, *args, check, **kwargs):
        initial = {
            "date": check.date,
            "method": check.method,
            "found_present": str(check.found_present),
            "note": check.note,
        }
        super().__init__(*args, initial=initial, prefix="correct", **kwargs)
        self.fields["found_present"] = found_present_field()
        self.order_fields(["date", "method", "found_present", "note", "reason"])


class SpotCheckWithdrawalForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the withdrawal"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": gettext_lazy("Reason for the withdrawal: say why the check is withdrawn.")
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="withdraw", **kwargs)


@login_required
def leave_list(request):
    leaves = access.scope(
        request.user,
        LeaveRequest.objects.select_related("assignment__cadre", "assignment__village__township"),
    )
    filterset = LeaveFilter(request.GET or None, queryset=leaves, user=request.user)
    page = Paginator(sorted_by(filterset, leaves, "-start_date", "-pk"), 50).get_page(request.GET.get("page"))
    page.object_list = rules.mark_leaves(page.object_list)
    return render(
        request,
        "assignments/leave_list.html",
        {"page": page, "filter": filterset, "can_request": access.can(request.user, access.REQUEST_LEAVE)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def leave_new(request):
    access.require(request.user, access.REQUEST_LEAVE)
    form = LeaveForm(
        request.POST or None, user=request.user, initial={"assignment": request.GET.get("assignment")}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        access.require(request.user, access.REQUEST_LEAVE, d["assignment"])
        try:
            leave = rules.request_leave(
                d["assignment"], d["start_date"], d["end_date"], d["reason"], request.user
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except IntegrityError:
            form.add_error(None, _("This cadre already has leave requested or approved on these days."))
        else:
            if leave.retroactive:
                text = _(
                    "Leave of %(n)d working days registered after its first day: a 补假, decided by the %(level)s."
                )
            else:
                text = _("Leave of %(n)d working days registered; it goes to the %(level)s for approval.")
            messages.success(
                request, text % {"n": leave.working_days, "level": leave.get_approval_level_display()}
            )
            return redirect(leave)
    return render(request, "assignments/leave_form.html", {"form": form})


def _decision_action(leave):
    return (
        access.DECIDE_TOWNSHIP_LEAVE
        if leave.approval_level == LeaveRequest.Level.TOWNSHIP
        else access.DECIDE_COUNTY_LEAVE
    )


@login_required
def leave_detail(request, pk):
    leave = access.get_object_or_404(
        request.user,
        LeaveRequest.objects.select_related(
            "assignment__cadre", "assignment__village__township", "decided_by"
        ),
        pk=pk,
    )
    cap = rules.over_leave_cap(leave.assignment, leave.start_date.year)
    rules.mark_leaves([leave])
    return render(
        request,
        "assignments/leave_detail.html",
        {
            "leave": leave,
            "today": timezone.localdate(),
            "can_decide": leave.state == "pending"
            and access.can(request.user, _decision_action(leave), leave),
            "can_return": leave.state == "approved"
            and not leave.returned_on
            and access.can(request.user, access.REQUEST_LEAVE, leave),
            "cap": cap,
            "change_history": change_history.for_object(leave, request.user)
            if access.sees_history(request.user)
            else None,
        },
    )


@login_required
@require_POST
def leave_decide(request, pk, action):
    leave = access.get_object_or_404(
        request.user,
        LeaveRequest.objects.select_related("assignment__cadre", "assignment__village__township"),
        pk=pk,
    )
    needed = access.REQUEST_LEAVE if action in ("return", "cancel") else _decision_action(leave)
    if not access.can(request.user, needed, leave):
        raise PermissionDenied
    try:
        if action == "approve":
            closed = leave.approve(request.user)
            if closed:
                messages.warning(
                    request,
                    _(
                        "Leave approved. The attendance sheet of %(months)s is already submitted or approved, so the "
                        "leave is not in it yet: the sheet is marked as needing correction, and once the county "
                        "reopens it the leave is written in as 假."
                    )
                    % {"months": ", ".join(f"{s.month:%Y-%m}" for s in closed)},
                )
            else:
                messages.success(
                    request, _("Leave approved; its working days are marked 假 in the attendance sheets.")
                )
            cap = rules.over_leave_cap(leave.assignment, leave.start_date.year)
            if cap:
                messages.warning(
                    request,
                    _(
                        "%(cadre)s now has %(days)d leave days this year, over the limit of %(cap)d: the unit must recall the cadre."
                    )
                    % {"cadre": leave.assignment.cadre.name, "days": cap[0], "cap": cap[1]},
                )
        elif action == "reject":
            leave.reject(request.user, request.POST.get("reason", ""))
            messages.success(request, _("Leave rejected."))
        elif action == "cancel":
            leave.cancel(request.user)
            messages.success(request, _("Leave request cancelled."))
        elif action == "return":
            value = request.POST.get("returned_on", "")
            try:
                day = forms.DateField().clean(value)
            except ValidationError:
                day = None
            if day is None and value:
                raise ValidationError(_("The return date “%(value)s” is not a date.") % {"value": value[:20]})
            closed = leave.report_return(day, request.user)
            messages.success(request, _("Return reported (销假)."))
            if closed:
                messages.warning(
                    request,
                    _(
                        "The attendance sheet of %(months)s is already submitted or approved: it is marked as needing "
                        "correction, and once the county reopens it the days after the return are given back."
                    )
                    % {"months": ", ".join(f"{s.month:%Y-%m}" for s in closed)},
                )
        else:
            raise PermissionDenied
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(leave)


@login_required
def spotcheck_list(request):
    checks = rules.with_findings(
        access.scope(request.user, SpotCheck.objects.all()).select_related(
            "assignment__cadre", "assignment__village__township", "checked_by"
        )
    )
    filterset = SpotCheckFilter(request.GET or None, queryset=checks, user=request.user)
    page = Paginator(sorted_by(filterset, checks, "-date", "-pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "assignments/spotcheck_list.html",
        {
            "page": page,
            "filter": filterset,
            "can_record": access.can(request.user, access.RECORD_SPOT_CHECK),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def spotcheck_new(request):
    access.require(request.user, access.RECORD_SPOT_CHECK)
    form = SpotCheckForm(request.POST or None, user=request.user, initial={"date": timezone.localdate()})
    if request.method == "POST":
        form.instance.checked_by = request.user
        if form.is_valid():
            access.require(request.user, access.RECORD_SPOT_CHECK, form.cleaned_data["assignment"])
            try:
                with once.submission(request) as made:
                    check = form.save()
                    made(check)
            except once.AlreadySent as sent:
                messages.info(request, _("This spot check was already sent and is recorded once."))
                return redirect(sent.url or "spotchecks:list")
            found = rules.discrepancies(SpotCheck.objects.filter(pk=check.pk)).exists()
            if found:
                messages.warning(
                    request,
                    _("Discrepancy: the attendance sheet records %(cadre)s in the village on %(date)s.")
                    % {"cadre": check.assignment.cadre.name, "date": check.date.isoformat()},
                )
            messages.success(request, _("Spot check recorded."))
            return redirect("spotchecks:list")
    return render(request, "assignments/spotcheck_form.html", {"form": form})


def _spotcheck(request, pk):
    return access.get_object_or_404(
        request.user,
        rules.with_findings(
            SpotCheck.objects.select_related(
                "assignment__cadre",
                "assignment__village__township",
                "checked_by",
                "corrected_by",
                "withdrawn_by",
            )
        ),
        pk=pk,
    )


def _spotcheck_page(request, check, correction=None, withdrawal=None, status=200):
    user = request.user
    can_correct = not check.withdrawn and access.can(user, access.CORRECT_SPOT_CHECK, check)
    can_withdraw = not check.withdrawn and access.can(user, access.WITHDRAW_SPOT_CHECK, check)
    return render(
        request,
        "assignments/spotcheck_detail.html",
        {
            "check": check,
            "correction": (correction or SpotCheckCorrectionForm(check=check)) if can_correct else None,
            "withdrawal": (withdrawal or SpotCheckWithdrawalForm()) if can_withdraw else None,
            "change_history": change_history.for_object(check, user) if access.sees_history(user) else None,
        },
        status=status,
    )


@login_required
def spotcheck_detail(request, pk):
    return _spotcheck_page(request, _spotcheck(request, pk))


@login_required
@require_POST
def spotcheck_correct(request, pk):
    check = _spotcheck(request, pk)
    access.require(request.user, access.CORRECT_SPOT_CHECK, check)
    form = SpotCheckCorrectionForm(request.POST, check=check)
    if form.is_valid():
        d = form.cleaned_data
        try:
            check.correct(
                request.user,
                d["reason"],
                **{name: d[name] for name in SpotCheck.CORRECTABLE},
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Spot check corrected."))
            return redirect(check)
    return _spotcheck_page(request, check, correction=form)


@login_required
@require_POST
def spotcheck_withdraw(request, pk):
    check = _spotcheck(request, pk)
    access.require(request.user, access.WITHDRAW_SPOT_CHECK, check)
    form = SpotCheckWithdrawalForm(request.POST)
    if form.is_valid():
        try:
            check.withdraw(request.user, form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Spot check withdrawn: it no longer counts anywhere."))
            return redirect(check)
    return _spotcheck_page(request, check, withdrawal=form)
