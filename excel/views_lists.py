"""Downloads of the appraisal lists (excel/lists.py): what the list page shows, as a form."""

import io
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from accounts import access, events
from appraisal import outstanding
from appraisal.models import Appraisal
from assignments.models import Assignment

from . import lists
from .views_exports import _region_label
from .workbook import CONTENT_TYPE


def _download(request, kind):
    user = request.user
    year = outstanding.parse_year(request.GET.get("year"))
    buffer = io.BytesIO()
    name = lists.build(
        kind,
        access.scope(user, Appraisal.objects.all()),
        access.scope(user, Assignment.objects.all()),
        buffer,
        region_label=_region_label(user),
        year=year,
    )
    events.record(request, events.Kind.EXPORT, export=kind, stage="served", file=name, full_ids=False)
    response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename=\"{kind}.xlsx\"; filename*=UTF-8''{quote(name)}"
    return response


@login_required
def outstanding_list(request):
    return _download(request, "outstanding")


@login_required
def deputy_secretary_list(request):
    return _download(request, "deputy_secretary")
