from django.contrib import admin
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import access
from accounts.admin import ScopedAdmin

from .models import (
    Assignment,
    AssignmentEvent,
    AttendanceRecord,
    AttendanceSheet,
    HolidayOverride,
    LeaveRequest,
    Policy,
    SpotCheck,
)


class EventInline(admin.TabularInline):
    model = AssignmentEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "kind",
        "date",
        "end_reason",
        "reason",
        "old_planned_end",
        "new_planned_end",
        "by",
        "at",
    ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdmin):
    """Read-only here: dispatch, end, recall and extend have pages of their own with the rules."""

    read_only = True
    list_display = ["cadre", "village", "role", "start_date", "planned_end_date", "end_date", "end_reason"]
    list_filter = ["role", "end_reason", "dispatch_level"]
    search_fields = ["cadre__name", "village__name", "village__code", "batch"]
    list_select_related = ["cadre", "village"]
    date_hierarchy = "start_date"
    inlines = [EventInline]


POLICY_CHECKIN = ["checkin_enabled", "checkin_radius_m", "checkin_accuracy_m", "checkin_retention_days"]
POLICY_SCORING = ["score_weight_inspections", "score_weight_annual", "score_weight_assessment", "score_bands"]


def _policy_fields(exclude):
    return [f.name for f in Policy._meta.concrete_fields if f.name != "id" and f.name not in exclude]


@admin.register(Policy)
class PolicyAdmin(ScopedAdmin):
    manage_action = access.MANAGE_POLICY
    list_display = [
        "region",
        "term_years",
        "days_per_month",
        "team_min_size",
        "excellent_min_ratio",
        "updated_at",
    ]
    autocomplete_fields = ["region"]
    list_select_related = ["region"]
    readonly_fields = ["updated_at", "updated_by"]
    # The check-in settings in a group of their own, with what they mean (fieldwork/checkins.py).
    fieldsets = [
        (
            None,
            {
                "fields": [
                    *_policy_fields(exclude=[*POLICY_CHECKIN, *POLICY_SCORING, *readonly_fields]),
                    *readonly_fields,
                ]
            },
        ),
        (
            _("考核计分 (scoring the appraisal by weights)"),
            {
                "fields": POLICY_SCORING,
                "description": _(
                    "Off while the three weights are 0 (or empty: as the region above). To score by "
                    "weights, as some counties do (e.g. half year 30 %, year end 70 %), set all three "
                    "so that they sum to 100: the half-year inspections (好 100, 一般 80, 差 60, averaged), "
                    "the year-end assessment score typed on the round's page, and the democratic "
                    "assessment (民主测评: 好 and 较好 over the participants). The round's page then shows "
                    "each part and the total, and the score bands suggest the grade; the county may "
                    "still set another grade within the caps, saying why."
                ),
            },
        ),
        (
            _("Check-in (签到), only where the county turns it on"),
            {
                "fields": POLICY_CHECKIN,
                "description": _(
                    "Off unless a county turns it on, for the whole county or for one township (a "
                    "township's own setting wins; empty means as the region above). Where it is on, "
                    "cadres may check in on their phones: one tap sends the position once — never a "
                    "track, never in the background. A check-in is never compulsory and a missing one "
                    "is never an absence. A check-in farther than the radius or less accurate than "
                    "the accuracy setting is flagged for the township, never refused. The exact "
                    "position is deleted after the retention days; the distance and the flag stay. "
                    "Set each village's point on the page Check-ins › Village points."
                ),
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(ScopedAdmin):
    manage_action = access.MANAGE_POLICY
    list_display = ["date", "kind", "name", "region"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    autocomplete_fields = ["region"]
    list_select_related = ["region"]


class RecordInline(admin.TabularInline):
    model = AttendanceRecord
    extra = 0
    can_delete = False
    fields = ["assignment", "days", "present_days", "required_days"]
    readonly_fields = ["assignment", "present_days", "required_days"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is not None and obj.is_open and access.can(request.user, access.KEEP_ATTENDANCE, obj)


@admin.register(AttendanceSheet)
class AttendanceSheetAdmin(ScopedAdmin):
    """The grid page is where sheets are kept; here they can be looked up, and open ones corrected."""

    manage_action = access.KEEP_ATTENDANCE
    list_display = ["township", "month", "state", "needs_correction", "last_changed_by", "updated_at"]
    list_filter = ["state", "needs_correction"]
    date_hierarchy = "month"
    list_select_related = ["township", "updated_by"]
    fields = ["township", "month", "state", "needs_correction", "correction_note"]
    readonly_fields = ["township", "month", "state", "needs_correction", "correction_note"]
    inlines = [RecordInline]

    @admin.display(description=_("updated by"), ordering="updated_by")
    def last_changed_by(self, obj):
        return obj.updated_by

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_open:
            return False
        return super().has_change_permission(request, obj)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            # A grid loaded before this correction must not overwrite it.
            AttendanceSheet.objects.filter(pk=form.instance.pk).update(
                version=F("version") + 1, updated_by=request.user, updated_at=timezone.now()
            )


@admin.register(LeaveRequest)
class LeaveRequestAdmin(ScopedAdmin):
    read_only = True
    list_display = [
        "assignment",
        "start_date",
        "end_date",
        "approval_level",
        "retroactive",
        "state",
        "returned_on",
    ]
    list_filter = ["state", "approval_level", "retroactive"]
    list_select_related = ["assignment__cadre", "assignment__village"]
    search_fields = ["assignment__cadre__name"]


@admin.register(SpotCheck)
class SpotCheckAdmin(ScopedAdmin):
    read_only = True
    list_display = ["assignment", "date", "method", "found_present", "checked_by"]
    list_filter = ["method", "found_present"]
    list_select_related = ["assignment__cadre", "assignment__village", "checked_by"]
    search_fields = ["assignment__cadre__name"]
