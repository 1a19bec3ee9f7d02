"""Registering a cadre (登记驻村干部) and editing the record, on pages of the application.

Thin: ``cadres.forms.CadreForm`` runs the model's validation and ``cadres.filing`` what needs the
user, as the Excel import and the admin do; who may is ``access.MANAGE_REFERENCE``, like both.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import access, events
from cadres import filing
from cadres.forms import CadreForm
from cadres.models import Cadre


def _save(request, form):
    """The record, saved whole, or None with the reason on the form."""
    cadre = form.instance
    access.require(request.user, access.MANAGE_REFERENCE, cadre)  # it lands inside the jurisdiction
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        # Registered by someone else between the form's check and the save: say so as the check does.
        message, form.existing = filing.id_number_taken(request.user, cadre.id_number, cadre)
        if not message:
            raise
        form.add_error("id_number", message)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def cadre_new(request):
    access.require(request.user, access.MANAGE_REFERENCE)
    form = CadreForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid() and (cadre := _save(request, form)):
        messages.success(request, _("%(name)s is registered.") % {"name": cadre.name})
        return redirect(cadre)
    return render(request, "assignments/cadre_form.html", {"form": form, "cadre": None})


@login_required
@require_http_methods(["GET", "POST"])
def cadre_edit(request, pk):
    cadre = access.get_object_or_404(request.user, Cadre.objects.select_related("unit", "region"), pk=pk)
    access.require(request.user, access.MANAGE_REFERENCE, cadre)
    name = cadre.name  # the form changes the instance it validates
    form = CadreForm(request.POST or None, instance=cadre, user=request.user)
    if request.method == "POST" and form.is_valid() and (saved := _save(request, form)):
        if form.has_changed():
            messages.success(request, _("The record of %(name)s is saved.") % {"name": saved.name})
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect(saved)
    return render(
        request,
        "assignments/cadre_form.html",
        {"form": form, "cadre": cadre, "name": name},
    )


@login_required
@require_http_methods(["POST"])
def cadre_id_number(request, pk):
    """The full ID number, asked for on purpose (the cadre page's "show" button), recorded in the
    security event log: who looked at whose number, and when. Everyone else, and everyone by
    default, sees it masked (accounts.access.sees_id_numbers; docs/privacy.md)."""
    cadre = access.get_object_or_404(request.user, Cadre.objects.all(), pk=pk)
    access.require(request.user, access.SEE_ID_NUMBERS)
    events.record(request, events.Kind.ID_NUMBER_SHOWN, cadre=cadre.pk, name=cadre.name)
    return render(request, "assignments/cadre_id_number.html", {"cadre": cadre})
