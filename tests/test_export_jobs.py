"""Background exports (issue 14, item 14): the same export asked again while one runs reuses it;
files are readable by the service only (0600) and deleted after EXPORT_RETENTION_DAYS by the worker."""

import datetime
import os
import stat
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from excel import tasks
from excel.models import ExportJob


@pytest.fixture
def background(settings, tmp_path, make_village, make_cadre, dispatch):
    settings.EXPORT_FOREGROUND_MAX_ROWS = 0  # everything counts as large here
    settings.EXPORT_DIR = tmp_path / "exports"
    dispatch(
        make_cadre(name="后台导出"), make_village(), start=datetime.date.today() - datetime.timedelta(days=5)
    )
    return settings.EXPORT_DIR


def ask(client, kind="roster", **query):
    return client.get(reverse("excel:export", args=[kind]), query)


def test_asking_again_while_it_runs_reuses_the_job(
    background, personas, client_for, django_capture_on_commit_callbacks
):
    client = client_for(personas["county_admin"])
    with django_capture_on_commit_callbacks(execute=True):
        first = ask(client)
        again = ask(client)
    job = ExportJob.objects.get()
    assert first["Location"] == again["Location"] == job.get_absolute_url()
    assert DBTaskResult.objects.count() == 1  # queued once
    ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.RUNNING)
    assert ask(client)["Location"] == job.get_absolute_url()


def test_other_parameters_another_user_or_a_finished_job_start_a_new_one(
    background, personas, client_for, tree
):
    client = client_for(personas["county_admin"])
    ask(client)
    ask(client, "coverage")
    ask(client, "roster", township=tree["t1"].code)
    assert ExportJob.objects.count() == 3
    ask(client_for(personas["viewer"]))
    assert ExportJob.objects.count() == 4
    ExportJob.objects.update(state=ExportJob.State.DONE, finished_at=timezone.now())
    ask(client_for(personas["county_admin"]))
    assert ExportJob.objects.count() == 5


def test_a_job_stuck_for_hours_is_not_reused(background, personas, client_for):
    client = client_for(personas["county_admin"])
    ask(client)
    ExportJob.objects.update(state="running", created_at=timezone.now() - datetime.timedelta(hours=3))
    ask(client)
    assert ExportJob.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_make_one_job(background, personas):
    user = personas["county_admin"]
    results, barrier = [], threading.Barrier(2)

    def start():
        try:
            barrier.wait()
            results.append(ExportJob.start(user, "roster", {"query": "x"}, rows_total=1))
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ExportJob.objects.count() == 1
    assert sorted(created for _job, created in results) == [False, True]


def test_the_file_is_readable_by_the_service_only(background, personas, client_for):
    ask(client_for(personas["county_admin"]))
    job = ExportJob.objects.get()
    umask = os.umask(0o022)  # a permissive umask, as a service may have
    try:
        tasks.run_export.call(job.pk)
    finally:
        os.umask(umask)
    job.refresh_from_db()
    assert job.state == "done"
    assert stat.S_IMODE(os.stat(job.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(background).st_mode) == 0o700
    page = client_for(personas["county_admin"]).get(job.get_absolute_url())
    assert job.expires_at.date() == (job.finished_at + datetime.timedelta(days=7)).date()
    assert "kept until" in page.content.decode() or "保留至" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_exports_and_deletes_files_past_the_retention(
    background, personas, client_for, settings
):
    assert settings.EXPORT_RETENTION_DAYS == 7

    def worker():
        call_command("export_worker", "--batch", "--purge-every", "0", "--no-startup-delay", verbosity=0)

    client = client_for(personas["county_admin"])
    ask(client)  # committed at once here: queued for the worker
    ask(client, "coverage")
    worker()
    old, new = ExportJob.objects.order_by("pk")
    assert old.state == new.state == "done" and old.path.exists() and new.path.exists()
    ExportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=8))
    stray = background / "999999.xlsx"
    stray.write_bytes(b"old")
    eight_days_ago = (timezone.now() - datetime.timedelta(days=8)).timestamp()
    os.utime(stray, (eight_days_ago, eight_days_ago))

    worker()

    assert not old.path.exists() and not stray.exists()
    assert new.path.exists()
    assert list(ExportJob.objects.values_list("pk", flat=True)) == [new.pk]
    client = client_for(personas["county_admin"])
    assert client.get(reverse("excel:job_download", args=[old.pk])).status_code == 404


def test_the_retention_is_a_setting(background, personas, client_for, settings):
    settings.EXPORT_RETENTION_DAYS = 1
    ask(client_for(personas["county_admin"]))
    job = ExportJob.objects.get()
    tasks.run_export.call(job.pk)
    assert ExportJob.purge_expired(now=timezone.now() + datetime.timedelta(hours=23)) == 0
    assert ExportJob.purge_expired(now=timezone.now() + datetime.timedelta(days=1, hours=1)) == 1
    assert not job.path.exists()
