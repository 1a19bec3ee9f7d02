"""Excel export pages: the list of exports and the download itself (scoped to the user)."""

import io
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access, events
from appraisal.models import AppraisalRound
from excel import exports, layouts, selection, tasks
from excel.models import ExportJob


def _region_label(user):
    if user.is_superuser and not user.region_id:
        return "全部"  # data: the title of a workbook (see excel/exports.py)
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
    # What the page the link is on shows (its filters, its township), within the jurisdiction: a
    # township outside it answers 404.
    chosen = selection.read(kind, user, request.GET, place=_region_label(user), round_=round_)
    scope = chosen.scope
    # ID numbers (the roster's) are masked, birth dates cut to year-month, unless someone who may see
    # them asks for the full ones on purpose; that choice is recorded with the export (docs/privacy.md).
    full_ids = request.GET.get("ids") == "full"
    if full_ids:
        access.require(user, access.SEE_ID_NUMBERS)
    # The region's layout (excel/layouts.py) unless the built-in one is asked for (?layout=builtin).
    layout_choice = layouts.BUILTIN_CHOICE if request.GET.get("layout") == layouts.BUILTIN_CHOICE else ""

    if exports.estimate_rows(kind, scope, round_=round_, **params) > settings.EXPORT_FOREGROUND_MAX_ROWS:
        # Too big to write inside a request (gunicorn kills a worker after 30 s): a background job.
        job, created = ExportJob.start(
            user,
            kind,
            {
                "month": params["month"].isoformat() if params["month"] else "",
                "day": params["day"].isoformat() if params["day"] else "",
                "round": round_.pk if round_ else None,
                "region_label": chosen.label,
                "query": chosen.query,
                "full_ids": full_ids,
                "layout": layout_choice,
            },
            rows_total=exports.estimate_rows(kind, scope, round_=round_, **params),
        )
        if not created:  # the same export is already on its way: show its progress
            return redirect(job)
        transaction.on_commit(lambda: tasks.run_export.enqueue(job.pk))
        events.record(request, events.Kind.EXPORT, export=kind, stage="queued", job=job.pk, full_ids=full_ids)
        return redirect(job)
    buffer = io.BytesIO()
    name = exports.build(
        kind,
        scope,
        buffer,
        region_label=chosen.label,
        round_=round_,
        mask_ids=not full_ids,
        shown=chosen.shown,
        layout=layouts.chosen(user, kind, layout_choice),
        **params,
    )
    events.record(request, events.Kind.EXPORT, export=kind, stage="served", file=name, full_ids=full_ids)
    response = HttpResponse(buffer.getvalue(), content_type=exports.CONTENT_TYPE)
    ascii_name = f"{kind}.xlsx"
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return response


@login_required
def export_index(request):
    today = timezone.localdate()
    region = layouts.region_of(request.user)
    rounds = (
        access.scope(request.user, AppraisalRound.objects.all())
        .select_related("county")
        .order_by("-year", "county__code", "kind")
    )
    return render(
        request,
        "excel/exports.html",
        {
            "today": today,
            "month": today.replace(day=1),
            "rounds": rounds,
            "kinds": exports.KINDS,
            "can_see_ids": access.sees_id_numbers(request.user),
            # The layout each return uses by default, if a region above defines one.
            "layouts": {kind: layouts.effective(region, kind) for kind in layouts.KINDS},
        },
    )


@login_required
def job(request, pk):
    """A background export's progress; the page reloads itself until the file is ready."""
    job = get_object_or_404(ExportJob, pk=pk, user=request.user)  # a job is its requester's own
    return render(request, "excel/job.html", {"job": job})


@login_required
def job_download(request, pk):
    job = get_object_or_404(ExportJob, pk=pk, user=request.user, state=ExportJob.State.DONE)
    if not job.path.exists():
        raise Http404
    events.record(request, events.Kind.EXPORT, export=job.kind, stage="downloaded", job=job.pk)
    return FileResponse(open(job.path, "rb"), as_attachment=True, filename=job.filename or f"{job.kind}.xlsx")
