from django.contrib import admin

from accounts import access
from accounts.admin import ScopedAdmin

from .models import Assignment, AssignmentEvent, Policy


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

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
