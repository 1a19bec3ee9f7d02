"""The evidence page of a person in a round (issue 18, item 1). Thin: appraisal/evidence.py gathers."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts import access
from assignments.models import Assignment

from . import evidence
from .models import Appraisal


@login_required
def person(request, pk, appraisal_pk):
    """One person's file in a round: whoever sees the appraisal (access.scope: the round's county, the
    township where the cadre served that year, the cadre's own unit) reads it; everyone else 404."""
    appraisal = access.get_object_or_404(
        request.user,
        Appraisal.objects.filter(round_id=pk).select_related("round__county", "cadre__unit"),
        pk=appraisal_pk,
    )
    file = evidence.gather(
        appraisal,
        round_appraisals=access.scope(request.user, appraisal.round.appraisals.all()),
        visible=access.scope(request.user, Assignment.objects.all()),
    )
    return render(
        request, "appraisal/evidence.html", {"e": file, "round": appraisal.round, "nav": "appraisal"}
    )
