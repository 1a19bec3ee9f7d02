"""What the cadre records (驻村干部本人): trips reported before leaving the village (外出报备), the work
diary (民情日记 / 工作纪实), the monthly report (月汇报) and, only where a county turns it on, a
check-in (签到). Each belongs to an assignment, so the township and county that keep the cadre's
attendance see it, and the cadre sees only its own (``for_cadre``, accounts.access.scope).

Record once: a confirmed trip goes into the open sheet as official business (差), diary entries are
counted on the grid and prefill the monthly report; nobody types them again.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assignments.models import DateRange
from assignments.models.decision import PendingDecision, refusal_reason


class OwnQuerySet(models.QuerySet):
    """Jurisdiction of a record of the cadre's: its assignment's village, its cadre's unit, its cadre."""

    def in_region(self, region):
        return self.filter(assignment__village__code__startswith=region.prefix)

    def for_unit(self, unit):
        return self.filter(assignment__cadre__unit=unit)

    def for_cadre(self, cadre_id):
        return self.filter(assignment__cadre_id=cadre_id)


class OwnRecord(models.Model):
    """What every record of the cadre's has: the assignment, who wrote it and when."""

    assignment = models.ForeignKey(
        "assignments.Assignment", verbose_name=_("assignment"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = OwnQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def jurisdiction_code(self):
        return self.assignment.village.code

    @property
    def owner_cadre_id(self):
        return self.assignment.cadre_id


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Trip(PendingDecision, OwnRecord):
    already_decided = _("This trip report is already %(state)s.")

    """外出报备: days away from the village on official business, reported by the cadre before leaving.
    Once the township confirms, the days go into the open sheet as official business (差)."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        PROJECT = "project", _("Project business")
        TRAINING = "training", _("Training")
        OTHER = "other", _("Other official business")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the township")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Not confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    start_date = models.DateField(_("first day away"))
    end_date = models.DateField(_("last day away"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    destination = models.CharField(_("where"), max_length=60)
    reason = models.TextField(_("reason"), max_length=500)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    # Reported after its first day had begun: kept, and shown as late (报备在先).
    late = models.BooleanField(_("reported late"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("trip report")
        verbose_name_plural = _("trip reports")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="trip_end_not_before_start",
                condition=Q(end_date__gte=F("start_date")),
                violation_error_message=_("The last day away cannot be before the first."),
            ),
            ExclusionConstraint(
                name="trip_no_overlap",
                expressions=[
                    (DateRange(F("start_date"), F("end_date"), Value("[]")), RangeOperators.OVERLAPS),
                    ("assignment", RangeOperators.EQUAL),
                ],
                condition=Q(state__in=["pending", "confirmed"]),
                violation_error_message=_("You have already reported a trip on these days."),
            ),
        ]

    def __str__(self):
        return f"{self.start_date}–{self.end_date} {self.destination}"

    def get_absolute_url(self):
        return reverse("fieldwork:trip", args=[self.pk])

    @property
    def days(self):
        return (self.end_date - self.start_date).days + 1

    def clean(self):
        a = self.assignment if self.assignment_id else None
        if a is None or not (self.start_date and self.end_date):
            return
        if self.end_date < self.start_date:
            raise ValidationError(
                {
                    "end_date": gettext("The last day away (%(end)s) is before the first (%(start)s).")
                    % {"end": self.end_date.isoformat(), "start": self.start_date.isoformat()}
                }
            )
        if self.start_date < a.start_date or self.end_date > a.last_day:
            raise ValidationError(
                {
                    "start_date": gettext(
                        "The trip must fall within your assignment (%(start)s – %(end)s); check the dates."
                    )
                    % {"start": a.start_date.isoformat(), "end": a.last_day.isoformat()}
                }
            )

    @classmethod
    def report(cls, assignment, start_date, end_date, kind, destination, reason, user, today=None):
        """外出报备: record the cadre's trip, pending the township's confirmation. A report made once
        its first day has begun (local date) is kept but marked late (补报)."""
        today = today or timezone.localdate()
        trip = cls(
            assignment=assignment,
            start_date=start_date,
            end_date=end_date,
            kind=kind,
            destination=destination,
            reason=reason,
            created_by=user,
            late=bool(start_date) and today >= start_date,
        )
        # full_clean runs the exclusion constraint too, with its own message (an overlapping trip).
        trip.full_clean()
        try:
            with transaction.atomic():
                trip.save()
        except IntegrityError:
            # Two reports sent at once: the constraint decides, with the same message.
            overlap = next(c for c in cls._meta.constraints if c.name == "trip_no_overlap")
            raise ValidationError(overlap.violation_error_message) from None
        return trip

    def confirm(self, user):
        """Confirm; the days go into the open sheets as official business (B). Returns the closed
        sheets (submitted/approved) that could not take them: each is now marked for correction."""
        from assignments import business

        with transaction.atomic():
            self._decide(self.State.CONFIRMED, user)
            return business.write_business_into_sheets(self.assignment, self.start_date, self.end_date)

    def reject(self, user, reason):
        self._decide(
            self.State.REJECTED, user, refusal_reason(reason, gettext("Say why the trip is not confirmed."))
        )

    def cancel(self, user):
        """The cadre withdraws a report the township has not decided yet."""
        self._decide(self.State.CANCELLED, user)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class DiaryEntry(OwnRecord):
    """民情日记 / 工作纪实: one short entry per day or visit. A photo is never required."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("Household visit (走访入户)")
        MEETING = "meeting", _("Village committee meeting (村两委会议)")
        PROJECT = "project", _("Project")
        SERVICE = "service", _("Practical help for villagers (为民办实事)")
        MEDIATION = "mediation", _("Dispute mediation (矛盾调解)")
        OTHER = "other", _("Other")

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    households = models.PositiveSmallIntegerField(
        _("households visited"), default=0, validators=[MaxValueValidator(500)]
    )
    text = models.TextField(_("what was done"), max_length=2000)
    # Re-encoded on upload (size-capped, metadata such as GPS stripped): fieldwork/photos.py.
    photo = models.CharField(_("photo"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("diary entry")
        verbose_name_plural = _("diary entries")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["assignment", "date"], name="diary_assignment_date")]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"

    def get_absolute_url(self):
        return reverse("fieldwork:diary_entry", args=[self.pk])


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class MonthlyReport(OwnRecord):
    """月汇报: at month end, prefilled from the diary (counts by kind, households, projects), with the
    cadre's own text; submitted to the township."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    month = models.DateField(_("month"))
    counts = models.JSONField(_("diary counts"), default=dict, blank=True)
    households = models.PositiveIntegerField(_("households visited"), default=0)
    text = models.TextField(_("summary"), max_length=3000)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "month"],
                name="monthly_report_once_a_month",
                violation_error_message=_("There is already a report for this month."),
            ),
            models.CheckConstraint(
                name="monthly_report_first_of_month",
                condition=Q(month__day=1),
                violation_error_message=_("A report's month is stored as its first day."),
            ),
            models.CheckConstraint(
                name="monthly_report_submitted_has_time",
                condition=Q(state="draft") | Q(submitted_at__isnull=False),
                violation_error_message=_("A submitted report has its submission time."),
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m}"

    def get_absolute_url(self):
        return reverse("fieldwork:report", args=[self.pk])

    @property
    def submitted(self):
        return self.state == self.State.SUBMITTED

    def submit(self, user):
        """Draft → submitted (to the township), once: the row is locked so two taps cannot both
        pass the check. The counts are frozen as they stand at submission."""
        with transaction.atomic():
            locked = MonthlyReport.objects.select_for_update().get(pk=self.pk)
            if locked.state != self.State.DRAFT:
                raise ValidationError(_("This report was already submitted; it cannot be submitted again."))
            locked.state = self.State.SUBMITTED
            locked.submitted_at = timezone.now()
            locked.save(update_fields=["state", "submitted_at"])
        self.state, self.submitted_at = locked.state, locked.submitted_at

    def mark_read(self, user):
        """The township has read a submitted report (once; the first reader is kept)."""
        with transaction.atomic():
            locked = MonthlyReport.objects.select_for_update().get(pk=self.pk)
            if locked.state != self.State.SUBMITTED:
                raise ValidationError(_("Only a submitted report can be marked as read."))
            if locked.read_at is None:
                locked.read_by, locked.read_at = user, timezone.now()
                locked.save(update_fields=["read_by", "read_at"])
        self.read_by_id, self.read_at = locked.read_by_id, locked.read_at


class CheckIn(OwnRecord):
    """签到, only where the county turns it on: one position sent once by the cadre's tap. The raw
    coordinates (WGS-84) are deleted after the retention period; the distance and the flag stay.
    A flag never refuses a check-in, and a missing check-in is never an absence by itself."""

    class Flag(models.TextChoices):
        NONE = "", _("Near the village")
        FAR = "far", _("Farther than the radius")
        INACCURATE = "inaccurate", _("Poor accuracy")
        NO_POINT = "no_point", _("The village has no point set")

    latitude = models.DecimalField(
        _("latitude (WGS-84)"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude (WGS-84)"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    accuracy_m = models.PositiveIntegerField(_("reported accuracy (m)"))
    distance_m = models.PositiveIntegerField(_("distance to the village point (m)"), null=True, blank=True)
    flag = models.CharField(_("flag"), max_length=10, choices=Flag.choices, blank=True)
    purged_at = models.DateTimeField(_("coordinates deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="checkin_coordinates_together",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                violation_error_message=_("A position has both a latitude and a longitude."),
            ),
        ]
        indexes = [models.Index(fields=["assignment", "created_at"], name="checkin_assignment_at")]

    def __str__(self):
        return f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"
