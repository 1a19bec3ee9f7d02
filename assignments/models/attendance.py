"""The monthly attendance sheet (考勤表) of a township, one row per serving assignment."""

import calendar
import datetime

import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Length, Replace
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from villages.models import Region

# One character per day of the month (DESIGN.md).
# NOT_YET (".") is a working day still to come: nothing can be true of it yet, so it counts as nothing.
PRESENT, BUSINESS, LEAVE, REST, ABSENT, OUTSIDE, NOT_YET = "P", "B", "L", "H", "A", "-", "."
CODES = PRESENT + BUSINESS + LEAVE + REST + ABSENT + OUTSIDE + NOT_YET
CODE_LABELS = {
    PRESENT: _("In village"),
    BUSINESS: _("Official business away (reported)"),
    LEAVE: _("Approved leave"),
    REST: _("Rest day or holiday"),
    ABSENT: _("Absent"),
    OUTSIDE: _("Outside the assignment"),
    NOT_YET: _("Working day still to come"),
}


# The marks clerks write on the paper 考勤表: the grid, the export and the print show these, with one
# legend (``legend()``). The database keeps the Latin codes (DESIGN.md), and either can be typed.
MARKS = {
    PRESENT: "√",
    BUSINESS: "差",
    LEAVE: "假",
    REST: "休",
    ABSENT: "×",
    OUTSIDE: "／",
    NOT_YET: "·",
}
# What a clerk may type for each code besides the code itself: the mark, and the look-alikes a keyboard
# or an input method gives for it (✓ for √, ✗ for ×, the ASCII slash for ／). Not the letter X: it is
# no code, and a value that might be misread is refused, not guessed.
_TYPED = {
    **{mark: code for code, mark in MARKS.items()},
    "✓": PRESENT,
    "✔": PRESENT,
    "✗": ABSENT,
    "╳": ABSENT,
    "/": OUTSIDE,
    "－": OUTSIDE,
    "—": OUTSIDE,
    "。": NOT_YET,
    "．": NOT_YET,
    "・": NOT_YET,
}


def mark(code):
    """The paper mark of one stored day code (the code itself if it has none)."""
    return MARKS.get(code, code)


def to_marks(codes):
    return "".join(MARKS.get(c, c) for c in codes or "")


def to_codes(text):
    """Typed day marks or codes → stored codes. Letters may be lower case; whitespace is dropped.
    A character that is neither stays as it is, so validation names it instead of guessing."""
    out = []
    for ch in (text or "").strip():
        if ch.isspace():
            continue
        up = ch.upper()
        out.append(up if up in CODES else _TYPED.get(up, _TYPED.get(ch, ch)))
    return "".join(out)


def legend():
    """[(code, mark, label)] for the grid, its print and the export: one legend everywhere."""
    return [(code, MARKS[code], CODE_LABELS[code]) for code in CODES]


def days_for_history(before, after):
    """A record's day codes as the change history shows them: the days that changed, in words."""
    before, after = before or "", after or ""
    if not before:  # a new row: how many days of each kind
        counts = [(code, after.count(code)) for code in CODES if code in after]
        return "—", "，".join(
            str(_("%(kind)s: %(n)d days") % {"kind": CODE_LABELS[c], "n": n}) for c, n in counts
        ) or "—"
    changed = [i for i in range(max(len(before), len(after))) if before[i : i + 1] != after[i : i + 1]]

    def words(codes):
        return (
            "，".join(
                str(
                    _("day %(day)d: %(kind)s")
                    % {"day": i + 1, "kind": CODE_LABELS.get(codes[i : i + 1], "—")}
                )
                for i in changed
            )
            or "—"
        )

    return words(before), words(after)


def month_bounds(month: datetime.date):
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last


def _count(code):
    return Length(F("days")) - Length(Replace(F("days"), Value(code), Value("")))


class HolidayOverrideQuerySet(models.QuerySet):
    def in_region(self, region):
        return self.filter(
            Q(region__code__startswith=region.prefix) | Q(region__code__in=region.ancestor_codes)
        )

    def for_unit(self, unit):
        return self.none()


