"""Dispatching units (派出单位) and the cadres they send."""

import datetime

import pghistory
import pgtrigger
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Cast, Mod, Substr
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import mask_id_number
from config.textguard import formula_errors

from . import ethnicity, idcard


class Level(models.TextChoices):
    CENTRAL = "central", _("Central")
    PROVINCE = "province", _("Provincial")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")


class UnitQuerySet(models.QuerySet):
    def in_region(self, region):
        # Units of the region and below, plus those of the regions above it, which send cadres down.
        return self.filter(
            Q(region__code__startswith=region.prefix) | Q(region__code__in=region.ancestor_codes)
        )

    def for_unit(self, unit):
        return self.filter(pk=unit.pk)


class Unit(models.Model):
    class Kind(models.TextChoices):
        PARTY_GOVERNMENT = "party_gov", _("Party or government body")
        PUBLIC_INSTITUTION = "institution", _("Public institution")
        STATE_ENTERPRISE = "soe", _("State-owned enterprise")
        UNIVERSITY = "university", _("University or college")
        FINANCIAL = "financial", _("Financial institution")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    region = models.ForeignKey(
        "villages.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="units"
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispatching unit")
        verbose_name_plural = _("dispatching units")
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "name"],
                name="unit_unique_name_in_region",
                violation_error_message=_("A unit of this name already exists in this region."),
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = formula_errors(self, ["name"])
        if errors:
            raise ValidationError(errors)

    @property
    def jurisdiction_code(self):
        return self.region.code


def _checksum_expression():
    """The GB 11643 check character computed in SQL, so the database refuses a bad ID too."""
    total = None
    for i, weight in enumerate(idcard.WEIGHTS, start=1):
        term = Cast(Substr("id_number", i, 1), models.IntegerField()) * weight
        total = term if total is None else total + term
    return Substr(Value(idcard.CHECK_CHARS), Mod(total, 11) + 1, 1)


class CadreQuerySet(models.QuerySet):
    def in_region(self, region):
        # Filed with the region (备案) or ever assigned to one of its villages.
        served = self.model.objects.filter(assignments__village__code__startswith=region.prefix).values("pk")
        return self.filter(Q(region__code__startswith=region.prefix) | Q(pk__in=served))

    def for_unit(self, unit):
        return self.filter(unit=unit)

    def for_cadre(self, cadre_id):
        return self.filter(pk=cadre_id)


