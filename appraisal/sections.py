"""What appraisal adds to the cadre and village pages (registered in AppraisalConfig.ready)."""

from accounts import access

from .models import Appraisal, Inspection, VillageResult


def cadre_section(request, cadre):
    # Through the jurisdiction, as the page's own lists: another county's rounds and inspections
    # of a cadre who served there too are not this viewer's.
    user = request.user
    assignments = list(access.scope(user, cadre.assignments.all()).order_by("-start_date"))
    serving = [a for a in assignments if a.is_open]
    return {
        "template": "appraisal/_cadre_section.html",
        "inspections": access.scope(user, Inspection.objects.filter(assignment__cadre=cadre)).select_related(
            "inspected_by"
        ),
        "appraisals": access.scope(user, Appraisal.objects.filter(cadre=cadre))
        .select_related("round__county")
        .order_by("-round__year", "round__kind"),
        "inspect_assignment": serving[0]
        if serving and access.can(request.user, access.RUN_APPRAISAL, serving[0])
        else None,
    }


def village_section(request, village):
    return {
        "template": "appraisal/_village_section.html",
        "village": village,
        "latest": access.scope(request.user, VillageResult.objects.filter(village=village))
        .order_by("-year")
        .first(),
    }
