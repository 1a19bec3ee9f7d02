"""Background exports (django-tasks, database backend; `manage.py db_worker` runs them)."""

import datetime

from django.http import QueryDict
from django.utils import timezone
from django_tasks import task

from accounts import access, events
from appraisal.models import AppraisalRound

from . import exports, layouts, selection, workbook
from .models import ExportJob


def _date(text):
    return datetime.date.fromisoformat(text) if text else None


@task()
def run_export(job_id):
    job = ExportJob.objects.select_related("user__region", "user__unit").get(pk=job_id)
    user = job.user
    job.state = ExportJob.State.RUNNING
    job.save(update_fields=["state"])
    written = 0

    def tick():
        nonlocal written
        written += 1
        if written % workbook.PROGRESS_EVERY == 0:
            ExportJob.objects.filter(pk=job_id).update(rows_done=written)

    token = exports.progress_hook.set(tick)
    try:
        p = job.params
        round_ = None
        if p.get("round"):
            round_ = access.scope(user, AppraisalRound.objects.all()).get(pk=p["round"])
        # The page's filters or township, as the request that queued the job read them.
        label = p.get("region_label", "")
        chosen = selection.read(job.kind, user, QueryDict(p.get("query", "")), place=label, round_=round_)
        with job.open_for_writing() as out:
            name = exports.build(
                job.kind,
                chosen.scope,
                out,
                region_label=label,
                day=_date(p.get("day")),
                month=_date(p.get("month")),
                round_=round_,
                # Full ID numbers only when asked for on purpose (recorded), and still allowed now.
                mask_ids=not (p.get("full_ids") and access.sees_id_numbers(user)),
                shown=chosen.shown,
                layout=layouts.chosen(user, job.kind, p.get("layout", "")),
            )
        job.state, job.filename, job.rows_done = ExportJob.State.DONE, name, written
        events.record(
            None,
            events.Kind.EXPORT,
            user=user,
            export=job.kind,
            stage="written",
            job=job.pk,
            rows=written,
            full_ids=bool(p.get("full_ids")),
        )
    except Exception as exc:  # the job page shows it; the worker logs the traceback
        job.state, job.error = ExportJob.State.FAILED, str(exc)
        raise
    finally:
        exports.progress_hook.reset(token)
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "filename", "rows_done", "error", "finished_at"])