class HolidayOverride(models.Model):
    """A day a county (or province) declares for a year the holiday package does not know, or corrects."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Statutory holiday")
        ADJUSTED_WORKDAY = "adjusted_workday", _("Adjusted working day (调休上班)")
        WORKDAY = "workday", _("Working day")
        WEEKEND = "weekend", _("Rest day")

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind of day"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("holiday name"), max_length=30, blank=True, help_text=_("e.g. 春节"))

    objects = HolidayOverrideQuerySet.as_manager()

    class Meta:
        verbose_name = _("holiday entry")
        verbose_name_plural = _("holiday entries")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "date"],
                name="holiday_override_unique_day",
                violation_error_message=_("This day is already entered for this region."),
            )
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()

    @property
    def jurisdiction_code(self):
        return self.region.code


class AttendanceSheetQuerySet(models.QuerySet):
    def in_region(self, region):
        return self.filter(township__code__startswith=region.prefix)

    def for_unit(self, unit):
        return self.filter(records__assignment__cadre__unit=unit).distinct()


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["version", "updated_at", "updated_by", "calendar"],
)
class AttendanceSheet(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", pgettext_lazy("attendance sheet", "Approved")

    township = models.ForeignKey(
        Region, verbose_name=_("township"), on_delete=models.PROTECT, related_name="attendance_sheets"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # The calendar the sheet is kept against, one character a day: W working day, R rest day or
    # holiday. Refreshed while the sheet is open, so saving needs no calendar lookup.
    calendar = models.CharField(_("working days"), max_length=31, blank=True)
    # Bumped by every grid save: a save based on an older version is refused (optimistic locking).
    version = models.PositiveIntegerField(_("version"), default=0)
    updated_at = models.DateTimeField(_("last saved at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)
    # Set when something that changes the sheet (a leave approved later) arrives after it was
    # submitted or approved; cleared when the county reopens it.
    needs_correction = models.BooleanField(_("needs correction"), default=False)
    correction_note = models.TextField(_("what needs correcting"), blank=True)
    # The allowance rates in force when the sheet was approved: a later policy change never
    # changes a month already approved.
    allowance_per_day = models.DecimalField(
        _("living allowance per day (yuan)"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    allowance_per_month = models.DecimalField(
        _("transport allowance per month (yuan)"), max_digits=7, decimal_places=2, null=True, blank=True
    )

    objects = AttendanceSheetQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance sheet")
        verbose_name_plural = _("attendance sheets")
        ordering = ["-month", "township__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["township", "month"],
                name="attendance_sheet_one_per_township_month",
                violation_error_message=_("This township already has a sheet for this month."),
            ),
            models.CheckConstraint(
                name="attendance_sheet_approved_has_rates",
                condition=~Q(state="approved")
                | Q(allowance_per_day__isnull=False, allowance_per_month__isnull=False),
                violation_error_message=_("An approved sheet keeps the allowance rates it was approved at."),
            ),
            models.CheckConstraint(
                name="attendance_sheet_month_is_first_day",
                condition=Q(month__day=1),
                violation_error_message=_("A sheet's month is stored as its first day."),
            ),
        ]

    def __str__(self):
        return f"{self.township.name} {self.month:%Y-%m}"

    def get_absolute_url(self):
        return reverse("attendance:sheet", args=[self.township.code, f"{self.month:%Y-%m}"])

    @property
    def jurisdiction_code(self):
        return self.township.code

    @property
    def is_open(self):
        return self.state == self.State.OPEN

    @property
    def bounds(self):
        return month_bounds(self.month)

    REFUSALS = {
        State.SUBMITTED: _("Only an open sheet can be submitted; this one is %(state)s."),
        State.APPROVED: _("Only a submitted sheet can be approved; this one is %(state)s."),
        State.OPEN: _("Only a submitted or approved sheet can be reopened; this one is %(state)s."),
    }

    def _move(self, allowed_from, to, user, guard=None, **fields):
        """Change state under a row lock: two people acting at once (the county approving while a
        leave marks the sheet for correction, two clicks on submit) are served one after the other,
        and ``guard(locked_sheet)`` checks the transition on the row as it is now."""
        from django.db import transaction

        with transaction.atomic():
            locked = type(self).objects.select_for_update().get(pk=self.pk)
            self.state, self.needs_correction, self.correction_note = (
                locked.state,
                locked.needs_correction,
                locked.correction_note,
            )
            if locked.state not in allowed_from:
                raise ValidationError(self.REFUSALS[to] % {"state": locked.get_state_display()})
            if guard is not None:
                guard(locked)
            self.state = to
            for name, value in fields.items():
                setattr(self, name, value)
            self.save(update_fields=["state", *fields])

    def submittable_from(self, today=None, policy=None, cal=None):
        """The day from which this open sheet can be submitted when that day has not come yet, else
        None: a month is reported once its last working day has come, unless the policy allows
        earlier (``submit_before_month_end``). ``policy`` and ``cal`` spare their queries."""
        from .. import attendance
        from .core import Policy

        if self.state != self.State.OPEN:
            return None
        policy = policy or Policy.effective_for(self.township)
        if policy.submit_before_month_end:
            return None
        cal = cal or attendance.calendar_for(self.township, self.month)
        working = [d.date for d in cal.days if d.is_working_day]
        last = working[-1] if working else self.bounds[1]
        return last if (today or timezone.localdate()) < last else None

    def submit(self, user, today=None):
        """The township hands the month's sheet to the county (上报), once the month's last working
        day has come (``Policy.submit_before_month_end`` allows earlier)."""
        today = today or timezone.localdate()

        def guard(locked):
            last_working = locked.submittable_from(today)
            if last_working is not None:
                raise ValidationError(
                    _(
                        "The sheet of %(month)s can be submitted from its last working day (%(day)s) on; "
                        "the days before then are not over yet."
                    )
                    % {"month": f"{self.month:%Y-%m}", "day": last_working.isoformat()}
                )
            # A day that has come cannot stay "not yet" ('.') on a sheet handed to the county.
            first, last = self.bounds
            elapsed = (min(today, last) - first).days + 1
            unrecorded = []
            for name, days in locked.records.order_by("assignment__cadre__name", "pk").values_list(
                "assignment__cadre__name", "days"
            ):
                missing = [str(i + 1) for i, c in enumerate(days[: max(0, elapsed)]) if c == NOT_YET]
                if missing:
                    unrecorded.append(
                        _(
                            "%(cadre)s, days %(days)s: not recorded yet (“.”); mark P, B, L, H or A before submitting."
                        )
                        % {"cadre": name, "days": ", ".join(missing)}
                    )
            if unrecorded:
                raise ValidationError(unrecorded)

        self._move(
            [self.State.OPEN],
            self.State.SUBMITTED,
            user,
            guard=guard,
            submitted_by=user,
            submitted_at=timezone.now(),
        )

    def approve(self, user):
        """The county accepts the sheet; it is read-only from now on until reopened.

        The allowance rates are fixed at the month's FIRST approval, from the policy then in force: a
        sheet reopened to correct a day and approved again keeps them, so a policy changed in the
        meantime never reprices a month already approved (issue 12, item 16)."""
        from .core import Policy

        def guard(locked):
            if locked.needs_correction:
                # Approving would fix the month (and its allowance) on days known to be wrong.
                raise ValidationError(
                    _(
                        "This sheet needs correction first (%(note)s): reopen it so the township can correct "
                        "it, then approve it once it is submitted again."
                    )
                    % {"note": locked.correction_note or _("see the sheet")}
                )

        per_day, per_month = self.allowance_per_day, self.allowance_per_month
        if per_day is None or per_month is None:
            policy = Policy.effective_for(self.township)
            per_day, per_month = policy.allowance_per_day, policy.allowance_per_month
        self._move(
            [self.State.SUBMITTED],
            self.State.APPROVED,
            user,
            guard=guard,
            approved_by=user,
            approved_at=timezone.now(),
            allowance_per_day=per_day,
            allowance_per_month=per_month,
        )

    def reopen(self, user, reason):
        """The county sends a submitted or approved sheet back for correction."""
        if not (reason or "").strip():
            raise ValidationError({"reason": _("Say why the sheet is reopened.")})
        if "\x00" in reason:
            raise ValidationError(
                {
                    "reason": _(
                        "The reason contains a NUL character (U+0000), which cannot be stored; type it again."
                    )
                }
            )
        from django.db import transaction

        from .. import attendance, business
        from .. import leave as leave_rules
        from .core import Assignment

        with transaction.atomic():
            self._move(
                [self.State.SUBMITTED, self.State.APPROVED],
                self.State.OPEN,
                user,
                reopened_by=user,
                reopened_at=timezone.now(),
                reopen_reason=reason.strip(),
                needs_correction=False,
                correction_note="",
            )
            # The leave approved (or cut short) while the sheet was closed goes in now, and the rows
            # follow the terms as they are now (an end or extension recorded meanwhile).
            leave_rules.sync_leave_into_sheet(self)
            business.sync_business_into_sheet(self)
            first, last = self.bounds
            for assignment in (
                Assignment.objects.filter(attendance__sheet=self)
                .exclude(start_date__lte=first, end_date__isnull=True, planned_end_date__gte=last)
                .select_related("cadre")
            ):
                attendance.fit_rows_to_term(assignment, sheets=[self])


class AttendanceRecordQuerySet(models.QuerySet):
    def in_region(self, region):
        return self.filter(sheet__township__code__startswith=region.prefix)

    def for_unit(self, unit):
        return self.filter(assignment__cadre__unit=unit)

    def for_cadre(self, cadre_id):
        return self.filter(assignment__cadre_id=cadre_id)

    def below_minimum(self):
        return self.filter(present_days__lt=F("required_days"))


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), exclude=["updated_at"]
)
class AttendanceRecord(models.Model):
    """One cadre's month: the paper 考勤表 row, one code per day."""

    sheet = models.ForeignKey(
        AttendanceSheet, verbose_name=_("sheet"), on_delete=models.PROTECT, related_name="records"
    )
    assignment = models.ForeignKey(
        "assignments.Assignment",
        verbose_name=_("assignment"),
        on_delete=models.PROTECT,
        related_name="attendance",
    )
    days = models.CharField(_("day codes"), max_length=31)
    # How accounts.history shows a change of a field (instead of its stored value).
    history_values = {"days": days_for_history}
    counts_business = models.BooleanField(
        _("official business counts as in village"),
        default=True,
        help_text=_("Copied from the policy when the row is saved."),
    )
    required_days = models.PositiveSmallIntegerField(
        _("required days in village"),
        default=0,
        help_text=_("Pro-rated when the assignment covers part of the month."),
    )
    present_days = models.GeneratedField(
        expression=_count(PRESENT)
        + Case(When(counts_business=True, then=_count(BUSINESS)), default=Value(0)),
        output_field=models.IntegerField(),
        db_persist=True,
        verbose_name=_("days in village"),
    )
    leave_days = models.GeneratedField(
        expression=_count(LEAVE),
        output_field=models.IntegerField(),
        db_persist=True,
        verbose_name=_("leave days"),
    )
    absent_days = models.GeneratedField(
        expression=_count(ABSENT),
        output_field=models.IntegerField(),
        db_persist=True,
        verbose_name=_("absent days"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AttendanceRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        ordering = ["sheet", "assignment"]
        constraints = [
            models.UniqueConstraint(
                fields=["sheet", "assignment"],
                name="attendance_record_one_per_sheet",
                violation_error_message=_("This assignment already has a row on this sheet."),
            ),
            models.CheckConstraint(
                name="attendance_record_day_codes",
                condition=Q(days__regex=r"^[PBLHA.-]{28,31}$"),
                violation_error_message=_("Day codes are P, B, L, H, A, . or -, one per day of the month."),
            ),
        ]
        triggers = [
            # A submitted or approved sheet is read-only for every writer, bulk and raw SQL included.
            pgtrigger.Trigger(
                name="record_needs_open_sheet",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func="""
                IF (SELECT state FROM assignments_attendancesheet
                    WHERE id = COALESCE(NEW.sheet_id, OLD.sheet_id)) <> 'open' THEN
                    RAISE EXCEPTION 'attendance sheet % is not open', COALESCE(NEW.sheet_id, OLD.sheet_id)
                        USING ERRCODE = 'check_violation';
                END IF;
                RETURN COALESCE(NEW, OLD);
                """,
            )
        ]

    def __str__(self):
        return f"{self.sheet} · {self.assignment.cadre.name}"

    @property
    def jurisdiction_code(self):
        return self.sheet.township.code

    def clean(self):
        from .. import attendance

        if not (self.sheet_id and self.assignment_id):
            return
        if not self.sheet.is_open:
            raise ValidationError(_("The sheet is not open: the county must reopen it before rows change."))
        self.days = to_codes(self.days)  # marks (√ 差 假 休 ×) or letters, stored as codes
        first, last = self.sheet.bounds
        mask = attendance.calendar_mask(attendance.calendar_for(self.sheet.township, self.sheet.month))
        leave = attendance.approved_leave_dates([self.assignment_id], first, last).get(
            self.assignment_id, set()
        )
        problems = attendance.validate_row(
            1,
            self.assignment.cadre.name,
            self.days,
            self.assignment,
            first,
            (last - first).days + 1,
            mask=mask,
            leave_dates=leave,
            today=timezone.localdate(),
        )
        if problems:
            raise ValidationError({"days": problems})

    @property
    def shortfall(self):
        return max(0, self.required_days - (self.present_days or 0))

    @property
    def compliant(self):
        return self.shortfall == 0

    @property
    def month_in_progress(self):
        """The month has not ended: a shortfall so far is no verdict yet (needs ``sheet`` loaded)."""
        return timezone.localdate() <= self.sheet.bounds[1]
