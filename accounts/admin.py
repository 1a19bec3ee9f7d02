from axes.utils import reset as axes_reset
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import access, events
from .forms import ask_to_choose
from .models import Role, SecurityEvent, User

MANAGED_ROLES = (Role.TOWNSHIP_CLERK, Role.UNIT_LIAISON)


class ScopedAdmin(admin.ModelAdmin):
    """Every admin page sees through accounts.access: lists, forms, autocompletes, objects."""

    manage_action = access.MANAGE_REFERENCE
    read_only = False

    def get_queryset(self, request):
        return access.scope(request.user, super().get_queryset(request))

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        return ask_to_choose(field) if field is not None else None

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

    def render_change_form(self, request, context, *args, **kwargs):
        # No "History" button for those the history page refuses (templates/admin/change_form_object_tools.html).
        context["hide_history"] = not access.sees_history(request.user)
        return super().render_change_form(request, context, *args, **kwargs)

    def history_view(self, request, object_id, extra_context=None):
        # Who changed what: the same people as on the pages (not the dispatching units' liaisons).
        # Looked up first, as Django's own refusal: outside the jurisdiction is 404 all the same.
        if not access.sees_history(request.user):
            if self.get_object(request, unquote(object_id)) is None:
                raise Http404
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index for an object it cannot find; here that means "absent or
        # outside the jurisdiction", which every page of the project answers with 404.
        raise Http404

    def save_model(self, request, obj, form, change):
        # The choices are already scoped; this is the last guard that a new object lands inside.
        if not access.can(request.user, self.manage_action, obj):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


def view_on_site(request, content_type_id, object_id):
    """The admin's "view on site" link (admin/r/<type>/<id>/), looked up through the jurisdiction.

    Django's own (contenttypes' ``shortcut``) finds any object of any type and redirects to its page,
    which told a user that an object outside the jurisdiction exists and where its page is; here such
    an object, or a type that is not scoped, is 404 like everywhere else.
    """
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    model = content_type.model_class() if content_type else None
    if model is None or not hasattr(model._default_manager.all(), "in_region"):
        raise Http404
    obj = access.get_object_or_404(request.user, model._default_manager.all(), pk=object_id)
    if not hasattr(obj, "get_absolute_url"):
        raise Http404
    return redirect(obj)


@admin.register(User)
class UserAdmin(ScopedAdmin, BaseUserAdmin):
    manage_action = access.MANAGE_ACCOUNTS
    list_display = ["username", "full_name", "role", "region", "unit", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name", "phone"]
    autocomplete_fields = ["region", "unit", "cadre"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "email", "phone")}),
        (
            _("Role and jurisdiction"),
            {"fields": ("role", "region", "unit", "cadre", "is_active", "must_change_password")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (
            _("Role and jurisdiction"),
            {"fields": ("last_name", "first_name", "role", "region", "unit", "cadre")},
        ),
    )
    readonly_fields = ["last_login", "date_joined"]
    actions = ["unlock_login"]

    def has_module_permission(self, request):
        return access.can(request.user, access.MANAGE_ACCOUNTS)

    @admin.display(description=_("Name"), ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name()

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

    @admin.action(description=_("Unlock login (clear failed login attempts)"), permissions=["change"])
    def unlock_login(self, request, queryset):
        users = [user for user in queryset if self.has_change_permission(request, user)]
        for user in users:
            axes_reset(username=user.get_username())
            events.logger.info("unlock user=%s by=%s", user.get_username(), request.user.get_username())
        self.message_user(
            request,
            ngettext("%(count)d user can log in again.", "%(count)d users can log in again.", len(users))
            % {"count": len(users)},
            messages.SUCCESS,
        )

    def user_change_password(self, request, id, form_url=""):
        # Django's view (with the password validators). The user's sessions end by themselves: each
        # carries a hash of the password, which no longer matches.
        user = self.get_object(request, unquote(id))
        before = user.password if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and user is not None:
            user.refresh_from_db(fields=["password"])
            if user.password != before:
                events.record(
                    request,
                    events.Kind.PASSWORD_CHANGED,
                    user=user,
                    by=request.user.get_username(),
                )
        return response


@admin.register(SecurityEvent)
class SecurityEventAdmin(ScopedAdmin):
    """Read-only; a county admin sees the events of the users in its county (access.scope)."""

    read_only = True
    list_display = ["at", "kind", "username", "user", "ip", "short_user_agent", "detail"]
    list_filter = ["kind"]
    search_fields = ["username", "ip"]
    date_hierarchy = "at"
    list_select_related = ["user"]
    fields = ["at", "kind", "user", "username", "ip", "user_agent", "detail"]
    readonly_fields = fields

    @admin.display(description=_("browser"))
    def short_user_agent(self, obj):
        return obj.user_agent[:60]

    def has_module_permission(self, request):
        return access.can(request.user, access.MANAGE_ACCOUNTS)

    def has_view_permission(self, request, obj=None):
        return access.can(request.user, access.MANAGE_ACCOUNTS)
