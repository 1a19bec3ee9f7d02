from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.admin import ScopedAdmin

from .models import Appraisal, AppraisalRound, Inspection, VillageResult


@admin.register(AppraisalRound)
class AppraisalRoundAdmin(ScopedAdmin):
    """Read-only here: rounds are created, graded and finalized on their own page."""

    read_only = True
    list_display = ["county", "year", "kind", "state", "finalized_at"]
    list_filter = ["kind", "state", "year"]
    list_select_related = ["county"]


@admin.register(Appraisal)
class AppraisalAdmin(ScopedAdmin):
    read_only = True
    list_display = ["cadre", "round", "score", "grade", "ungraded_reason"]
    list_filter = ["grade", "round__year", "round__kind"]
    list_select_related = ["cadre", "round__county"]
    search_fields = ["cadre__name"]


@admin.register(Inspection)
class InspectionAdmin(ScopedAdmin):
    read_only = True
    list_display = ["assignment", "year", "half", "work_style", "people_first", "discipline", "results"]
    list_filter = ["year", "half"]
    list_select_related = ["assignment__cadre", "assignment__village"]


@admin.register(VillageResult)
class VillageResultAdmin(ScopedAdmin):
    manage_action = access.ENTER_RESULTS
    list_display = ["village", "year", "collective_income", "livelihood_projects", "households_visited_pct"]
    list_filter = ["year"]
    list_select_related = ["village"]
    autocomplete_fields = ["village"]
    readonly_fields = ["entered_by_user"]

    @admin.display(description=_("entered by"))
    def entered_by_user(self, obj):
        return obj.entered_by or "—"

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)
