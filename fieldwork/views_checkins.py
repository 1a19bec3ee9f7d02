"""Check-in pages (签到, only where a county turns it on; fieldwork/checkins.py has the rules).

The cadre's page sends one position per tap; the township's and county's list shows check-ins with
their flags, and raw coordinates only on an explicit, logged request; the county sets village points.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import access, events
from assignments import attendance
from assignments.models import Policy
from villages.models import Village

from . import checkins
from .models import CheckIn
from .views import _cadre_of


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request):
    """签到: one tap, one position (static/js/checkin.js fills the form); off unless the county turned
    it on for the cadre's township."""
    cadre_id = _cadre_of(request)
    assignment = checkins.current_assignment(cadre_id)
    policy = checkins.policy_for(assignment) if assignment else None
    enabled = bool(policy and policy.checkin_enabled)
    errors = []
    if request.method == "POST":
        if not enabled:
            return render(request, "fieldwork/checkin.html", {"enabled": False, "nav": "checkin"}, status=403)
        try:
            made = checkins.check_in(request.user, checkins.parse_position(request.POST))
        except ValidationError as e:
            errors = e.messages
        except checkins.Refused as e:
            errors = [str(e)]
        else:
            messages.success(request, _checked_in_message(made))
            return redirect("fieldwork:checkin")
    recent = []
    if enabled:
        recent = list(CheckIn.objects.for_cadre(cadre_id).select_related("assignment__village")[:5])
    context = {
        "enabled": enabled,
        "assignment": assignment,
        "policy": policy,
        "recent": recent,
        "errors": errors,
        "minutes": checkins.MINUTES_BETWEEN,
        "nav": "checkin",
    }
    return render(request, "fieldwork/checkin.html", context, status=400 if errors else 200)


def _checked_in_message(made):
    if made.flag == CheckIn.Flag.NO_POINT:
        return _("Checked in. Your village has no point set yet, so no distance is shown.")
    text = _("Checked in, %(distance)s m from the village point (accuracy %(accuracy)s m).") % {
        "distance": made.distance_m,
        "accuracy": made.accuracy_m,
    }
    if made.flag:
        text += " " + _("Marked “%(flag)s” for your township; that is not an absence.") % {
            "flag": made.get_flag_display()
        }
    return text


@login_required
def checkin_list(request):
    """The check-ins in the user's jurisdiction, with their flags; by month and flag."""
    access.require(request.user, access.SEE_CHECKINS)
    rows = access.scope(request.user, CheckIn.objects.all()).select_related(
        "assignment__cadre", "assignment__village__township"
    )
    today = timezone.localdate()
    month = attendance.parse_month(request.GET.get("month") or "") or today.replace(day=1)
    nxt = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    rows = rows.filter(created_at__date__gte=month, created_at__date__lt=nxt)
    flag = request.GET.get("flag", "all")
    if flag == "flagged":
        rows = rows.exclude(flag="")
    elif flag in CheckIn.Flag.values:
        rows = rows.filter(flag=flag)
    page = Paginator(rows.order_by("-created_at", "-pk"), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "month": month,
        "flag": flag,
        "flags": [(v, label) for v, label in CheckIn.Flag.choices if v],
        "can_set_points": access.can(request.user, access.MANAGE_REFERENCE),
    }
    return render(request, "fieldwork/checkin_list.html", context)


@login_required
@require_http_methods(["POST"])
def checkin_position(request, pk):
    """The raw coordinates of one check-in, asked for on purpose and recorded in the security log;
    township and county only (never a dispatching unit)."""
    made = access.get_object_or_404(
        request.user,
        CheckIn.objects.select_related("assignment__cadre", "assignment__village"),
        pk=pk,
    )
    access.require(request.user, access.SEE_CHECKINS, made)
    if made.latitude is not None:
        events.record(
            request,
            events.Kind.CHECKIN_POSITION_SHOWN,
            checkin=made.pk,
            cadre=made.assignment.cadre_id,
            name=made.assignment.cadre.name,
        )
    return render(request, "fieldwork/checkin_position.html", {"made": made})


@login_required
def village_points(request):
    """The villages where check-in is on, with their points: where the county sets them."""
    access.require(request.user, access.MANAGE_REFERENCE)
    villages = (
        access.scope(request.user, Village.objects.all())
        .annotate(checkin_on=Policy.effective_expression("checkin_enabled"))
        .filter(checkin_on=True)
        .select_related("township")
        .order_by("code")
    )
    missing = request.GET.get("missing") == "1"
    if missing:
        villages = villages.filter(Q(latitude__isnull=True))
    page = Paginator(villages, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "fieldwork/village_points.html",
        {"page": page, "missing": missing, "sources": checkins.SOURCES},
    )


@login_required
@require_http_methods(["GET", "POST"])
def village_point(request, pk):
    """Set one village's point: typed (WGS-84, or GCJ-02 converted) or the proposal accepted."""
    village = access.get_object_or_404(request.user, Village.objects.select_related("township"), pk=pk)
    access.require(request.user, access.MANAGE_REFERENCE, village)
    proposal = checkins.proposed_point(village)
    errors = []
    if request.method == "POST":
        try:
            if request.POST.get("accept") == "proposal":
                if proposal is None:
                    raise ValidationError(_("There is no proposal any more: too few usable check-ins."))
                checkins.set_point(village, proposal.latitude, proposal.longitude, "median")
            else:
                lat, lng, system = checkins.parse_point(request.POST)
                checkins.set_point(village, lat, lng, system)
        except ValidationError as e:
            errors = e.messages
        else:
            messages.success(
                request,
                _("The point of %(village)s is set: %(lat)s, %(lng)s (WGS-84).")
                % {"village": village.name, "lat": village.latitude, "lng": village.longitude},
            )
            return redirect("checkins:village_point", pk=village.pk)
    context = {
        "village": village,
        "proposal": proposal,
        "errors": errors,
        "systems": checkins.SYSTEMS,
        "source": checkins.SOURCES.get(village.point_source, village.point_source),
        "min_for_proposal": checkins.MIN_FOR_PROPOSAL,
        "form": request.POST if errors else {},
    }
    return render(request, "fieldwork/village_point.html", context, status=400 if errors else 200)
