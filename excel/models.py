"""Exports that run in the background (province-wide workbooks take about a minute to write), and
the export layouts provinces and cities define for their returns."""

import datetime
import logging
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("zhucun.exports")

# A queued or running job younger than this is reused by the same request; an older one is taken
# for stuck (its worker died) and a new job starts. A province export takes about a minute.
REUSE_WINDOW = datetime.timedelta(hours=1)
_LOCK_CLASS = 0x7A68  # pg_advisory_xact_lock(class, user id): one user's export requests in turn


class ExportJob(models.Model):
    """One background export: who asked, for what, how far it got, and the file when done.

    A job is its requester's own: views look jobs up by id *and* user, so nobody else can see one.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("export"), max_length=20)
    params = models.JSONField(_("parameters"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows expected"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} #{self.pk}"

    def get_absolute_url(self):
        return reverse("excel:job", args=[self.pk])

    @classmethod
    def start(cls, user, kind, params, rows_total):
        """The job for this export: the same user's same export (kind and parameters) still queued or
        running is reused, so asking again (a double click, a reload, a second tab) starts nothing
        new; else a new job. Returns (job, created). Requests of one user are serialised by a
        transaction-level advisory lock, so two at once cannot both create one."""
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, user.pk])
            running = (
                cls.objects.filter(
                    user=user,
                    kind=kind,
                    params=params,
                    state__in=[cls.State.QUEUED, cls.State.RUNNING],
                    created_at__gte=timezone.now() - REUSE_WINDOW,
                )
                .order_by("-created_at")
                .first()
            )
            if running is not None:
                return running, False
            return cls.objects.create(user=user, kind=kind, params=params, rows_total=rows_total), True

    @property
    def expires_at(self):
        """When the worker deletes the file (and the job)."""
        if self.finished_at is None:
            return None
        return self.finished_at + datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)

    def open_for_writing(self):
        """The file, created readable and writable by the service's user only (0600), in a
        directory only it can enter (0700): exports hold personal data."""
        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # an existing file keeps its mode on open: set it
        return os.fdopen(fd, "wb")

    @classmethod
    def purge_expired(cls, now=None):
        """Delete the files (and jobs) finished more than ``EXPORT_RETENTION_DAYS`` ago, and any file
        in ``EXPORT_DIR`` older than that without a job. Run by the worker (``export_worker``)."""
        now = now or timezone.now()
        cutoff = now - datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)
        expired = list(cls.objects.filter(finished_at__lt=cutoff).values_list("pk", flat=True))
        for pk in expired:
            (settings.EXPORT_DIR / f"{pk}.xlsx").unlink(missing_ok=True)
        cls.objects.filter(pk__in=expired).delete()
        orphans = 0
        if settings.EXPORT_DIR.is_dir():
            known = {f"{pk}.xlsx" for pk in cls.objects.values_list("pk", flat=True)}
            for entry in settings.EXPORT_DIR.iterdir():
                if entry.is_file() and entry.name not in known and entry.stat().st_mtime < cutoff.timestamp():
                    entry.unlink(missing_ok=True)
                    orphans += 1
        if expired or orphans:
            logger.info("export files deleted: %d expired jobs, %d stray files", len(expired), orphans)
        return len(expired) + orphans

    @property
    def percent(self):
        if self.state == self.State.DONE:
            return 100
        return min(99, int(100 * self.rows_done / self.rows_total)) if self.rows_total else 0

    @property
    def path(self):
        return settings.EXPORT_DIR / f"{self.pk}.xlsx"


class ExportLayout(models.Model):
    """A province's or city's own columns for a roster or appraisal return: which columns, in which
    order, under which headings (``columns``: [{"key": …, "heading": …}], keys of
    ``excel.workbook.AVAILABLE[kind]``). Its counties export in it by default (``excel.layouts``)."""

    class Kind(models.TextChoices):
        ROSTER = "roster", _("Roster of serving cadres")
        APPRAISAL = "appraisal", _("Appraisal results")

    region = models.ForeignKey(
        "villages.Region",
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"level__in": ["province", "city"]},
    )
    kind = models.CharField(_("return"), max_length=10, choices=Kind.choices)
    columns = models.JSONField(_("columns"), default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("export layout")
        verbose_name_plural = _("export layouts")
        constraints = [
            models.UniqueConstraint(fields=["region", "kind"], name="export_layout_one_per_region_kind")
        ]

    def __str__(self):
        return f"{self.region} · {self.get_kind_display()}"

    @property
    def pairs(self):
        """The layout as (key, heading) pairs, as the export builders take it."""
        return [(c["key"], c["heading"]) for c in self.columns]

    def clean(self):
        from . import layouts

        errors = {}
        if self.region_id and self.region.level not in layouts.LAYOUT_LEVELS:
            errors["region"] = _("Only a province or a city defines a layout.")
        problems = layouts.column_errors(self.kind, self.pairs)
        if problems:
            errors["columns"] = [message for _key, message in problems]
        if errors:
            raise ValidationError(errors)