# Inserts are recorded by one statement-level trigger (a transition table, one INSERT … SELECT with
# one context per statement) rather than a row-level one: the 10,000-row import's COPY spent 1.25 s
# in the per-row trigger (docs/excel-imports.md). Every inserted row still gets its event.
@pghistory.track(
    pghistory.InsertEvent(level=pgtrigger.Statement), pghistory.UpdateEvent(), pghistory.DeleteEvent()
)
class Cadre(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")

    class PoliticalStatus(models.TextChoices):
        PARTY_MEMBER = "party_member", _("CPC member")
        PROBATIONARY = "probationary", _("Probationary CPC member")
        LEAGUE = "league", _("Communist Youth League member")
        DEMOCRATIC = "democratic", _("Democratic party member")
        MASSES = "masses", _("No party affiliation")

    class Rank(models.TextChoices):
        DEPARTMENT = "dept", _("Division head (正处)")
        DEPUTY_DEPARTMENT = "deputy_dept", _("Deputy division head (副处)")
        SECTION = "section", _("Section head (正科)")
        DEPUTY_SECTION = "deputy_section", _("Deputy section head (副科)")
        STAFF = "staff", _("Staff member (科员)")
        OTHER = "other", _("Other")

    class Education(models.TextChoices):
        DOCTORATE = "doctorate", _("Doctorate")
        MASTER = "master", _("Master's degree")
        BACHELOR = "bachelor", _("Bachelor's degree")
        COLLEGE = "college", _("College diploma (大专)")
        SECONDARY = "secondary", _("Secondary school or below")

    name = models.CharField(_("name"), max_length=40)
    # Both may be left empty in a form: they are read from the ID number.
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    id_number = models.CharField(
        _("ID number"),
        max_length=18,
        unique=True,
        help_text=_("18-character resident ID number; the last character may be X."),
        error_messages={"unique": _("A cadre with this ID number is already registered.")},
    )
    birth_date = models.DateField(_("birth date"), blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=8, choices=ethnicity.CHOICES, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    political_status = models.CharField(_("political status"), max_length=14, choices=PoliticalStatus.choices)
    party_joined_on = models.DateField(_("joined the party on"), null=True, blank=True)
    # 党龄 counts from full membership (党章 Art. 7), not from joining: a probationary member has none.
    party_full_member_on = models.DateField(
        _("became a full party member on (转正)"),
        null=True,
        blank=True,
        help_text=_("转正时间: party years count from this day."),
    )
    work_started_on = models.DateField(_("started work on"), null=True, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("dispatching unit"), on_delete=models.PROTECT, related_name="cadres"
    )
    position = models.CharField(_("post in the unit"), max_length=60, blank=True)
    # 是否脱产: most are released from their unit's duties for the term; some serve part-time.
    full_time = models.BooleanField(
        _("released from the unit's duties (脱产)"),
        default=True,
        help_text=_("Untick for a cadre who keeps the duties of the post in the unit while serving."),
    )
    rank = models.CharField(_("rank"), max_length=16, choices=Rank.choices)
    education = models.CharField(_("education"), max_length=12, choices=Education.choices, blank=True)
    specialty = models.CharField(_("specialty"), max_length=100, blank=True)
    rural_experience = models.BooleanField(_("has rural work experience"), default=False)
    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("filed with"),
        on_delete=models.PROTECT,
        related_name="filed_cadres",
        help_text=_("The organisation department's region where the cadre is filed (备案)."),
    )
    note = models.TextField(_("note"), blank=True)

    objects = CadreQuerySet.as_manager()

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["unit", "rank"], name="cadre_unit_rank")]
        constraints = [
            models.CheckConstraint(
                name="cadre_id_number_format",
                condition=Q(id_number__regex=r"^[0-9]{17}[0-9X]$"),
                violation_error_message=_("An ID number has 17 digits and a final digit or X."),
            ),
            models.CheckConstraint(
                name="cadre_id_number_checksum",
                condition=Exact(Substr("id_number", 18, 1), _checksum_expression()),
                violation_error_message=_("The ID number's check digit is wrong."),
            ),
            models.CheckConstraint(
                name="cadre_id_number_province",
                condition=Q(id_number__regex=r"^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])"),
                violation_error_message=_("The first two digits of the ID number are not a province code."),
            ),
            models.CheckConstraint(
                name="cadre_birth_year_from_1900",
                condition=Q(birth_date__gte=idcard.EARLIEST_BIRTH),
                violation_error_message=_("The birth date cannot be before 1900-01-01."),
            ),
            models.CheckConstraint(
                name="cadre_birth_date_matches_id",
                condition=Exact(
                    Substr("id_number", 7, 8),
                    Func(
                        F("birth_date"),
                        Value("YYYYMMDD"),
                        function="to_char",
                        output_field=models.CharField(),
                    ),
                ),
                violation_error_message=_("The birth date must agree with the ID number."),
            ),
            models.CheckConstraint(
                name="cadre_gender_matches_id",
                condition=Q(
                    Exact(Mod(Cast(Substr("id_number", 17, 1), models.IntegerField()), 2), 1), gender="M"
                )
                | Q(Exact(Mod(Cast(Substr("id_number", 17, 1), models.IntegerField()), 2), 0), gender="F"),
                violation_error_message=_("The gender must agree with the ID number."),
            ),
            models.CheckConstraint(
                name="cadre_party_date_for_members",
                condition=Q(
                    political_status__in=["party_member", "probationary"], party_joined_on__isnull=False
                )
                | ~Q(political_status__in=["party_member", "probationary"]),
                violation_error_message=_("A party member needs the date they joined the party."),
            ),
            models.CheckConstraint(
                name="cadre_full_membership_only_for_full_members",
                condition=Q(party_full_member_on__isnull=True) | Q(political_status="party_member"),
                violation_error_message=_(
                    "Only a full party member has a date of becoming a full member (转正)."
                ),
            ),
            models.CheckConstraint(
                name="cadre_full_membership_after_joining",
                condition=Q(party_full_member_on__isnull=True)
                | Q(party_joined_on__isnull=False, party_full_member_on__gte=F("party_joined_on")),
                violation_error_message=_(
                    "The date of becoming a full member (转正) cannot be before joining."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cadres:detail", args=[self.pk])

    @property
    def jurisdiction_code(self):
        return self.region.code

    @property
    def is_party_member(self):
        return self.political_status in (self.PoliticalStatus.PARTY_MEMBER, self.PoliticalStatus.PROBATIONARY)

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)

    def age_on(self, day: datetime.date) -> int:
        from .dates import years_between

        return years_between(self.birth_date, day)

    def clean_fields(self, exclude=None):
        self.id_number = idcard.normalize(self.id_number)
        try:
            birth, gender = idcard.parse(self.id_number)
        except idcard.IdNumberError:
            pass  # reported by clean()
        else:
            self.birth_date = self.birth_date or birth
            self.gender = self.gender or gender
        super().clean_fields(exclude)

    def clean(self):
        errors = formula_errors(self, ["name", "position", "specialty"])
        try:
            birth, gender = idcard.parse(self.id_number)
        except idcard.IdNumberError as exc:
            if self.id_number:  # an empty one is the field's own "required" (clean_fields, a form)
                errors["id_number"] = str(exc)
        else:
            if self.birth_date and self.birth_date != birth:
                errors["birth_date"] = _(
                    "The birth date %(date)s does not agree with the ID number, which says %(id_date)s."
                ) % {"date": self.birth_date.isoformat(), "id_date": birth.isoformat()}
            if self.gender and self.gender != gender:
                errors["gender"] = _(
                    "The gender does not agree with the ID number (its 17th digit is %(digit)s: "
                    "odd for male, even for female)."
                ) % {"digit": self.id_number[16]}
        if self.is_party_member and not self.party_joined_on:
            errors["party_joined_on"] = _("Enter the date the cadre joined the party.")
        if self.party_joined_on and not self.is_party_member and self.political_status:
            errors["party_joined_on"] = _("Only a party member has a date of joining the party.")
        today = datetime.date.today()
        for field in ("party_joined_on", "work_started_on"):
            value = getattr(self, field)
            if value and self.birth_date and value <= self.birth_date:
                errors[field] = _("This date is before the cadre was born.")
            elif value and value > today:
                errors[field] = _("This date is in the future.")
        full = self.party_full_member_on
        if full and self.political_status and self.political_status != self.PoliticalStatus.PARTY_MEMBER:
            errors["party_full_member_on"] = _(
                "Only a full party member has a date of becoming a full member (转正时间): a probationary "
                "member has none yet. Clear the date or change the political status."
            )
        elif full and full > today:
            errors["party_full_member_on"] = _(
                "The date of becoming a full member (转正时间) %(date)s is in the future."
            ) % {"date": full.isoformat()}
        elif full and self.party_joined_on and full < self.party_joined_on:
            errors["party_full_member_on"] = _(
                "The date of becoming a full member (转正时间) %(date)s is before joining the party on "
                "%(joined)s: a member becomes full after the probation."
            ) % {"date": full.isoformat(), "joined": self.party_joined_on.isoformat()}
        elif full and self.birth_date and full <= self.birth_date:
            errors["party_full_member_on"] = _("This date is before the cadre was born.")
        if errors:
            raise ValidationError(errors)
