"""Appraisal (考核): half-year inspections, yearly and term-end rounds, and village results (工作实绩)."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assignments.models import Assignment
from assignments.models.leave import ViaAssignmentQuerySet
from villages.models import Region


def year_bounds(year):
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    COMPETENT = "competent", _("Competent")
    BASIC = "basic", _("Basically competent")
    INCOMPETENT = "incompetent", _("Incompetent")
    UNGRADED = "ungraded", _("Not graded")


# Best first; a cap allows its own grade and everything after it.
GRADE_ORDER = [Grade.EXCELLENT, Grade.COMPETENT, Grade.BASIC, Grade.INCOMPETENT]


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Inspection(models.Model):
    """The half-year special inspection of a first secretary on four points (seed 001)."""

    class Rating(models.TextChoices):
        GOOD = "good", _("Good")
        FAIR = "fair", _("Fair")
        POOR = "poor", _("Poor")

    POINTS = [
        ("work_style", _("Is the work style solid? (工作作风实不实)")),
        ("people_first", _("Is the sense of serving the people good? (为民意识好不好)")),
        ("discipline", _("Is the sense of discipline strong? (纪律观念强不强)")),
        ("results", _("Are the work results excellent? (工作实绩优不优)")),
    ]

    assignment = models.ForeignKey(
        Assignment, verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="inspections"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    half = models.PositiveSmallIntegerField(
        _("half year"), choices=[(1, _("First half")), (2, _("Second half"))]
    )
    work_style = models.CharField(_("work style"), max_length=4, choices=Rating.choices)
    work_style_comment = models.CharField(_("comment"), max_length=200, blank=True)
    people_first = models.CharField(_("serving the people"), max_length=4, choices=Rating.choices)
    people_first_comment = models.CharField(_("comment"), max_length=200, blank=True)
    discipline = models.CharField(_("discipline"), max_length=4, choices=Rating.choices)
    discipline_comment = models.CharField(_("comment"), max_length=200, blank=True)
    results = models.CharField(_("work results"), max_length=4, choices=Rating.choices)
    results_comment = models.CharField(_("comment"), max_length=200, blank=True)
    summary = models.TextField(_("overall comment"), blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspected by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ViaAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("half-year inspection")
        verbose_name_plural = _("half-year inspections")
        ordering = ["-year", "-half"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "year", "half"],
                name="inspection_one_per_half_year",
                violation_error_message=_("This cadre already has an inspection for that half year."),
            )
        ]

    def __str__(self):
        return f"{self.assignment.cadre.name} {self.year}-H{self.half}"

    @property
    def jurisdiction_code(self):
        return self.assignment.village.code

    def ratings(self):
        return [
            (label, getattr(self, f"get_{name}_display")(), getattr(self, f"{name}_comment"))
            for name, label in self.POINTS
        ]

    @property
    def poor_points(self):
        return sum(1 for name, _label in self.POINTS if getattr(self, name) == self.Rating.POOR)


class RoundQuerySet(models.QuerySet):
    def in_region(self, region):
        return self.filter(
            Q(county__code__startswith=region.prefix) | Q(county__code__in=region.ancestor_codes)
        )

    def for_unit(self, unit):
        return self.filter(appraisals__cadre__unit=unit).distinct()


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class AppraisalRound(models.Model):
    class Kind(models.TextChoices):
        ANNUAL = "annual", _("Annual appraisal")
        TERM_END = "term_end", _("Term-end appraisal")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINALIZED = "finalized", _("Finalized")

    county = models.ForeignKey(
        Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="appraisal_rounds"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    finalized_at = models.DateTimeField(_("finalized at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)
    score_settings = models.JSONField(
        _("scoring settings when finalized"),
        default=dict,
        blank=True,
        help_text=_("The score weights and bands the round was finalized with; its scores keep them."),
    )
    opinions_due = models.DateField(
        _("opinions due by"),
        null=True,
        blank=True,
        help_text=_(
            "The last day the township party committees and the dispatching units may give their "
            "opinions; empty = until the round is finalized."
        ),
    )
    shortfall = models.PositiveSmallIntegerField(
        _("excellent quota shortfall"),
        default=0,
        help_text=_("How many fewer were rated excellent than the quota needs, because of the grade caps."),
    )
    shortfall_reasons = models.JSONField(
        _("why the quota was not reached"),
        default=list,
        blank=True,
        help_text=_("Who was capped and why, recorded when the round was finalized."),
    )

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("appraisal round")
        verbose_name_plural = _("appraisal rounds")
        ordering = ["-year", "county__code", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "kind"],
                name="appraisal_round_unique",
                violation_error_message=_("This county already has a round of this kind for that year."),
            ),
            models.CheckConstraint(
                name="appraisal_round_shortfall_only_when_finalized",
                condition=Q(shortfall=0) | Q(state="finalized"),
                violation_error_message=_("Only a finalized round records a shortfall."),
            ),
        ]

    def __str__(self):
        return f"{self.county.name} {self.year} {self.get_kind_display()}"

    def get_absolute_url(self):
        return reverse("appraisal:round", args=[self.pk])

    @property
    def jurisdiction_code(self):
        return self.county.code

    @property
    def is_draft(self):
        return self.state == self.State.DRAFT

    @classmethod
    def start(cls, county, year, kind, user):
        """Create the round and one appraisal per cadre it covers (see rules.population)."""
        from . import rules

        if county.level != Region.Level.COUNTY:
            raise ValidationError({"county": _("An appraisal round belongs to a county.")})
        exists = ValidationError(
            _("%(county)s already has a %(kind)s round for %(year)d.")
            % {"county": county.name, "kind": cls.Kind(kind).label, "year": year}
        )
        if cls.objects.filter(county=county, year=year, kind=kind).exists():
            raise exists
        try:
            with transaction.atomic():
                round_ = cls.objects.create(county=county, year=year, kind=kind, created_by=user)
                Appraisal.objects.bulk_create(rules.population(round_))
        except IntegrityError:
            raise exists from None  # created by someone else between the check and the insert
        return round_

    def set_opinions_due(self, due, user):
        """The county sets (or clears, with None) the last day for the opinions; only while a draft.
        pghistory records who and when."""
        with transaction.atomic():
            locked = type(self).objects.select_for_update().get(pk=self.pk)
            if not locked.is_draft:
                raise ValidationError(
                    {"opinions_due": _("This round is finalized; its opinion deadline can no longer change.")}
                )
            if due is not None and due.year < self.year:
                raise ValidationError(
                    {
                        "opinions_due": _(
                            "The opinion deadline %(date)s lies before the round's year %(year)d."
                        )
                        % {"date": due.isoformat(), "year": self.year}
                    }
                )
            self.opinions_due = locked.opinions_due = due
            self.save(update_fields=["opinions_due"])

    def opinions_closed(self, today=None):
        """Why no opinion may be given or changed now, or None."""
        if not self.is_draft:
            return _("This round is finalized; opinions can no longer be given or changed.")
        today = today or timezone.localdate()
        if self.opinions_due is not None and today > self.opinions_due:
            return _(
                "The opinions were due by %(date)s; the deadline has passed. Ask the county to extend it."
            ) % {"date": self.opinions_due.isoformat()}
        return None

    def finalize(self, user):
        """Close the round: refused, listing every problem, unless grades, caps and quota all hold.

        When the grade caps leave fewer cadres who may be excellent than the quota needs, the round
        still closes once every one of them is rated excellent: the shortfall and who was capped, and
        why, are recorded on the round (rules.shortfall_record)."""
        from assignments.models import Policy

        from . import rules, scoring

        with transaction.atomic():
            locked = type(self).objects.select_for_update().get(pk=self.pk)
            if not locked.is_draft:
                raise ValidationError(_("This round is already finalized."))
            problems, shortfall, reasons = rules.finalize_check(locked)
            if problems:
                raise ValidationError(problems)
            self.state, self.finalized_by, self.finalized_at = self.State.FINALIZED, user, timezone.now()
            self.shortfall, self.shortfall_reasons = shortfall, reasons
            # The scores shown later are those the grades were set by, whatever the weights become.
            self.score_settings = scoring.frozen_settings(Policy.effective_for(self.county))
            self.save(
                update_fields=[
                    "state",
                    "finalized_by",
                    "finalized_at",
                    "shortfall",
                    "shortfall_reasons",
                    "score_settings",
                ]
            )

    def reopen(self, user, reason):
        if self.is_draft:
            raise ValidationError(_("Only a finalized round can be reopened."))
        if not (reason or "").strip():
            raise ValidationError({"reason": _("Say why the round is reopened.")})
        if "\x00" in reason:
            raise ValidationError(
                {
                    "reason": _(
                        "The reason contains a NUL character (U+0000), which cannot be stored; type it again."
                    )
                }
            )
        with transaction.atomic():
            locked = type(self).objects.select_for_update().get(pk=self.pk)
            if locked.is_draft:
                raise ValidationError(_("Only a finalized round can be reopened."))
            self.state, self.reopened_by, self.reopened_at = self.State.DRAFT, user, timezone.now()
            self.reopen_reason = reason.strip()
            # The shortfall is recorded again, if it still holds, when the round is next finalized.
            self.shortfall, self.shortfall_reasons = 0, []
            self.score_settings = {}  # a draft scores with the settings in force
            self.save(
                update_fields=[
                    "state",
                    "reopened_by",
                    "reopened_at",
                    "reopen_reason",
                    "shortfall",
                    "shortfall_reasons",
                    "score_settings",
                ]
            )


class AppraisalQuerySet(models.QuerySet):
    """Jurisdiction of an appraisal of a person: the round's county, and for a township the cadre
    having served in one of its villages in the round's year; for a unit, its own cadres."""

    def in_region(self, region):
        qs = self.filter(
            Q(round__county__code__startswith=region.prefix)
            | Q(round__county__code__in=region.ancestor_codes)
        )
        if region.level == Region.Level.TOWNSHIP:
            served = Assignment.objects.annotate(last=Coalesce("end_date", "planned_end_date")).filter(
                cadre=OuterRef("cadre"),
                village__code__startswith=region.prefix,
                start_date__year__lte=OuterRef("round__year"),
                last__year__gte=OuterRef("round__year"),
            )
            qs = qs.filter(Exists(served))
        return qs

    def for_unit(self, unit):
        return self.filter(cadre__unit=unit)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Appraisal(models.Model):
    round = models.ForeignKey(
        AppraisalRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="appraisals"
    )
    # A person is appraised once per round; the assignments the round covers follow from the cadre,
    # the round's county and its year (rules.round_assignments).
    cadre = models.ForeignKey(
        "cadres.Cadre", verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="appraisals"
    )
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices, blank=True)
    ungraded_reason = models.CharField(_("why not graded"), max_length=200, blank=True)
    # Where the county scores by weights (appraisal/scoring.py) and sets a grade other than the
    # score's band (within the caps), it says why.
    grade_reason = models.CharField(_("why the grade departs from the score"), max_length=300, blank=True)
    comments = models.TextField(_("comments"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AppraisalQuerySet.as_manager()

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["round", "-score", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "cadre"],
                name="appraisal_one_per_cadre_per_round",
                violation_error_message=_("This cadre is already in this round."),
            ),
            models.CheckConstraint(
                name="appraisal_reason_only_when_ungraded",
                condition=Q(grade="ungraded") | Q(ungraded_reason=""),
                violation_error_message=_(
                    "Only a cadre left ungraded (不确定等次) has a reason for not being graded."
                ),
            ),
            models.CheckConstraint(
                name="appraisal_score_range",
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                violation_error_message=_("A score lies between 0 and 100."),
            ),
            models.CheckConstraint(
                name="appraisal_grade_known",
                condition=Q(grade__in=["", *Grade.values]),
                violation_error_message=_("Unknown grade."),
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.cadre.name}"

    @property
    def jurisdiction_code(self):
        return self.round.county.code

    @property
    def owner_unit_id(self):
        """The dispatching unit whose liaison answers for this person (accounts.access.owns)."""
        return self.cadre.unit_id

    def _lock_round(self):
        return AppraisalRound.objects.select_for_update().get(pk=self.round_id)

    def give_opinion(self, source, grade, text, user, today=None):
        """Give or change the opinion of ``source`` (township or unit) with a suggested grade:
        refused once the round is finalized or after its opinion deadline. Returns the Opinion."""
        text = (text or "").strip()
        errors = {}
        if source not in Opinion.Source.values:
            errors["source"] = _("Unknown body.")
        if grade not in [g.value for g in GRADE_ORDER]:
            errors["suggested_grade"] = _("Suggested grade: choose one of the four grades.")
        if not text:
            errors["text"] = _("Opinion: write the opinion (it goes into the appraisal file).")
        elif "\x00" in text:
            errors["text"] = _("Opinion: it contains a NUL character (U+0000), which cannot be stored.")
        if errors:
            raise ValidationError(errors)
        with transaction.atomic():
            round_ = self._lock_round()
            closed = round_.opinions_closed(today)
            if closed:
                raise ValidationError(closed)
            opinion = Opinion.objects.select_for_update().filter(appraisal=self, source=source).first()
            if opinion is None:
                opinion = Opinion(appraisal=self, source=source)
            elif opinion.suggested_grade == grade and opinion.text == text:
                return opinion  # unchanged: who gave it, and when, stay
            opinion.suggested_grade, opinion.text = grade, text
            opinion.given_by, opinion.given_at = user, timezone.now()
            opinion.save()
            return opinion

    def record_assessment(self, held_on, participants, good, fairly_good, average, poor, user, today=None):
        """Enter or correct the 民主测评 (the township or the county): refused once the round is
        finalized, or when the counts do not add up. Returns the DemocraticAssessment."""
        today = today or timezone.localdate()
        counts = {"good": good, "fairly_good": fairly_good, "average": average, "poor": poor}
        errors = {}
        if held_on is None:
            errors["held_on"] = _("Held on: give the date of the democratic assessment.")
        elif held_on > today:
            errors["held_on"] = _("Held on: %(date)s is in the future.") % {"date": held_on.isoformat()}
        if participants is None or participants < 1:
            errors["participants"] = _("Participants: at least one.")
        for name, value in counts.items():
            if value is None or value < 0:
                errors[name] = _("%(field)s: a count of 0 or more.") % {
                    "field": DemocraticAssessment._meta.get_field(name).verbose_name
                }
        if not errors and sum(counts.values()) > participants:
            errors["participants"] = _(
                "Participants: %(votes)d votes (好, 较好, 一般 and 差 together) but only %(n)d participants; "
                "check the counts."
            ) % {"votes": sum(counts.values()), "n": participants}
        if errors:
            raise ValidationError(errors)
        with transaction.atomic():
            round_ = self._lock_round()
            if not round_.is_draft:
                raise ValidationError(
                    _(
                        "This round is finalized; the democratic assessment can no longer be entered or changed."
                    )
                )
            found = DemocraticAssessment.objects.select_for_update().filter(appraisal=self).first()
            if found is None:
                found = DemocraticAssessment(appraisal=self)
            elif (found.held_on, found.participants, *[getattr(found, k) for k in counts]) == (
                held_on,
                participants,
                *counts.values(),
            ):
                return found
            found.held_on, found.participants = held_on, participants
            for name, value in counts.items():
                setattr(found, name, value)
            found.entered_by, found.entered_at = user, timezone.now()
            found.save()
            return found


class VillageResultQuerySet(models.QuerySet):
    def in_region(self, region):
        return self.filter(village__code__startswith=region.prefix)

    def for_unit(self, unit):
        return self.filter(village__assignments__cadre__unit=unit).distinct()


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class VillageResult(models.Model):
    """A village's year in figures (工作实绩), against the targets POLICY.md lists."""

    village = models.ForeignKey(
        "villages.Village", verbose_name=_("village"), on_delete=models.PROTECT, related_name="results"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    collective_income = models.DecimalField(
        _("village collective income (yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    party_members_developed = models.PositiveSmallIntegerField(_("party members developed"), default=0)
    reserve_cadres = models.PositiveSmallIntegerField(_("reserve cadres trained"), default=0)
    livelihood_projects = models.PositiveSmallIntegerField(_("livelihood projects completed"), default=0)
    households_visited_pct = models.PositiveSmallIntegerField(
        _("households visited each quarter (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    weak_org_fixed = models.BooleanField(_("weak party organisation turned round"), default=False)
    note = models.TextField(_("note"), blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = VillageResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("village result")
        verbose_name_plural = _("village results")
        ordering = ["-year", "village__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "year"],
                name="village_result_one_per_year",
                violation_error_message=_("This village already has figures for that year."),
            ),
            models.CheckConstraint(
                name="village_result_pct_range",
                condition=Q(households_visited_pct__lte=100),
                violation_error_message=_("A share of households lies between 0 and 100 %."),
            ),
        ]

    def __str__(self):
        return f"{self.village.name} {self.year}"

    @property
    def jurisdiction_code(self):
        return self.village.code


class ViaAppraisalQuerySet(models.QuerySet):
    """Jurisdiction of what hangs on one appraisal of a person: that of the appraisal."""

    def in_region(self, region):
        return self.filter(appraisal__in=Appraisal.objects.in_region(region))

    def for_unit(self, unit):
        return self.filter(appraisal__cadre__unit=unit)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Opinion(models.Model):
    """An opinion on a person in a round, with a suggested grade: the township party committee's
    (乡镇党委意见) or the dispatching unit's (派出单位意见, written by its liaison)."""

    class Source(models.TextChoices):
        TOWNSHIP = "township", _("Township party committee")
        UNIT = "unit", _("Dispatching unit")

    appraisal = models.ForeignKey(
        Appraisal, verbose_name=_("appraisal"), on_delete=models.CASCADE, related_name="opinions"
    )
    source = models.CharField(_("given by (body)"), max_length=10, choices=Source.choices)
    suggested_grade = models.CharField(_("suggested grade"), max_length=12, choices=Grade.choices)
    text = models.TextField(_("opinion"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("given by"), on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(_("given at"), default=timezone.now)

    objects = ViaAppraisalQuerySet.as_manager()

    class Meta:
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        ordering = ["appraisal", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["appraisal", "source"],
                name="opinion_one_per_source",
                violation_error_message=_(
                    "This body has already given its opinion on this cadre; change it instead."
                ),
            ),
            models.CheckConstraint(
                name="opinion_source_known",
                condition=Q(source__in=["township", "unit"]),
                violation_error_message=_("Unknown body."),
            ),
            models.CheckConstraint(
                name="opinion_suggests_a_grade",
                condition=Q(suggested_grade__in=[g.value for g in GRADE_ORDER]),
                violation_error_message=_("Suggest one of the four grades."),
            ),
        ]

    def __str__(self):
        return f"{self.appraisal} · {self.get_source_display()}"

    @property
    def jurisdiction_code(self):
        return self.appraisal.round.county.code


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class DemocraticAssessment(models.Model):
    """民主测评: the village's vote on a person in a round, entered by the township. Every participant
    casts one ballot of 好 / 较好 / 一般 / 差; ballots not returned or left blank count against: the
    satisfaction rate is (好 + 较好) ÷ participants."""

    appraisal = models.OneToOneField(
        Appraisal, verbose_name=_("appraisal"), on_delete=models.CASCADE, related_name="assessment"
    )
    held_on = models.DateField(_("held on"))
    participants = models.PositiveSmallIntegerField(_("participants"), validators=[MinValueValidator(1)])
    good = models.PositiveSmallIntegerField(_("good (好)"), default=0)
    fairly_good = models.PositiveSmallIntegerField(_("fairly good (较好)"), default=0)
    average = models.PositiveSmallIntegerField(_("average (一般)"), default=0)
    poor = models.PositiveSmallIntegerField(_("poor (差)"), default=0)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"), default=timezone.now)

    objects = ViaAppraisalQuerySet.as_manager()

    class Meta:
        verbose_name = _("democratic assessment")
        verbose_name_plural = _("democratic assessments")
        constraints = [
            models.CheckConstraint(
                name="assessment_has_participants",
                condition=Q(participants__gte=1),
                violation_error_message=_("A democratic assessment has at least one participant."),
            ),
            models.CheckConstraint(
                name="assessment_votes_within_participants",
                condition=Q(
                    LessThanOrEqual(
                        F("good") + F("fairly_good") + F("average") + F("poor"), F("participants")
                    )
                ),
                violation_error_message=_(
                    "There are more votes (好, 较好, 一般 and 差 together) than participants; check the counts."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.appraisal} · {self.satisfaction_percent} %"

    @property
    def jurisdiction_code(self):
        return self.appraisal.round.county.code

    @property
    def satisfaction_rate(self):
        """(好 + 较好) ÷ participants, as a Decimal fraction."""
        return (
            (Decimal(self.good + self.fairly_good) / Decimal(self.participants))
            if self.participants
            else None
        )

    @property
    def satisfaction_percent(self):
        rate = self.satisfaction_rate
        return None if rate is None else (rate * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
