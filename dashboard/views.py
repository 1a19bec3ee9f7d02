from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import Role
from assignments import attendance
from villages.models import Region

from . import dashboard, todos


@login_required
def home(request):
    """Each role's first page: the figures of its jurisdiction, each linking to the list behind it."""
    user = request.user
    if user.role == Role.CADRE:
        return redirect("fieldwork:home")
    if user.role == Role.UNIT_LIAISON:
        context = dashboard.liaison_figures(user)
        context["tiles"] = dashboard.tile_counts(context, todos.counts_for_request(request))
        return render(request, "dashboard/home_liaison.html", context)
    if user.role == Role.TOWNSHIP_CLERK:
        context = dashboard.clerk_figures(user)
        context["can_keep"] = access.can(user, access.KEEP_ATTENDANCE)
        context["tiles"] = dashboard.tile_counts(context, todos.counts_for_request(request))
        return render(request, "dashboard/home_clerk.html", context)
    code = request.GET.get("region")
    # Drill-down from a city or province: only a region inside the user's own answers.
    region = access.get_object_or_404(user, Region.objects.all(), code=code) if code else user.region
    month = request.GET.get("month")
    month = attendance.parse_month(month) if month else None
    if request.GET.get("month") and month is None:
        raise Http404(_("No such month. Use the form YYYY-MM, e.g. 2026-03."))
    context = dashboard.viewer_figures(user, region, month=month)
    context["drilled"] = bool(code) and region != user.region
    context["supervision"] = dashboard.latest_plan_figures(user, region)
    own = None if context["drilled"] else todos.counts_for_request(request)
    context["tiles"] = dashboard.tile_counts(context, own)
    return render(request, "dashboard/home.html", context)


@login_required
def todo_list(request):
    return render(request, "dashboard/todos.html", {"groups": todos.groups_for_request(request)})
