"""Administrative regions (统计用区划代码) and villages."""

import pghistory
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Left
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from config.textguard import formula_errors

from .fields import ChoiceArrayField

# Significant digits of each level in a 12-digit code: PP CC DD TTT VVV.
PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}

# Each level's code: its own group non-zero, every group below it zero.
CODE_PATTERNS = {
    "province": r"^[1-9][0-9]0{10}$",
    "city": r"^[0-9]{2}(0[1-9]|[1-9][0-9])0{8}$",
    "county": r"^[0-9]{4}(0[1-9]|[1-9][0-9])0{6}$",
    "township": r"^[0-9]{6}(00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})000$",
    "village": r"^[0-9]{9}(00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})$",
}

code_format = RegexValidator(
    r"^[0-9]{12}$", _("A region code has exactly 12 digits (统计用区划代码), e.g. 370682100000.")
)


def level_of_code(code):
    """The level a well-formed 12-digit code denotes, or None."""
    import re

    for level, pattern in CODE_PATTERNS.items():
        if re.match(pattern, code or ""):
            return level
    return None


class RegionQuerySet(models.QuerySet):
    def in_region(self, region):
        return self.filter(code__startswith=region.prefix)

    def for_unit(self, unit):
        # Townships (and their ancestors are not needed) where the unit's cadres serve.
        return self.filter(
            pk__in=self.model.objects.filter(villages__assignments__cadre__unit=unit).values("pk")
        )

    def townships(self):
        return self.filter(level=Region.Level.TOWNSHIP)


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County")
        TOWNSHIP = "township", _("Township")

    code = models.CharField(_("code"), max_length=12, unique=True, validators=[code_format])
    name = models.CharField(_("name"), max_length=60)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="region_code_matches_level",
                condition=Q(level="province", code__regex=CODE_PATTERNS["province"])
                | Q(level="city", code__regex=CODE_PATTERNS["city"])
                | Q(level="county", code__regex=CODE_PATTERNS["county"])
                | Q(level="township", code__regex=CODE_PATTERNS["township"]),
                violation_error_message=_("The region code does not fit its level."),
            ),
            models.CheckConstraint(
                name="region_parent_only_for_lower_levels",
                condition=Q(level="province") | Q(parent__isnull=False),
                violation_error_message=_("Every region below a province needs its parent region."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def prefix(self):
        """The significant digits: everything under this region has a code starting with them."""
        return self.code[: PREFIX_LENGTH[self.level]]

    @property
    def ancestor_codes(self):
        """Codes of the regions above this one, nearest first (township → county → city → province)."""
        codes = []
        for level in ("county", "city", "province"):
            n = PREFIX_LENGTH[level]
            if n < len(self.prefix):
                codes.append(self.code[:n].ljust(12, "0"))
        return codes

    @property
    def jurisdiction_code(self):
        return self.code

    def contains(self, code):
        return code.startswith(self.prefix)

    def full_name(self):
        return self.name if self.parent_id is None else f"{self.parent.name} {self.name}"

    def clean(self):
        errors = formula_errors(self, ["name"])
        level = level_of_code(self.code)
        if self.code and self.level and level != self.level:
            errors["code"] = _(
                "Code %(code)s is not a %(level)s code: a province code ends in 10 zeros, a city "
                "code in 8, a county code in 6 and a township code in 3, with its own digits not all zero."
            ) % {"code": self.code, "level": self.get_level_display()}
        if self.parent_id and self.code and "code" not in errors:
            parent = self.parent
            order = list(PREFIX_LENGTH)
            if order.index(parent.level) >= order.index(self.level or "province"):
                errors["parent"] = _("The parent region must be a higher level than this one.")
            elif not self.code.startswith(parent.prefix):
                errors["code"] = _(
                    "Code %(code)s does not lie under its parent %(parent)s (%(prefix)s…)."
                ) % {"code": self.code, "parent": parent.name, "prefix": parent.prefix}
        if self.level and self.level != "province" and not self.parent_id:
            errors.setdefault("parent", _("Choose the region this one belongs to."))
        if errors:
            raise ValidationError(errors)


class VillageQuerySet(models.QuerySet):
    def in_region(self, region):
        return self.filter(code__startswith=region.prefix)

    def for_unit(self, unit):
        return self.filter(pk__in=self.model.objects.filter(assignments__cadre__unit=unit).values("pk"))

    def needing_first_secretary(self):
        return self.filter(categories__overlap=Village.SECRETARY_CATEGORIES)

    def needing_team(self):
        return self.filter(Village.team_required_q())


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Village(models.Model):
    class Category(models.TextChoices):
        POVERTY_EXIT = "poverty_exit", _("Poverty-exit village")
        REVITALIZATION = "revitalization", _("Revitalisation-priority village")
        WEAK_ORG = "weak_org", _("Weak party organisation")
        OTHER = "other", _("Other (conflicts, complaints)")

    class Grade(models.IntegerChoices):
        FIRST = 1, _("Grade 1")
        SECOND = 2, _("Grade 2")
        THIRD = 3, _("Grade 3")
        FOURTH = 4, _("Grade 4")

    # POLICY.md: which categories need a first secretary; which need a work team.
    SECRETARY_CATEGORIES = ["poverty_exit", "revitalization", "weak_org"]

    code = models.CharField(_("village code"), max_length=12, unique=True, validators=[code_format])
    name = models.CharField(_("name"), max_length=60)
    township = models.ForeignKey(
        Region,
        verbose_name=_("township"),
        to_field="code",
        db_column="township_code",
        on_delete=models.PROTECT,
        related_name="villages",
        limit_choices_to={"level": "township"},
    )
    categories = ChoiceArrayField(
        models.CharField(max_length=20, choices=Category.choices),
        verbose_name=_("categories"),
        default=list,
        blank=True,
        help_text=_("Leave empty for a village that is not a dispatch village."),
    )
    problem_prominent = models.BooleanField(
        _("listed as problem-prominent"),
        default=False,
        help_text=_("A weak-organisation village on the 问题突出 list also gets a work team."),
    )
    party_org_grade = models.PositiveSmallIntegerField(
        _("party organisation grade"), choices=Grade.choices, null=True, blank=True
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The village point for check-ins, stored in WGS-84 (what browsers give). Typed by the county in
    # either system (Chinese maps show GCJ-02, converted on entry) or proposed from check-ins.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    point_source = models.CharField(_("how the point was set"), max_length=60, blank=True)

    objects = VillageQuerySet.as_manager()

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["township", "code"], name="village_township_code"),
        ]
        constraints = [
            models.CheckConstraint(
                name="village_code_format",
                condition=Q(code__regex=CODE_PATTERNS["village"]),
                violation_error_message=_("A village code has 12 digits and does not end in 000."),
            ),
            models.CheckConstraint(
                name="village_code_under_township",
                condition=Exact(Left("code", 9), Left("township_id", 9)),
                violation_error_message=_("The village code must start with its township's 9 digits."),
            ),
            models.CheckConstraint(
                name="village_point_together",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                violation_error_message=_(
                    "A village point has both a latitude and a longitude, within range."
                ),
            ),
            models.CheckConstraint(
                name="village_categories_known",
                condition=Q(categories__contained_by=["poverty_exit", "revitalization", "weak_org", "other"]),
                violation_error_message=_("Unknown village category."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("villages:detail", args=[self.code])

    @property
    def jurisdiction_code(self):
        return self.code

    @classmethod
    def team_required_q(cls, prefix=""):
        return Q(**{f"{prefix}categories__contains": ["poverty_exit"]}) | Q(
            **{
                f"{prefix}categories__contains": ["weak_org"],
                f"{prefix}problem_prominent": True,
            }
        )

    @property
    def requires_first_secretary(self):
        return bool(set(self.categories) & set(self.SECRETARY_CATEGORIES))

    @property
    def requires_team(self):
        cats = set(self.categories)
        return "poverty_exit" in cats or ("weak_org" in cats and self.problem_prominent)

    def get_categories_display(self):
        labels = dict(self.Category.choices)
        return "、".join(str(labels.get(c, c)) for c in self.categories)

    def clean(self):
        errors = formula_errors(self, ["name"])
        if self.code and self.township_id and not self.code.startswith(self.township_id[:9]):
            errors["code"] = _(
                "Village code %(code)s does not lie under township %(township)s: it must start with %(prefix)s."
            ) % {
                "code": self.code,
                "township": self.township.name,
                "prefix": self.township_id[:9],
            }
        elif self.code and level_of_code(self.code) != "village":
            errors["code"] = _(
                "%(code)s is not a village code: a village code has 12 digits and does not end in 000."
            ) % {"code": self.code}
        if self.problem_prominent and "weak_org" not in (self.categories or []):
            errors["problem_prominent"] = _(
                "Only a weak-party-organisation village can be listed as problem-prominent."
            )
        if errors:
            raise ValidationError(errors)
