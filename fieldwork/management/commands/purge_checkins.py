"""``manage.py purge_checkins``: delete the raw coordinates of check-ins past their township's
retention (Policy.checkin_retention_days), keeping the distance and the flag. The export worker runs
the same clean-up every hour; run this from cron where no worker runs (docs/fieldwork-checkin.md)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from fieldwork import checkins


class Command(BaseCommand):
    help = "Delete the exact positions of check-ins older than the retention period."

    def handle(self, *args, **options):
        n = checkins.purge_expired()
        self.stdout.write(_("Exact positions deleted: %(n)s") % {"n": n})
