"""Excel import pages: the upload form, the result (every bad row, or the counts) and the templates."""

import io
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import access, events
from excel import imports, layouts

PERMISSION = {
    "villages": access.MANAGE_REFERENCE,
    "cadres": access.MANAGE_REFERENCE,
    "assignments": access.DISPATCH,
    "regions": access.MANAGE_REGIONS,
}


def _check(request, kind):
    if kind not in imports.IMPORTERS:
        raise Http404
    access.require(request.user, PERMISSION[kind])


@login_required
def import_page(request, kind):
    _check(request, kind)
    context = {
        "kind": kind,
        "title": imports.KINDS[kind],
        "columns": imports.COLUMNS[kind],
        "max_mb": imports.MAX_BYTES // (1024 * 1024),
        "max_rows": imports.MAX_ROWS,
        "header_rows": imports.HEADER_SEARCH_ROWS,
        "key": imports.KEY_HEADER[kind],
    }
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["refused"] = _("Choose an .xlsx, .xls or .csv file to upload.")
            return render(request, "excel/import_result.html", context, status=400)
        if upload.size > imports.MAX_BYTES:
            context["refused"] = _("The file is %(size).1f MB; at most %(max)d MB can be imported.") % {
                "size": upload.size / 1024 / 1024,
                "max": context["max_mb"],
            }
            events.record(
                request, events.Kind.IMPORT, data=kind, outcome="refused", file=upload.name, size=upload.size
            )
            return render(request, "excel/import_result.html", context, status=400)
        try:
            result = imports.run(kind, upload, request.user, filename=upload.name)
        except imports.ImportRefused as e:
            context["refused"] = str(e)
            events.record(
                request, events.Kind.IMPORT, data=kind, outcome="refused", file=upload.name, reason=str(e)
            )
            return render(request, "excel/import_result.html", context, status=400)
        if result.errors:
            context["result"] = result
            events.record(
                request,
                events.Kind.IMPORT,
                data=kind,
                outcome="rejected",
                file=upload.name,
                errors=len(result.errors),
            )
            return render(request, "excel/import_result.html", context, status=400)
        events.record(
            request,
            events.Kind.IMPORT,
            data=kind,
            outcome="committed",
            file=upload.name,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        )
        messages.success(
            request,
            _("Import done: created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
        for note in result.notes:  # the sheet read, the template's example row skipped
            messages.info(request, note)
        return redirect("excel:import", kind=kind)
    return render(request, "excel/imports.html", context)


@login_required
def import_template(request, kind):
    _check(request, kind)
    buffer = io.BytesIO()
    # The cadres template follows the roster layout in force (its headings, its order), unless the
    # built-in one is asked for (?layout=builtin).
    layout = (
        layouts.chosen(request.user, "roster", request.GET.get("layout", "")) if kind == "cadres" else None
    )
    imports.build_template(kind, buffer, layout=layout)
    response = HttpResponse(buffer.getvalue(), content_type=imports.CONTENT_TYPE)
    name = imports.template_filename(kind)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{kind}-template.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response
