from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from . import access
from .models import Role, User

MANAGED_ROLES = (Role.TOWNSHIP_CLERK, Role.UNIT_LIAISON)


class ScopedAdmin(admin.ModelAdmin):
    """Every admin page sees through accounts.access: lists, forms, autocompletes, objects."""

    manage_action = access.MANAGE_REFERENCE
    read_only = False

    def get_queryset(self, request):
        return access.scope(request.user, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if hasattr(related.objects, "in_region") and "queryset" not in kwargs:
            kwargs["queryset"] = access.scope(request.user, related._default_manager.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return access.can(request.user, access.VIEW)

    def has_view_permission(self, request, obj=None):
        return access.can(request.user, access.VIEW)

    def has_add_permission(self, request):
        return not self.read_only and access.can(request.user, self.manage_action)

    def has_change_permission(self, request, obj=None):
        return not self.read_only and access.can(request.user, self.manage_action, obj)

    def has_delete_permission(self, request, obj=None):
        return not self.read_only and access.can(request.user, self.manage_action, obj)

    def save_model(self, request, obj, form, change):
        # The choices are already scoped; this is the last guard that a new object lands inside.
        if not access.can(request.user, self.manage_action, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(User)
class UserAdmin(ScopedAdmin, BaseUserAdmin):
    manage_action = access.MANAGE_ACCOUNTS
    list_display = ["username", "get_full_name", "role", "region", "unit", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name", "phone"]
    autocomplete_fields = ["region", "unit"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "email", "phone")}),
        (_("Role and jurisdiction"), {"fields": ("role", "region", "unit", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Role and jurisdiction"), {"fields": ("last_name", "first_name", "role", "region", "unit")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    def has_module_permission(self, request):
        return access.can(request.user, access.MANAGE_ACCOUNTS)

    def has_view_permission(self, request, obj=None):
        return access.can(request.user, access.MANAGE_ACCOUNTS)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if request.user.is_superuser:
            return form
        if "role" in form.base_fields:
            # A county admin creates township clerks and unit liaisons, nobody above or beside itself.
            form.base_fields["role"].choices = [("", "---------")] + [
                (value, label) for value, label in Role.choices if value in MANAGED_ROLES
            ]
        manager = request.user

        class CountyUserForm(form):
            def clean(self):
                data = super().clean()
                role, region, unit = data.get("role"), data.get("region"), data.get("unit")
                if role not in MANAGED_ROLES:
                    self.add_error("role", _("Choose township clerk or unit liaison."))
                elif role == Role.UNIT_LIAISON and unit and not access.owns(manager, unit):
                    self.add_error("unit", _("Choose a unit of your own county."))
                elif role == Role.TOWNSHIP_CLERK and region and not access.owns(manager, region):
                    self.add_error("region", _("Choose a township of your own county."))
                if role == Role.UNIT_LIAISON and unit and not region:
                    self.instance.region = unit.region
                return data

        return form if "role" not in form.base_fields else CountyUserForm

    def has_change_permission(self, request, obj=None):
        managed = obj is None or obj.role in MANAGED_ROLES and obj.pk != request.user.pk
        if not (request.user.is_superuser or managed):
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission
