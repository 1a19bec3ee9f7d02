"""The cadre's own pages (驻村干部本人). Plain server-rendered pages for a phone's built-in browser:
no script needed, every record looked up through ``access.scope`` (a cadre sees only its own)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from accounts import access
from assignments import attendance
from assignments.models.attendance import legend

from . import mymonth


def _cadre_of(request):
    user = request.user
    access.require(user, access.RECORD_OWN)
    if not user.cadre_id:
        raise Http404
    return user.cadre_id


@login_required
def home(request):
    """我的本月: the township's row for the cadre, this month or the month asked for."""
    cadre_id = _cadre_of(request)
    today = timezone.localdate()
    month = today.replace(day=1)
    asked = request.GET.get("month")
    if asked:
        month = attendance.parse_month(asked)
        if month is None:
            raise Http404
    view = mymonth.my_month(cadre_id, month, today)
    months = mymonth.months_served(cadre_id)
    context = {
        "view": view,
        "months": months,
        "this_month": today.replace(day=1),
        "legend": legend(),
        "nav": "my-month",
    }
    return render(request, "fieldwork/my_month.html", context)
