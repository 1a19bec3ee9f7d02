"""Leave on the phone (请假 / 销假) and trip reports (外出报备): the cadre's own pages, and the
township's and county's page for confirming trips. Leave goes through the same rules as the
township's paper form (assignments/leave.py request_leave) and is decided on the leave pages."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access
from accounts import history as change_history
from assignments import leave as leave_rules
from assignments.forms import DateInput, apply_errors
from assignments.models import Assignment, LeaveRequest

from .models import Trip
from .views import _cadre_of

LIST_LIMIT = 100  # a cadre's requests over a term: far fewer; the office list pages by 100


def _assignment_on(cadre_id, first, last):
    """The cadre's assignment that the days fall in (the latest, after an adjustment), or None."""
    return (
        Assignment.objects.for_cadre(cadre_id)
        .filter(start_date__lte=last)
        .filter(Q(end_date__gte=first) | Q(end_date__isnull=True, planned_end_date__gte=first))
        .select_related("cadre", "village__township")
        .order_by("-start_date")
        .first()
    )


class DatesForm(forms.Form):
    start_date = forms.DateField(label=gettext_lazy("First day"), widget=DateInput())
    end_date = forms.DateField(label=gettext_lazy("Last day"), widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            self.add_error("end_date", _("The last day is before the first day."))
        return data


class CadreLeaveForm(DatesForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class TripForm(DatesForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Trip.Kind.choices)
    destination = forms.CharField(label=gettext_lazy("Where"), max_length=60)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


def _no_assignment(form):
    form.add_error(
        "start_date", _("You have no assignment on these days; check the dates or ask your township.")
    )


# --- the cadre's leave ---------------------------------------------------------------------------
def _my_leave(request, pk):
    _cadre_of(request)
    return access.get_object_or_404(
        request.user,
        LeaveRequest.objects.select_related(
            "assignment__cadre", "assignment__village__township", "decided_by"
        ),
        pk=pk,
    )


@login_required
def leave_list(request):
    _cadre_of(request)
    leaves = access.scope(
        request.user,
        LeaveRequest.objects.select_related(
            "assignment__cadre", "assignment__village__township", "decided_by"
        ),
    ).order_by("-start_date", "-pk")[:LIST_LIMIT]
    return render(
        request,
        "fieldwork/leave_list.html",
        {"leaves": leave_rules.mark_leaves(leaves), "nav": "my-leave"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def leave_new(request):
    cadre_id = _cadre_of(request)
    form = CadreLeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        assignment = _assignment_on(cadre_id, d["start_date"], d["end_date"])
        if assignment is None:
            _no_assignment(form)
        else:
            try:
                leave = leave_rules.request_leave(
                    assignment, d["start_date"], d["end_date"], d["reason"], request.user
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except IntegrityError:
                form.add_error(None, _("You already have leave requested or approved on these days."))
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
                return redirect("fieldwork:leave", leave.pk)
    return render(request, "fieldwork/leave_form.html", {"form": form, "nav": "my-leave"})


@login_required
def leave_detail(request, pk):
    leave = _my_leave(request, pk)
    leave_rules.mark_leaves([leave])
    return render(
        request,
        "fieldwork/leave_detail.html",
        {"leave": leave, "today": timezone.localdate(), "nav": "my-leave"},
    )


@login_required
@require_POST
def leave_cancel(request, pk):
    leave = _my_leave(request, pk)
    try:
        leave.cancel(request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Leave request cancelled."))
    return redirect("fieldwork:leave", leave.pk)


@login_required
@require_POST
def leave_return(request, pk):
    """销假 from the phone: the day the cadre was back in the village (default today)."""
    leave = _my_leave(request, pk)
    value = request.POST.get("returned_on", "")
    try:
        day = forms.DateField().clean(value) if value else None
    except ValidationError:
        messages.error(request, _("The return date “%(value)s” is not a date.") % {"value": value[:20]})
        return redirect("fieldwork:leave", leave.pk)
    try:
        closed = leave.report_return(day, request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Return reported (销假)."))
        if closed:
            messages.info(
                request, _("Your township's sheet for that month is already sent; the county corrects it.")
            )
    return redirect("fieldwork:leave", leave.pk)


# --- the cadre's trips ---------------------------------------------------------------------------
def _my_trip(request, pk):
    _cadre_of(request)
    return access.get_object_or_404(
        request.user,
        Trip.objects.select_related("assignment__cadre", "assignment__village__township", "decided_by"),
        pk=pk,
    )


@login_required
def trip_list(request):
    _cadre_of(request)
    trips = access.scope(request.user, Trip.objects.select_related("assignment__village")).order_by(
        "-start_date", "-pk"
    )[:LIST_LIMIT]
    return render(request, "fieldwork/trip_list.html", {"trips": trips, "nav": "my-trips"})


@login_required
@require_http_methods(["GET", "POST"])
def trip_new(request):
    cadre_id = _cadre_of(request)
    form = TripForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        assignment = _assignment_on(cadre_id, d["start_date"], d["end_date"])
        if assignment is None:
            _no_assignment(form)
        else:
            try:
                trip = Trip.report(
                    assignment,
                    d["start_date"],
                    d["end_date"],
                    d["kind"],
                    d["destination"],
                    d["reason"],
                    request.user,
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                if trip.late:
                    messages.warning(
                        request,
                        _(
                            "Trip reported after its first day had begun: it is marked as reported late (补报). "
                            "Your township confirms it."
                        ),
                    )
                else:
                    messages.success(request, _("Trip reported; your township confirms it."))
                return redirect("fieldwork:trip", trip.pk)
    return render(request, "fieldwork/trip_form.html", {"form": form, "nav": "my-trips"})


@login_required
def trip_detail(request, pk):
    trip = _my_trip(request, pk)
    return render(request, "fieldwork/trip_detail.html", {"trip": trip, "nav": "my-trips"})


@login_required
@require_POST
def trip_cancel(request, pk):
    trip = _my_trip(request, pk)
    try:
        trip.cancel(request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Trip report cancelled."))
    return redirect("fieldwork:trip", trip.pk)


# --- the township's and county's trip pages ------------------------------------------------------
def _office_trips(user):
    return access.scope(
        user, Trip.objects.select_related("assignment__cadre", "assignment__village__township", "decided_by")
    )


@login_required
def office_list(request):
    """Pending trips of the jurisdiction first (oldest first: the next to decide), then the latest
    decided ones."""
    trips = _office_trips(request.user)
    show = request.GET.get("show", "pending")
    if show == "pending":
        trips = trips.filter(state=Trip.State.PENDING).order_by("start_date", "pk")
    else:
        show = "all"
        trips = trips.order_by("-start_date", "-pk")
    return render(
        request,
        "fieldwork/trips_office_list.html",
        {"trips": trips[:LIST_LIMIT], "show": show, "nav": "trips"},
    )


@login_required
def office_detail(request, pk):
    trip = access.get_object_or_404(request.user, _office_trips(request.user), pk=pk)
    return render(
        request,
        "fieldwork/trips_office_detail.html",
        {
            "trip": trip,
            "can_decide": trip.state == Trip.State.PENDING
            and access.can(request.user, access.CONFIRM_TRIP, trip),
            "change_history": change_history.for_object(trip, request.user)
            if access.sees_history(request.user)
            else None,
            "nav": "trips",
        },
    )


@login_required
@require_POST
def office_decide(request, pk, action):
    trip = access.get_object_or_404(request.user, _office_trips(request.user), pk=pk)
    if action not in ("confirm", "reject") or not access.can(request.user, access.CONFIRM_TRIP, trip):
        raise PermissionDenied
    try:
        if action == "confirm":
            closed = trip.confirm(request.user)
            if closed:
                messages.warning(
                    request,
                    _(
                        "Trip confirmed. The attendance sheet of %(months)s is already submitted or approved, so "
                        "the days are not in it yet: the sheet is marked as needing correction; once the county "
                        "reopens it, enter the days as 差."
                    )
                    % {"months": ", ".join(f"{s.month:%Y-%m}" for s in closed)},
                )
            else:
                messages.success(
                    request,
                    _("Trip confirmed; its working days are marked 差 in the open attendance sheets."),
                )
        else:
            trip.reject(request.user, request.POST.get("reason", ""))
            messages.success(request, _("Trip not confirmed; the cadre sees the reason."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(reverse("trips:detail", args=[trip.pk]))
