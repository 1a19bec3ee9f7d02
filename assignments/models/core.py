"""Policy settings, and the assignment of a cadre to a village (驻村任职)."""

import datetime

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F, Func, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat, Left
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from cadres.dates import term_end, years_between
from cadres.models import Level
from villages.models import PREFIX_LENGTH, Region

from .. import policy as policy_defaults


class PolicyQuerySet(models.QuerySet):
    def in_region(self, region):
        # A region's own and lower settings, plus the ones above it that it inherits.
        return self.filter(
            Q(region__code__startswith=region.prefix) | Q(region__code__in=region.ancestor_codes)
        )

    def for_unit(self, unit):
        return self.none()


class Policy(models.Model):
    """The settings of one region; an empty setting inherits from the region above."""

    region = models.OneToOneField(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="policy"
    )
    term_years = models.PositiveSmallIntegerField(
        _("term in years"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    max_age = models.PositiveSmallIntegerField(
        _("maximum age at dispatch"),
        null=True,
        blank=True,
        validators=[MinValueValidator(18), MaxValueValidator(65)],
    )
    min_party_years = models.PositiveSmallIntegerField(
        _("minimum party years (first secretary)"), null=True, blank=True
    )
    min_work_years = models.PositiveSmallIntegerField(
        _("minimum years of work (first secretary)"), null=True, blank=True
    )
    team_min_size = models.PositiveSmallIntegerField(
        _("minimum work-team size"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Counting the first secretary, who leads the team."),
    )
    team_max_size = models.PositiveSmallIntegerField(
        _("maximum work-team size"), null=True, blank=True, help_text=_("0 = no maximum.")
    )
    days_per_month = models.PositiveSmallIntegerField(
        _("minimum days in village per month"), null=True, blank=True, validators=[MaxValueValidator(31)]
    )
    days_per_quarter = models.PositiveSmallIntegerField(
        _("minimum days in village per quarter"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(92)],
        help_text=_("0 = no quarterly minimum."),
    )
    days_per_year = models.PositiveSmallIntegerField(
        _("minimum days in village per year"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(366)],
        help_text=_("0 = no yearly minimum."),
    )
    minimum_excludes_holidays = models.BooleanField(
        _("a month with fewer working days than the minimum requires only its working days"),
        null=True,
        blank=True,
        help_text=_("除节假日外: e.g. a Spring Festival month with 16 working days requires 16, not 20."),
    )
    business_counts_as_present = models.BooleanField(
        _("approved official business counts as in village"), null=True, blank=True
    )
    township_leave_max_days = models.PositiveSmallIntegerField(
        _("longest leave the township approves (working days)"), null=True, blank=True
    )
    max_leave_days_per_year = models.PositiveSmallIntegerField(
        _("working days of leave per year before recall"),
        null=True,
        blank=True,
        help_text=_("Per person, over all the cadre's assignments. 0 = no limit."),
    )
    allowance_per_day = models.DecimalField(
        _("living allowance per day in village (yuan)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    allowance_per_month = models.DecimalField(
        _("transport allowance per month (yuan)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    excellent_min_ratio = models.DecimalField(
        _("minimum share rated excellent"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("A fraction: 0.300 means at least 30 %."),
    )
    excellent_max_ratio = models.DecimalField(
        _("maximum share rated excellent"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("A fraction; 0 = no maximum."),
    )
    term_end_excellent_min_ratio = models.DecimalField(
        _("minimum share rated excellent at term end (期满考核)"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("A fraction; 0 = no minimum. The 30 per cent minimum is for the annual appraisal."),
    )
    term_end_excellent_max_ratio = models.DecimalField(
        _("maximum share rated excellent at term end (期满考核)"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("A fraction; 0 = no maximum."),
    )
    spot_check_caps = models.CharField(
        _("grade caps for absences found by spot checks"),
        max_length=100,
        blank=True,
        validators=[
            RegexValidator(
                r"^\d+:(competent|basic|incompetent)(,\d+:(competent|basic|incompetent))*$",
                _("Write it as times:grade pairs, e.g. 1:competent,2:basic,3:incompetent."),
            )
        ],
    )
    attendance_blocks_excellent = models.BooleanField(
        _("missing the attendance minimum rules out excellent"), null=True, blank=True
    )
    min_months_for_appraisal = models.PositiveSmallIntegerField(
        _("minimum months served to be graded"), null=True, blank=True, validators=[MaxValueValidator(12)]
    )
    submit_before_month_end = models.BooleanField(
        _("a sheet may be submitted before its month's last working day"),
        null=True,
        blank=True,
        help_text=_("Off by default: a month is reported once its last working day has come."),
    )
    # 签到, only where a county turns it on (国办函〔2026〕12号: never compulsory): fieldwork.CheckIn.
    checkin_enabled = models.BooleanField(
        _("cadres may check in on their phones"),
        null=True,
        blank=True,
        help_text=_("Off by default. A check-in is never required, and a missing one is never an absence."),
    )
    checkin_radius_m = models.PositiveIntegerField(
        _("check-in radius around the village point (m)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(50), MaxValueValidator(50_000)],
        help_text=_("A check-in farther than this is flagged, never refused."),
    )
    checkin_accuracy_m = models.PositiveIntegerField(
        _("poorest accepted accuracy of a check-in (m)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(10), MaxValueValidator(10_000)],
        help_text=_("A position less accurate than this is flagged, never refused."),
    )
    checkin_retention_days = models.PositiveSmallIntegerField(
        _("days a check-in's exact position is kept"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("After this the coordinates are deleted; the distance and the flag stay."),
    )
    # 精准督查 (supervision/signals.py): how much each risk signal weighs, from which score a cadre is
    # always proposed for a check, and what share of the others is drawn at random.
    supervision_weights = models.CharField(
        _("weights of the risk signals"),
        max_length=400,
        blank=True,
        validators=[
            RegexValidator(
                r"^[a-z_]+:\d+(,[a-z_]+:\d+)*$",
                _("Write it as signal:weight pairs, e.g. copied_row:3,earlier_finding:3."),
            )
        ],
        help_text=_("Signals left out keep their default weight; 0 switches a signal off."),
    )
    supervision_threshold = models.PositiveSmallIntegerField(
        _("risk score from which a cadre is always checked"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    supervision_sample_percent = models.PositiveSmallIntegerField(
        _("share of the other cadres drawn at random for checks (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("So nobody is ever beyond a check."),
    )
    # Scoring the appraisal by weights (appraisal/scoring.py), as counties in the field do (e.g. half
    # year 30 % + year end 70 %): off while all three are 0; when set, all three and summing to 100.
    score_weight_inspections = models.PositiveSmallIntegerField(
        _("weight of the half-year inspections (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("With the two weights below, summing to 100; all 0 = no weighted score."),
    )
    score_weight_annual = models.PositiveSmallIntegerField(
        _("weight of the year-end assessment score (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    score_weight_assessment = models.PositiveSmallIntegerField(
        _("weight of the democratic assessment (民主测评) (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
    )
    score_bands = models.CharField(
        _("score bands"),
        max_length=100,
        blank=True,
        validators=[
            RegexValidator(
                r"^\d{1,3}(\.\d{1,2})?:(excellent|competent|basic)(,\d{1,3}(\.\d{1,2})?:(excellent|competent|basic))*$",
                _("Write it as score:grade pairs, e.g. 85:excellent,70:competent,60:basic."),
            )
        ],
        help_text=_("The lowest score of each grade; below the last, incompetent."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["region__code"]
        constraints = [
            models.CheckConstraint(
                name="policy_excellent_ratios_ordered",
                condition=Q(excellent_min_ratio__isnull=True)
                | Q(excellent_max_ratio__isnull=True)
                | Q(excellent_max_ratio=0)
                | Q(excellent_max_ratio__gte=F("excellent_min_ratio")),
                violation_error_message=_("The maximum share of excellent must not be below the minimum."),
            ),
            models.CheckConstraint(
                name="policy_term_end_excellent_ratios_ordered",
                condition=Q(term_end_excellent_min_ratio__isnull=True)
                | Q(term_end_excellent_max_ratio__isnull=True)
                | Q(term_end_excellent_max_ratio=0)
                | Q(term_end_excellent_max_ratio__gte=F("term_end_excellent_min_ratio")),
                violation_error_message=_(
                    "The maximum share of excellent at term end must not be below the minimum."
                ),
            ),
            models.CheckConstraint(
                name="policy_score_weights_complete",
                condition=Q(
                    score_weight_inspections__isnull=True,
                    score_weight_annual__isnull=True,
                    score_weight_assessment__isnull=True,
                )
                | (
                    Q(
                        score_weight_inspections__isnull=False,
                        score_weight_annual__isnull=False,
                        score_weight_assessment__isnull=False,
                    )
                    & (
                        Q(score_weight_inspections=0, score_weight_annual=0, score_weight_assessment=0)
                        | Q(
                            Exact(
                                F("score_weight_inspections")
                                + F("score_weight_annual")
                                + F("score_weight_assessment"),
                                100,
                            )
                        )
                    )
                ),
                violation_error_message=_(
                    "Set the three score weights together, summing to 100 (or all 0 for no weighted score)."
                ),
            ),
            models.CheckConstraint(
                name="policy_team_sizes_ordered",
                condition=Q(team_min_size__isnull=True)
                | Q(team_max_size__isnull=True)
                | Q(team_max_size=0)
                | Q(team_max_size__gte=F("team_min_size")),
                violation_error_message=_("The maximum team size must not be below the minimum."),
            ),
        ]

    def __str__(self):
        return str(_("Policy of %(region)s") % {"region": self.region.name})

    # Minimum/maximum pairs that must not contradict each other where they apply (the effective
    # values, each possibly inherited from a different region).
    RATIO_PAIRS = [
        ("excellent_min_ratio", "excellent_max_ratio", _("annual appraisal")),
        ("term_end_excellent_min_ratio", "term_end_excellent_max_ratio", _("term-end appraisal (期满考核)")),
    ]

    def clean(self):
        super().clean()
        errors = self.ratio_contradictions()
        if errors:
            raise ValidationError(errors)

    def ratio_contradictions(self):
        """{field: [message]} where, with these settings saved, the effective minimum share rated
        excellent would exceed the effective maximum in this region or in any region below it with
        settings of its own; each message names both regions (the one setting the minimum and the one
        setting the maximum)."""
        if not self.region_id:
            return {}
        region = self.region
        others = Policy.objects.filter(
            Q(region__code__in=region.ancestor_codes) | Q(region__code__startswith=region.prefix)
        ).exclude(region=region)
        if self.pk:
            others = others.exclude(pk=self.pk)
        by_code = {p.region.code: p for p in others.select_related("region")}
        by_code[region.code] = self
        targets = [region] + sorted(
            (
                p.region
                for p in by_code.values()
                if p.region.code != region.code and p.region.code.startswith(region.prefix)
            ),
            key=lambda r: r.code,
        )
        errors = {}
        for target in targets:
            chain = [by_code[c] for c in (target.code, *target.ancestor_codes) if c in by_code]
            for min_name, max_name, kind in self.RATIO_PAIRS:
                low, low_from = self._effective(chain, min_name)
                high, high_from = self._effective(chain, max_name)
                if low is None or high is None or low <= high:
                    continue
                field = min_name if low_from is self else max_name if high_from is self else None
                message = _(
                    "Contradicting settings for the %(kind)s in %(where)s: the minimum share rated excellent "
                    "%(low)s set by %(low_region)s is above the maximum %(high)s set by %(high_region)s. "
                    "Lower the minimum or raise the maximum."
                ) % {
                    "kind": kind,
                    "where": target.name,
                    "low": _ratio_text(low),
                    "low_region": low_from.region.name if low_from else _("the default"),
                    "high": _ratio_text(high),
                    "high_region": high_from.region.name if high_from else _("the default"),
                }
                errors.setdefault(field or "__all__", [])
                if message not in errors[field or "__all__"]:
                    errors[field or "__all__"].append(message)
        return errors

    @staticmethod
    def _effective(chain, name):
        """(value, the Policy that sets it or None for the default) along ``chain``, nearest first;
        a switchable setting at 0 is off (None)."""
        value, source = policy_defaults.DEFAULTS[name], None
        for p in chain:
            v = getattr(p, name)
            if v is not None and v != "":
                value, source = v, p
                break
        if name in policy_defaults.SWITCHABLE and not value:
            return None, source
        return value, source

    @property
    def jurisdiction_code(self):
        return self.region.code

    @classmethod
    def effective_for(cls, region) -> policy_defaults.EffectivePolicy:
        """The settings in force in ``region``: its own, else the nearest region's above it."""
        codes = [region.code, *region.ancestor_codes]
        rows = list(cls.objects.filter(region__code__in=codes).select_related("region"))
        rows.sort(key=lambda p: -len(p.region.prefix))
        return policy_defaults.resolve(rows)

    @classmethod
    def effective_for_many(cls, regions):
        """{region pk: effective policy} for many regions in one query."""
        regions = list(regions)
        codes = {c for r in regions for c in (r.code, *r.ancestor_codes)}
        rows = {p.region.code: p for p in cls.objects.filter(region__code__in=codes).select_related("region")}
        result = {}
        for r in regions:
            chain = [rows[c] for c in (r.code, *r.ancestor_codes) if c in rows]
            result[r.pk] = policy_defaults.resolve(chain)
        return result

    @classmethod
    def effective_expression(cls, name, code=None):
        """SQL for the effective value of setting ``name`` for the village whose code is ``code``
        (by default the outer query's ``code``: annotate a Village queryset with it)."""
        code = OuterRef("code") if code is None else code
        candidates = []
        for level in ("township", "county", "city", "province"):
            n = PREFIX_LENGTH[level]
            region_code = Concat(Left(code, n), Value("0" * (12 - n)), output_field=models.CharField())
            rows = cls.objects.filter(region__code=region_code, **{f"{name}__isnull": False})
            candidates.append(Subquery(rows.values(name)[:1]))
        field = cls._meta.get_field(name)
        return Coalesce(*candidates, Value(policy_defaults.DEFAULTS[name]), output_field=field)


def _ratio_text(value):
    return f"{(value * 100).normalize():f} %"


@deconstructible(path="assignments.models.DateRange")
class DateRange(Func):
    function = "daterange"
    output_field = DateRangeField()


def term_range():
    """The days an assignment occupies: start to actual end, or planned end while serving."""
    return DateRange(F("start_date"), Coalesce(F("end_date"), F("planned_end_date")), Value("[]"))


class AssignmentQuerySet(models.QuerySet):
    def in_region(self, region):
        return self.filter(village__code__startswith=region.prefix)

    def for_unit(self, unit):
        return self.filter(cadre__unit=unit)

    def for_cadre(self, cadre_id):
        return self.filter(cadre_id=cadre_id)

    def serving_on(self, day):
        return self.filter(start_date__lte=day).filter(
            Q(end_date__gte=day) | Q(end_date__isnull=True, planned_end_date__gte=day)
        )

    def open(self):
        """Not yet ended in the records (may be past the planned end)."""
        return self.filter(end_date__isnull=True)


# Named so as not to clash with AssignmentEvent, the named transitions (dispatch, recall …).
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="AssignmentHistory",
    obj_field=pghistory.ObjForeignKey(related_name="history"),
)
class Assignment(models.Model):
    class Role(models.TextChoices):
        FIRST_SECRETARY = "first_secretary", _("First secretary")
        TEAM_MEMBER = "team_member", _("Work-team member")

    class EndReason(models.TextChoices):
        TERM_COMPLETED = "term_completed", _("Term completed")
        RECALLED = "recalled", _("Recalled")
        ADJUSTED = "adjusted", _("Adjusted")
        OTHER = "other", _("Other")

    cadre = models.ForeignKey(
        "cadres.Cadre", verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="assignments"
    )
    village = models.ForeignKey(
        "villages.Village", verbose_name=_("village"), on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    # 工作队长: usually the first secretary; one leader per village at a time (constraint below).
    team_leader = models.BooleanField(_("work-team leader (工作队长)"), default=False)
    batch = models.CharField(_("batch"), max_length=40, blank=True, help_text=_("e.g. 2024年第一批"))
    dispatch_level = models.CharField(
        _("dispatched by"),
        max_length=10,
        choices=Level.choices,
        help_text=_("The level that selected the cadre."),
    )
    start_date = models.DateField(_("start date"))
    planned_end_date = models.DateField(_("planned end date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_reason = models.CharField(_("end reason"), max_length=16, choices=EndReason.choices, blank=True)
    end_note = models.TextField(_("end note"), blank=True)
    mentor_name = models.CharField(
        _("mentor"),
        max_length=40,
        blank=True,
        help_text=_("The township leader who mentors the cadre (导师)."),
    )
    mentor_post = models.CharField(_("mentor's post"), max_length=60, blank=True)
    liaison_name = models.CharField(_("unit liaison"), max_length=40, blank=True)
    liaison_phone = models.CharField(_("liaison's phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["-start_date", "id"]
        indexes = [
            models.Index(fields=["village", "start_date"], name="assignment_village_start"),
            models.Index(fields=["cadre", "start_date"], name="assignment_cadre_start"),
        ]
        constraints = [
            models.CheckConstraint(
                name="assignment_planned_end_after_start",
                condition=Q(planned_end_date__gt=F("start_date")),
                violation_error_message=_("The planned end date must be after the start date."),
            ),
            models.CheckConstraint(
                name="assignment_end_not_before_start",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.CheckConstraint(
                name="assignment_end_has_reason",
                condition=Q(end_date__isnull=True, end_reason="")
                | (Q(end_date__isnull=False) & ~Q(end_reason="")),
                violation_error_message=_("An ended assignment needs its end reason, and only an ended one."),
            ),
            models.UniqueConstraint(
                fields=["cadre", "village", "start_date"],
                name="assignment_natural_key",
                violation_error_message=_(
                    "This cadre already has an assignment to this village starting that day."
                ),
            ),
            ExclusionConstraint(
                name="assignment_no_cadre_overlap",
                expressions=[(term_range(), RangeOperators.OVERLAPS), ("cadre", RangeOperators.EQUAL)],
                violation_error_message=_("This cadre already has an assignment in these dates."),
            ),
            ExclusionConstraint(
                name="assignment_no_secretary_overlap",
                expressions=[(term_range(), RangeOperators.OVERLAPS), ("village", RangeOperators.EQUAL)],
                condition=Q(role="first_secretary"),
                violation_error_message=_("This village already has a first secretary in these dates."),
            ),
            ExclusionConstraint(
                name="assignment_no_team_leader_overlap",
                expressions=[(term_range(), RangeOperators.OVERLAPS), ("village", RangeOperators.EQUAL)],
                condition=Q(team_leader=True),
                violation_error_message=_("This village already has a work-team leader in these dates."),
            ),
        ]

    def __str__(self):
        return f"{self.cadre} · {self.village} · {self.get_role_display()}"

    def get_absolute_url(self):
        return reverse("assignments:detail", args=[self.pk])

    @property
    def jurisdiction_code(self):
        return self.village.code

    @property
    def last_day(self):
        return self.end_date or self.planned_end_date

    def is_serving_on(self, day):
        return self.start_date <= day <= self.last_day

    def proposed_extension(self):
        """One more whole year: the day before the next anniversary of the start after the current
        planned end (2025-03-01 … 2027-02-28 → 2028-02-29)."""
        years = years_between(self.start_date, self.planned_end_date + datetime.timedelta(days=1))
        return term_end(self.start_date, years + 1)

    @property
    def is_open(self):
        return self.end_date is None

    @property
    def is_overdue(self):
        """Past its planned end but not yet ended in the records."""
        return self.end_date is None and self.planned_end_date < timezone.localdate()

    def effective_policy(self):
        return Policy.effective_for(self.village.township)

    # --- validation -------------------------------------------------------------------------
    def clean(self):
        from .. import rules

        errors = rules.assignment_errors(self)
        if errors:
            raise ValidationError(errors)

    def warnings(self):
        from .. import rules

        return rules.assignment_warnings(self)

    # --- state changes ----------------------------------------------------------------------
    @classmethod
    def dispatch(cls, *, cadre, village, role, start_date, user, planned_end_date=None, **fields):
        """Send a cadre to a village (派驻): the planned end follows the policy's term."""
        assignment = cls(
            cadre=cadre, village=village, role=role, start_date=start_date, created_by=user, **fields
        )
        if planned_end_date is None and start_date:
            planned_end_date = term_end(start_date, Policy.effective_for(village.township).term_years)
        assignment.planned_end_date = planned_end_date
        with transaction.atomic():
            # The team maximum counts the village's other terms: lock the village so two dispatches
            # to it cannot both pass the count (the exclusion constraints cover the rest).
            _lock_village(village)
            assignment.full_clean()
            _save_or_explain(assignment)
            assignment.events.create(
                kind=AssignmentEvent.Kind.DISPATCHED,
                date=start_date,
                new_planned_end=planned_end_date,
                by=user,
            )
        return assignment

    def end(self, date, reason, user=None, note=""):
        """Close the assignment on ``date`` (its last day in the village) for ``reason``.

        Locks the row and checks it as it is now: a page loaded before another's end or extension
        neither ends it twice nor ends it against a planned end that has moved."""
        with transaction.atomic():
            locked = (
                Assignment.objects.select_for_update().only("end_date", "planned_end_date").get(pk=self.pk)
            )
            self.end_date, self.planned_end_date = locked.end_date, locked.planned_end_date
            self._end(date, reason, user, note)

    def _end(self, date, reason, user, note):
        if not self.is_open:
            raise ValidationError(
                _("This assignment already ended on %(date)s.") % {"date": self.end_date.isoformat()}
            )
        if reason not in self.EndReason.values:
            raise ValidationError({"end_reason": _("Choose one of the listed end reasons.")})
        if date is None:
            raise ValidationError({"end_date": _("Enter the last day in the village.")})
        if date < self.start_date:
            raise ValidationError(
                {
                    "end_date": _("The end date %(date)s is before the start date %(start)s.")
                    % {"date": date.isoformat(), "start": self.start_date.isoformat()}
                }
            )
        if date > self.planned_end_date:
            raise ValidationError(
                {
                    "end_date": _(
                        "The end date %(date)s is after the planned end %(planned)s: extend the term first."
                    )
                    % {"date": date.isoformat(), "planned": self.planned_end_date.isoformat()}
                }
            )
        if reason == self.EndReason.RECALLED and not note.strip():
            raise ValidationError({"end_note": _("Say why the cadre is recalled.")})
        self.end_date, self.end_reason, self.end_note = date, reason, note
        from .. import attendance

        with transaction.atomic():
            self.save(update_fields=["end_date", "end_reason", "end_note"])
            # Rows kept before the end was recorded say nothing true after the last day.
            attendance.fit_rows_to_term(self, since=date)
            kind = (
                AssignmentEvent.Kind.RECALLED
                if reason == self.EndReason.RECALLED
                else AssignmentEvent.Kind.ENDED
            )
            self.events.create(kind=kind, date=date, reason=note, by=user, end_reason=reason)

    def recall(self, date, reason, user):
        """召回: the unit recalls the cadre (工作不胜任、群众不满意); the village is left uncovered."""
        self.end(date, self.EndReason.RECALLED, user=user, note=reason)

    def extend(self, new_planned_end, reason, user):
        """Lengthen the term (延期) to ``new_planned_end``."""
        if not self.is_open:
            raise ValidationError(_("An ended assignment cannot be extended."))
        if new_planned_end is None or new_planned_end <= self.planned_end_date:
            raise ValidationError(
                {
                    "planned_end_date": _("The new planned end must be after the current one (%(date)s).")
                    % {"date": self.planned_end_date.isoformat()}
                }
            )
        if not (reason or "").strip():
            raise ValidationError({"reason": _("Say why the term is extended.")})
        from .. import rules

        with transaction.atomic():
            _lock_village(self.village)
            current = type(self).objects.select_for_update().get(pk=self.pk)
            if current.end_date is not None or current.planned_end_date != self.planned_end_date:
                raise ValidationError(
                    _("This assignment was changed meanwhile (ended or extended): reload the page.")
                )
            old = self.planned_end_date
            self.planned_end_date = new_planned_end
            errors = rules.overlap_errors(self)
            # The team maximum over the added days (those already planned were checked before).
            team = rules.team_size_errors(self, first_day=old + datetime.timedelta(days=1))
            if team:
                errors.setdefault("planned_end_date", []).extend(team)
            if errors:
                self.planned_end_date = old
                raise ValidationError(errors)
            _save_or_explain(self, update_fields=["planned_end_date"])
            # Rows kept before the extension hold '-' on the days now inside the term.
            from .. import attendance

            attendance.fit_rows_to_term(self, since=old)
            self.events.create(
                kind=AssignmentEvent.Kind.EXTENDED,
                date=timezone.localdate(),
                reason=reason,
                old_planned_end=old,
                new_planned_end=new_planned_end,
                by=user,
            )


def _lock_village(village):
    """Serialise the changes that count a village's team (dispatch, extend)."""
    type(village).objects.select_for_update().filter(pk=village.pk).values_list("pk", flat=True).get()


def _save_or_explain(assignment, **kwargs):
    """Save; turn a lost race against the exclusion constraints into a readable error."""
    try:
        with transaction.atomic():
            assignment.save(**kwargs)
    except IntegrityError as exc:
        for constraint in Assignment._meta.constraints:
            if constraint.name in str(exc):
                raise ValidationError(constraint.violation_error_message) from exc
        raise


class AssignmentEvent(models.Model):
    """Who dispatched, ended, recalled or extended an assignment, and when."""

    class Kind(models.TextChoices):
        DISPATCHED = "dispatched", _("Dispatched")
        ENDED = "ended", _("Ended")
        RECALLED = "recalled", _("Recalled")
        EXTENDED = "extended", _("Extended")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    date = models.DateField(_("effective date"))
    end_reason = models.CharField(
        _("end reason"), max_length=16, choices=Assignment.EndReason.choices, blank=True
    )
    reason = models.TextField(_("reason"), blank=True)
    old_planned_end = models.DateField(_("previous planned end"), null=True, blank=True)
    new_planned_end = models.DateField(_("new planned end"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("assignment event")
        verbose_name_plural = _("assignment events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date}"
