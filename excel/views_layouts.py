"""The export layouts page: a province or city defines the columns of its roster and appraisal
returns; everyone sees which layout their exports use (excel/layouts.py)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts import access

from . import layouts, workbook
from .models import ExportLayout


class LayoutForm(forms.Form):
    """Per available column: shown or not, its position (a number: works without scripts) and its
    heading. The rules are ``layouts.column_errors``; each error lands on the column's heading."""

    def __init__(self, *args, kind, pairs, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        available = workbook.AVAILABLE[kind]
        current = dict(pairs)
        keys = [key for key, _h in pairs if key in available]
        keys += [key for key in available if key not in current]
        self.rows = []
        for n, key in enumerate(keys, start=1):
            field = available[key]
            self.fields[f"use_{key}"] = forms.BooleanField(
                label=field.heading, required=False, initial=key in current
            )
            self.fields[f"order_{key}"] = forms.IntegerField(
                label=_("Position of “%(name)s”") % {"name": field.heading},
                min_value=1,
                max_value=999,
                initial=n,
                error_messages=dict.fromkeys(
                    ("required", "invalid", "min_value", "max_value"),
                    _("Enter the position of “%(name)s” as a number from 1 to 999.")
                    % {"name": field.heading},
                ),
                widget=forms.NumberInput(attrs={"class": "narrow"}),
            )
            self.fields[f"heading_{key}"] = forms.CharField(
                label=_("Heading of “%(name)s”") % {"name": field.heading},
                required=False,
                strip=True,
                initial=current.get(key, field.heading),
                widget=forms.TextInput(attrs={"maxlength": layouts.MAX_HEADING}),
            )
            self.rows.append((key, field))

    def bound_rows(self):
        return [
            {
                "key": key,
                "builtin": field.heading,
                "use": self[f"use_{key}"],
                "order": self[f"order_{key}"],
                "heading": self[f"heading_{key}"],
            }
            for key, field in self.rows
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        used = [
            (data[f"order_{key}"], i, key, data.get(f"heading_{key}", ""))
            for i, (key, _f) in enumerate(self.rows)
            if data.get(f"use_{key}")
        ]
        self.pairs = [(key, heading) for _o, _i, key, heading in sorted(used)]
        for key, message in layouts.column_errors(self.kind, self.pairs):
            self.add_error(f"heading_{key}" if key else None, message)
        return data


KIND_LABELS = {
    "roster": gettext_lazy("Roster of serving cadres"),
    "appraisal": gettext_lazy("Appraisal results"),
}


def _applied(region, kind):
    """(layout or None, [(key, heading)]) a region's exports of ``kind`` use by default."""
    layout = layouts.effective(region, kind)
    return layout, layout.pairs if layout else workbook.builtin_layout(kind)


@login_required
def layout_index(request):
    user = request.user
    region = layouts.region_of(user)
    applied = []
    for kind in layouts.KINDS:
        layout, pairs = _applied(region, kind)
        applied.append({"kind": kind, "label": KIND_LABELS[kind], "layout": layout, "pairs": pairs})
    stored = (
        ExportLayout.objects.filter(region__in=access.scope(user, layouts.layout_regions()))
        .select_related("region", "updated_by")
        .order_by("region__code", "kind")
    )
    own = region if access.may_edit_layout(user, region) else None
    choosable = layouts.layout_regions().order_by("code") if user.is_superuser else None
    return render(
        request,
        "excel/layouts.html",
        {
            "applied": applied,
            "stored": stored,
            "own": own,
            "kinds": KIND_LABELS,
            "choosable": choosable,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def layout_edit(request, kind):
    """``?region=<code>`` (default: the user's own): a province or city in the jurisdiction (else 404);
    editable by its own department (``access.may_edit_layout``), read-only for the province above."""
    if kind not in layouts.KINDS:
        raise Http404
    user = request.user
    code = request.GET.get("region") or (user.region.code if user.region_id else "")
    region = access.get_object_or_404(user, layouts.layout_regions(), code=code)
    editable = access.may_edit_layout(user, region)
    own = layouts.for_region(region, kind)
    here = f"{reverse('excel:layout_edit', args=[kind])}?region={region.code}"
    if request.method == "POST":
        if not editable:
            raise PermissionDenied  # the layout is another department's to define
        if "reset" in request.POST:
            if own is not None:
                own.delete()
            messages.success(
                request,
                _("%(region)s now exports in the layout that applies above it, or the built-in one.")
                % {"region": region.name},
            )
            return redirect(here)
    pairs = own.pairs if own else workbook.builtin_layout(kind)
    form = LayoutForm(request.POST if request.method == "POST" else None, kind=kind, pairs=pairs)
    if request.method == "POST" and form.is_valid():
        try:
            layouts.save(region, kind, form.pairs, user)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Saved: %(region)s's counties export the %(return)s in this layout.")
                % {"region": region.name, "return": KIND_LABELS[kind]},
            )
            return redirect(here)
    inherited = None if own else layouts.effective(region, kind)
    return render(
        request,
        "excel/layout_edit.html",
        {
            "kind": kind,
            "kind_label": KIND_LABELS[kind],
            "region": region,
            "own": own,
            "inherited": inherited,
            "editable": editable,
            "form": form,
            "rows": form.bound_rows(),
            "pairs": pairs if own else (inherited.pairs if inherited else workbook.builtin_layout(kind)),
        },
    )
