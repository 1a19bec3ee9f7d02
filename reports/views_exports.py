"""Excel export pages: the list of exports and the download itself (scoped to the user)."""

import io
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from appraisal.models import AppraisalRound
from reports import exports


def _region_label(user):
    if user.is_superuser and not user.region_id:
        return "全部"  # data: the title of a workbook (see reports/exports.py)
    if user.region_id:
        return user.region.name
    return user.unit.name if getattr(user, "unit_id", None) else ""


@login_required
def export(request, kind):
    if kind not in exports.KINDS:
        raise Http404
    user = request.user
    try:
        params = {
            "month": exports.parse_month(request.GET.get("month")),
            "day": exports.parse_date(request.GET.get("date")),
        }
        year = exports.parse_year(request.GET.get("year"))
        round_id = exports.parse_round_id(request.GET.get("round"))
        round_ = None
        if kind == "appraisal":
            if round_id is not None:
                round_ = access.get_object_or_404(user, AppraisalRound.objects.all(), pk=round_id)
            elif year is not None:
                round_ = exports.find_round(access.scope(user, AppraisalRound.objects.all()), year)
            else:
                raise exports.ExportError(_("Choose the appraisal round or the year."))
    except exports.ExportError as e:
        return HttpResponseBadRequest(str(e), content_type="text/plain; charset=utf-8")
    buffer = io.BytesIO()  # province-wide exports belong in a background task (DESIGN.md)
    name = exports.build(
        kind,
        lambda qs: access.scope(user, qs),
        buffer,
        region_label=_region_label(user),
        round_=round_,
        **params,
    )
    response = HttpResponse(buffer.getvalue(), content_type=exports.CONTENT_TYPE)
    ascii_name = f"{kind}.xlsx"
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return response


@login_required
def export_index(request):
    today = timezone.localdate()
    rounds = (
        access.scope(request.user, AppraisalRound.objects.all())
        .select_related("county")
        .order_by("-year", "county__code", "kind")
    )
    return render(
        request,
        "reports/exports.html",
        {
            "today": today,
            "month": today.replace(day=1),
            "rounds": rounds,
            "kinds": exports.KINDS,
        },
    )
