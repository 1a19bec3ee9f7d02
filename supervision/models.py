"""Monthly spot-check plans (督查计划) and their tasks. A plan proposes every cadre whose risk score
reaches the threshold plus a random sample of the others; the seed and the scores it drew from are
stored with it, so the draw can be recomputed and audited (supervision/plans.py)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assignments.models import SpotCheck
from villages.models import Region

Method = SpotCheck.Method


class PlanQuerySet(models.QuerySet):
    def in_region(self, region):
        plans = self.filter(region__code__startswith=region.prefix)
        # 暗访: unannounced plans are the county's own, seen by nobody else (nor above it).
        if region.level != Region.Level.COUNTY:
            plans = plans.filter(unannounced=False)
        return plans

    def for_unit(self, unit):
        return self.none()


class SpotCheckPlan(models.Model):
    region = models.ForeignKey(
        Region, verbose_name=_("county or township"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month checked."))
    evidence_month = models.DateField(_("records looked at"))
    size = models.PositiveSmallIntegerField(_("number of checks"))
    methods = ArrayField(models.CharField(max_length=12, choices=Method.choices), verbose_name=_("methods"))
    unannounced = models.BooleanField(_("unannounced inspection (暗访)"), default=False)
    threshold = models.PositiveSmallIntegerField(_("risk threshold"))
    sample_percent = models.PositiveSmallIntegerField(_("random share of the others (%)"))
    # The draw's seed and its inputs: {assignment id: [score, [[signal, params], …]]} and the weights.
    seed = models.BigIntegerField(_("seed of the random draw"))
    inputs = models.JSONField(_("risk scores drawn from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("made at"), default=timezone.now)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("spot-check plan")
        verbose_name_plural = _("spot-check plans")
        ordering = ["-month", "-pk"]
        indexes = [models.Index(fields=["region", "month"], name="plan_region_month")]

    def __str__(self):
        return f"{self.region.name} {self.month:%Y-%m}"

    def get_absolute_url(self):
        return reverse("supervision:plan", args=[self.pk])

    @property
    def jurisdiction_code(self):
        return self.region.code

    def method_names(self):
        return [Method(m).label for m in self.methods]


class TaskQuerySet(models.QuerySet):
    def in_region(self, region):
        tasks = self.filter(plan__region__code__startswith=region.prefix)
        if region.level != Region.Level.COUNTY:
            tasks = tasks.filter(plan__unannounced=False)
        return tasks

    def for_unit(self, unit):
        return self.none()


class SpotCheckTask(models.Model):
    class Part(models.TextChoices):
        RISK = "risk", _("risk signals")
        RANDOM = "random", _("random sample")

    plan = models.ForeignKey(
        SpotCheckPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="tasks"
    )
    assignment = models.ForeignKey(
        "assignments.Assignment", verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="+"
    )
    part = models.CharField(_("chosen by"), max_length=6, choices=Part.choices)
    score = models.PositiveSmallIntegerField(_("risk score"))
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    date = models.DateField(_("date"))
    # A phone check's moment to call: unannounced, a random time on a working day.
    call_at = models.TimeField(_("time to call"), null=True, blank=True)
    spot_check = models.OneToOneField(
        SpotCheck,
        verbose_name=_("spot check recorded"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="task",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("spot-check task")
        verbose_name_plural = _("spot-check tasks")
        ordering = ["date", "call_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "assignment"], name="task_once_per_plan"),
        ]

    def __str__(self):
        return f"{self.plan} {self.assignment_id}"

    def get_absolute_url(self):
        return reverse("supervision:task", args=[self.pk])

    @property
    def jurisdiction_code(self):
        return self.assignment.village.code

    @property
    def done(self):
        return self.spot_check_id is not None
