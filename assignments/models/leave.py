"""Leave (请销假) and spot checks (电话查岗 / 进村抽查 / 突击暗访)."""

import datetime

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .core import DateRange
from .decision import PendingDecision, refusal_reason


class ViaAssignmentQuerySet(models.QuerySet):
    """Jurisdiction of a record that belongs to an assignment: its village, its cadre's unit."""

    def in_region(self, region):
        # A subquery rather than a join: joined to villages, the planner misjudged the discrepancy
        # filters at province scale and chose nested loops (1.13 s → 0.29 s, docs/performance.md).
        from .core import Assignment

        return self.filter(assignment__in=Assignment.objects.in_region(region).values("pk"))

    def for_unit(self, unit):
        return self.filter(assignment__cadre__unit=unit)

    def for_cadre(self, cadre_id):
        return self.filter(assignment__cadre_id=cadre_id)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class LeaveRequest(PendingDecision, models.Model):
    already_decided = _("This leave is already %(state)s.")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    class Level(models.TextChoices):
        TOWNSHIP = "township", _("Township party committee")
        COUNTY = "county", _("County organisation department")

    assignment = models.ForeignKey(
        "assignments.Assignment",
        verbose_name=_("assignment"),
        on_delete=models.PROTECT,
        related_name="leaves",
    )
    start_date = models.DateField(_("first day of leave"))
    end_date = models.DateField(_("last day of leave"))
    reason = models.TextField(_("reason"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    approval_level = models.CharField(_("approved by"), max_length=10, choices=Level.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    returned_on = models.DateField(_("returned on (销假)"), null=True, blank=True)
    # 请假在先: a request made after the leave's first day is a 补假, which the county decides.
    retroactive = models.BooleanField(_("requested after the fact (补假)"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)

    objects = ViaAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="leave_end_not_before_start",
                condition=Q(end_date__gte=F("start_date")),
                violation_error_message=_("The last day of leave cannot be before the first."),
            ),
            models.CheckConstraint(
                name="leave_return_after_start",
                condition=Q(returned_on__isnull=True) | Q(returned_on__gte=F("start_date")),
                violation_error_message=_("The return date cannot be before the leave starts."),
            ),
            models.CheckConstraint(
                name="leave_retroactive_needs_county",
                condition=Q(retroactive=False) | Q(approval_level="county"),
                violation_error_message=_(
                    "Leave requested after the fact (补假) is decided by the county organisation department."
                ),
            ),
            ExclusionConstraint(
                name="leave_no_overlap",
                expressions=[
                    (DateRange(F("start_date"), F("end_date"), Value("[]")), RangeOperators.OVERLAPS),
                    ("assignment", RangeOperators.EQUAL),
                ],
                condition=Q(state__in=["pending", "approved"]),
                violation_error_message=_(
                    "This cadre already has leave requested or approved on these days."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.assignment.cadre.name} {self.start_date}–{self.end_date}"

    def get_absolute_url(self):
        return reverse("leave:detail", args=[self.pk])

    @property
    def jurisdiction_code(self):
        return self.assignment.village.code

    @property
    def owner_cadre_id(self):
        return self.assignment.cadre_id

    @property
    def length(self):
        """Calendar days from the first to the last day (what the cadre asked for)."""
        return (self.end_date - self.start_date).days + 1

    @property
    def last_day_away(self):
        """The last day of leave actually taken: the day before an early return, else end_date."""
        if self.returned_on and self.returned_on <= self.end_date:
            return self.returned_on - datetime.timedelta(days=1)
        return self.end_date

    @property
    def working_days(self):
        """Leave counts in working days of the township's work calendar (one query)."""
        from .. import attendance

        if self.last_day_away < self.start_date:
            return 0
        return attendance.working_days_between(
            self.assignment.village.township, self.start_date, self.last_day_away
        )

    @classmethod
    def level_for(cls, length, policy, retroactive=False):
        """``length`` in working days (of this leave and the leave it touches, leave.combined_working_days):
        ≤ township_leave_max_days the township approves; longer, or a 补假 whatever its length, the
        county (which informs the city)."""
        if retroactive:
            return cls.Level.COUNTY
        return cls.Level.TOWNSHIP if length <= policy.township_leave_max_days else cls.Level.COUNTY

    def clean(self):
        from .. import leave as rules

        errors = rules.request_errors(self)
        if errors:
            raise ValidationError(errors)

    def approve(self, user):
        """Approve; returns the closed sheets (submitted/approved) that could not take the L: each is
        now marked as needing correction, for the county to reopen."""
        from django.db import transaction

        from .. import leave as rules

        with transaction.atomic():
            self._decide(self.State.APPROVED, user)
            return rules.write_leave_into_sheets(self)

    def reject(self, user, reason):
        self._decide(self.State.REJECTED, user, refusal_reason(reason, _("Say why the leave is rejected.")))

    def cancel(self, user):
        self._decide(self.State.CANCELLED, user)

    def report_return(self, day, user, today=None):
        """销假: the cadre is back in the village on ``day``. An early return (before end_date) gives
        the unused days back: open sheets show them as days without leave, closed ones are marked
        for correction, and the leave counts only the days taken. Returns the closed sheets marked."""
        from django.db import transaction

        from .. import leave as rules

        today = today or timezone.localdate()
        with transaction.atomic():
            LeaveRequest.objects.select_for_update().filter(pk=self.pk).first()
            self.refresh_from_db(fields=["state", "returned_on"])
            if self.state != self.State.APPROVED:
                raise ValidationError(_("Only approved leave can be closed by reporting the return."))
            if self.returned_on:
                raise ValidationError(
                    _("The return was already reported on %(date)s.") % {"date": self.returned_on}
                )
            if day is None:
                raise ValidationError({"returned_on": _("Enter the date the cadre was back in the village.")})
            if day < self.start_date:
                raise ValidationError(
                    {
                        "returned_on": _(
                            "The return date (%(day)s) cannot be before the leave starts (%(start)s)."
                        )
                        % {"day": day.isoformat(), "start": self.start_date.isoformat()}
                    }
                )
            if day > today:
                raise ValidationError(
                    {
                        "returned_on": _(
                            "The return date (%(day)s) is in the future; report the return once the cadre is back."
                        )
                        % {"day": day.isoformat()}
                    }
                )
            self.returned_on = day
            self.save(update_fields=["returned_on"])
            if day <= self.end_date:
                return rules.write_leave_into_sheets(self, day, self.end_date)
            return []


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class SpotCheck(models.Model):
    class Method(models.TextChoices):
        PHONE = "phone", _("Phone check (电话查岗)")
        VISIT = "visit", _("Village visit (进村抽查)")
        UNANNOUNCED = "unannounced", _("Unannounced inspection (突击暗访)")

    assignment = models.ForeignKey(
        "assignments.Assignment",
        verbose_name=_("assignment"),
        on_delete=models.PROTECT,
        related_name="spot_checks",
    )
    date = models.DateField(_("date of the check"))
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    found_present = models.BooleanField(_("found in the village"))
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("checked by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # 更正 / 撤销: who changed the finding after it was recorded, when, and why.
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawal_reason = models.TextField(_("reason for the withdrawal"), blank=True)

    objects = ViaAssignmentQuerySet.as_manager()

    CORRECTABLE = ("date", "method", "found_present", "note")

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["assignment", "date"], name="spotcheck_assignment_date")]
        constraints = [
            models.CheckConstraint(
                name="spotcheck_withdrawal_recorded",
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True, withdrawal_reason="")
                | (
                    Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False)
                    & ~Q(withdrawal_reason__regex=r"^\s*$")
                ),
                violation_error_message=_("A withdrawn spot check needs who withdrew it, when and why."),
            ),
            models.CheckConstraint(
                name="spotcheck_correction_recorded",
                condition=Q(corrected_at__isnull=True, corrected_by__isnull=True, correction_reason="")
                | (
                    Q(corrected_at__isnull=False, corrected_by__isnull=False)
                    & ~Q(correction_reason__regex=r"^\s*$")
                ),
                violation_error_message=_("A corrected spot check needs who corrected it, when and why."),
            ),
        ]

    def __str__(self):
        return f"{self.assignment.cadre.name} {self.date} {self.get_method_display()}"

    def get_absolute_url(self):
        return reverse("spotchecks:detail", args=[self.pk])

    @property
    def withdrawn(self):
        return self.withdrawn_at is not None

    @staticmethod
    def _reason(reason, field, message):
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({field: message})
        if "\x00" in reason:
            raise ValidationError(
                {
                    field: _(
                        "The reason contains a NUL character (U+0000), which cannot be stored; type it again."
                    )
                }
            )
        return reason

    def _locked(self, user, action):
        """The row, locked for the change, after the one helper that decides says ``user`` may."""
        from accounts import access

        check = (
            SpotCheck.objects.select_for_update(of=("self",))
            .select_related("assignment__cadre", "assignment__village")
            .get(pk=self.pk)
        )
        access.require(
            user, access.CORRECT_SPOT_CHECK if action == "correct" else access.WITHDRAW_SPOT_CHECK, check
        )
        if check.withdrawn_at:
            raise ValidationError(_("This spot check was withdrawn; it can no longer be changed."))
        return check

    def correct(self, user, reason, **fields):
        """更正: change the date, method, finding or note of a recorded check, saying why. The check
        keeps its place in time (``created_at``): what the sheet said when it was recorded still
        decides whether official business excuses it."""
        from django.db import transaction

        unknown = set(fields) - set(self.CORRECTABLE)
        if unknown:
            raise ValueError(f"not correctable: {sorted(unknown)}")
        reason = self._reason(reason, "correction_reason", _("Say why the spot check is corrected."))
        with transaction.atomic():
            check = self._locked(user, "correct")
            changed = {k: v for k, v in fields.items() if getattr(check, k) != v}
            if not changed:
                raise ValidationError(
                    _("Nothing was changed: change the date, the method, the finding or the note.")
                )
            for name, value in changed.items():
                setattr(check, name, value)
            if "found_present" in changed and check.found_present is None:
                raise ValidationError(
                    {"found_present": _("Choose whether the cadre was found on post (在岗) or not (不在岗).")}
                )
            check.full_clean(exclude=["assignment", "checked_by", "corrected_by", "withdrawn_by"])
            check.corrected_at = timezone.now()
            check.corrected_by = user
            check.correction_reason = reason
            check.save()
        self.refresh_from_db()
        return self

    def withdraw(self, user, reason):
        """撤销: the check is withdrawn and counts nowhere (no absence, no discrepancy, no appraisal
        cap); it stays on the list, struck through, with who withdrew it and why."""
        from django.db import transaction

        reason = self._reason(reason, "withdrawal_reason", _("Say why the spot check is withdrawn."))
        with transaction.atomic():
            check = self._locked(user, "withdraw")
            check.withdrawn_at = timezone.now()
            check.withdrawn_by = user
            check.withdrawal_reason = reason
            check.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        self.refresh_from_db()
        return self

    @property
    def jurisdiction_code(self):
        return self.assignment.village.code

    def clean(self):
        if self.assignment_id and self.date and not self.assignment.is_serving_on(self.date):
            raise ValidationError(
                {
                    "date": _("%(cadre)s did not serve in %(village)s on %(date)s.")
                    % {
                        "cadre": self.assignment.cadre.name,
                        "village": self.assignment.village.name,
                        "date": self.date.isoformat(),
                    }
                }
            )
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": _("A spot check cannot be in the future.")})
