"""``manage.py export_worker``: django-tasks' ``db_worker`` (runs the background exports) that also
deletes export files past their retention (``EXPORT_RETENTION_DAYS``, default 7) — and check-ins'
exact positions past theirs (fieldwork.checkins.purge_expired) — at start and then every
``--purge-every`` seconds (default one hour), in a thread of its own. Run it instead of
``db_worker``; every ``db_worker`` option works."""

import logging
import threading

from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from excel.models import ExportJob
from fieldwork import checkins

logger = logging.getLogger("zhucun.exports")


def purge_once():
    purged = 0
    try:
        purged = ExportJob.purge_expired()
    except Exception:  # a failed clean-up must not stop the worker; it tries again next time
        logger.exception("export clean-up failed")
    try:
        checkins.purge_expired()
    except Exception:
        logger.exception("check-in position clean-up failed")
    return purged


def _purge_loop(every, stop):
    while not stop.wait(every):
        purge_once()
        connection.close()  # this thread's own connection: not held between rounds


class Command(DbWorkerCommand):
    help = "Run background exports (db_worker) and delete export files past their retention."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--purge-every",
            type=float,
            default=3600,
            help="Seconds between clean-ups of expired export files (0: only at start).",
        )

    def handle(self, *args, purge_every, **options):
        purge_once()
        if purge_every > 0:
            stop = threading.Event()
            threading.Thread(target=_purge_loop, args=(purge_every, stop), daemon=True).start()
        super().handle(*args, **options)
