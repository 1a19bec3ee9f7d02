"""Users: each has a role and a jurisdiction (a Region, or a dispatching unit for liaisons)."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCE = "province", _("Provincial organisation department (read-only)")
    CITY = "city", _("City organisation department (read-only)")
    COUNTY_ADMIN = "county_admin", _("County organisation department")
    TOWNSHIP_CLERK = "township_clerk", _("Township party committee")
    UNIT_LIAISON = "unit_liaison", _("Dispatching-unit liaison")
    # 驻村干部本人: sees and records only their own (fieldwork/); never the admin.
    CADRE = "cadre", _("Village-resident cadre")


# The region level each role works at.
ROLE_LEVEL = {
    Role.PROVINCE: "province",
    Role.CITY: "city",
    Role.COUNTY_ADMIN: "county",
    Role.TOWNSHIP_CLERK: "township",
}


class UserQuerySet(models.QuerySet):
    def in_region(self, region):
        return self.filter(region__code__startswith=region.prefix)

    def for_unit(self, unit):
        return self.filter(unit=unit)


class ZhucunUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    # A lazy reference, not an import: accounts stays below cadres in the import order.
    unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("dispatching unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="liaisons",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # The cadre this account belongs to (role ``cadre``); a lazy reference like ``unit``.
    cadre = models.OneToOneField(
        "cadres.Cadre",
        verbose_name=_("cadre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account",
    )
    # Set when an account is made or its password reset by someone else: the first page after login
    # is the password change, so that only its owner knows the password in use.
    must_change_password = models.BooleanField(_("must change the password at next login"), default=False)

    objects = ZhucunUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="user_role_has_jurisdiction",
                condition=Q(role="")
                | Q(role="unit_liaison", unit__isnull=False)
                | Q(role="cadre", cadre__isnull=False)
                | (~Q(role__in=["unit_liaison", "cadre"]) & Q(region__isnull=False)),
                violation_error_message=_(
                    "A user with a role needs a jurisdiction: a region, a unit for a liaison, "
                    "the cadre for a cadre's own account."
                ),
            ),
            models.CheckConstraint(
                name="user_cadre_only_for_cadre_role",
                condition=Q(cadre__isnull=True) | Q(role="cadre"),
                violation_error_message=_("Only a cadre's own account is linked to a cadre."),
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self):
        # Chinese order: surname (last_name) first, no space.
        return f"{self.last_name}{self.first_name}".strip()

    def clean(self):
        super().clean()
        errors = {}
        if self.role == Role.UNIT_LIAISON:
            if not self.unit_id:
                errors["unit"] = _("A dispatching-unit liaison needs the unit they represent.")
        elif self.role == Role.CADRE:
            if not self.cadre_id:
                errors["cadre"] = _("A cadre's account needs the cadre it belongs to.")
        elif self.cadre_id:
            errors["cadre"] = _(
                "Only a cadre's own account is linked to a cadre: clear the cadre or choose the role."
            )
        elif self.role:
            if not self.region_id:
                errors["region"] = _("Choose the region this user works for.")
            elif self.region.level != ROLE_LEVEL[self.role]:
                errors["region"] = _("A %(role)s works for a %(level)s, not a %(actual)s.") % {
                    "role": self.get_role_display(),
                    "level": dict(self.region.Level.choices)[ROLE_LEVEL[self.role]],
                    "actual": self.region.get_level_display(),
                }
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Every office role reaches the (scoped) admin; a cadre never does. Staff status follows the role.
        self.is_staff = self.is_superuser or (bool(self.role) and self.role != Role.CADRE)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = set(update_fields) | {"is_staff"}
        super().save(*args, **kwargs)

    @property
    def jurisdiction_code(self):
        return self.region.code if self.region_id else None

    @property
    def is_county_admin(self):
        return self.is_superuser or self.role == Role.COUNTY_ADMIN


class SecurityEventQuerySet(models.QuerySet):
    """Events belong to the jurisdiction of the user they concern (unknown user names: nobody's)."""

    def in_region(self, region):
        return self.filter(user__region__code__startswith=region.prefix)

    def for_unit(self, unit):
        return self.filter(user__unit=unit)


class SecurityEvent(models.Model):
    """Who logged in, failed to, was locked out, changed a password, exported or imported; append-only."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logged out")
        LOCKED_OUT = "locked_out", _("Locked out")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        EXPORT = "export", _("Export")
        IMPORT = "import", _("Import")
        ID_NUMBER_SHOWN = "id_number_shown", _("Full ID number shown")
        ACCOUNT_CREATED = "account_created", _("Account created")
        PASSWORD_RESET = "password_reset", _("Password reset")
        CHECKIN_POSITION_SHOWN = "checkin_position", _("Check-in position shown")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
    )
    # As typed at the login form (a failed login may name nobody); never a password.
    username = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    detail = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["kind", "-at"], name="securityevent_kind_at")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.username or '-'} · {self.at:%Y-%m-%d %H:%M}"


class FormSubmission(models.Model):
    """A form's one-time key (accounts/once.py): the same form sent twice — a double click, a resend,
    two tabs — makes one object; the second request is told it was already recorded."""

    key = models.UUIDField(_("form key"), unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    url = models.CharField(_("page of what it made"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self):
        return str(self.key)
