"""manage.py seed_demo [--seed N] [--counties N]: realistic demo data and one login per role."""

import time
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from demo import demo


def _width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def _pad(text, width):
    return f"{text}{' ' * max(0, width - _width(text))}"


class Command(BaseCommand):
    # Plain text: argparse (Python 3.11) formats the help with re.sub, which a lazy translation breaks.
    help = (
        "Fill the database with realistic demo data (Shandong, 莱阳市 and optionally more counties) and "
        "one demo login per role. Running it again adds nothing that is already there."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Random seed: the same seed gives the same data.",
        )
        parser.add_argument(
            "--counties",
            type=int,
            default=1,
            help=f"How many counties to build (莱阳市 first; at most {demo.MAX_COUNTIES}).",
        )

    def handle(self, *args, seed, counties, verbosity, **options):
        if not 1 <= counties <= demo.MAX_COUNTIES:
            raise CommandError(_("--counties must be between 1 and %(max)d.") % {"max": demo.MAX_COUNTIES})
        log = self.stdout.write if verbosity > 1 else None
        started = time.monotonic()
        result = demo.DemoBuilder(seed=seed, counties=counties, log=log).build()
        elapsed = time.monotonic() - started
        if verbosity == 0:
            return

        created = result.created
        self.stdout.write(
            _(
                "Demo data (seed %(seed)d): %(built)d counties built, %(skipped)d already present, in %(s).1f s."
            )
            % {"seed": seed, "built": len(result.counties), "skipped": len(result.skipped), "s": elapsed}
        )
        if result.skipped:
            self.stdout.write(
                _("Left unchanged (already has villages): %(names)s") % {"names": "、".join(result.skipped)}
            )
        self.stdout.write(
            _(
                "New: %(regions)d regions, %(villages)d villages, %(units)d units, %(cadres)d cadres, "
                "%(assignments)d assignments, %(users)d users."
            )
            % {
                k: created.get(k, 0)
                for k in ("regions", "villages", "units", "cadres", "assignments", "users")
            }
        )
        self.stdout.write(
            _(
                "New: %(sheets)d attendance sheets, %(records)d attendance records, %(leave)d leave requests, "
                "%(spot_checks)d spot checks."
            )
            % {k: created.get(k, 0) for k in ("sheets", "records", "leave", "spot_checks")}
        )
        totals = demo.summary(timezone.localdate())
        self.stdout.write(
            _(
                "In the database: %(regions)d regions, %(villages)d villages (%(required)d need cadres), "
                "%(cadres)d cadres, %(serving)d serving today."
            )
            % totals
        )
        self.stdout.write(
            _(
                "Villages without a first secretary today: %(uncovered)d (%(recall_gap)d after a recall); "
                "work teams too small: %(team_short)d."
            )
            % totals
        )
        self.stdout.write(
            _(
                "Attendance sheets: %(sheets)d (%(sheets_open)d open, %(sheets_submitted)d submitted, "
                "%(sheets_approved)d approved); %(records)d records, %(below_minimum)d below the monthly minimum."
            )
            % totals
        )
        self.stdout.write(
            _(
                "Leave requests: %(leave)d (%(leave_pending)d pending, %(leave_approved)d approved, "
                "%(leave_rejected)d rejected, %(leave_cancelled)d cancelled); spot checks: %(spot_checks)d, "
                "%(discrepancies)d of them discrepancies."
            )
            % totals
        )

        rows = demo.demo_logins()
        if not rows:
            return
        header = (_("Username"), _("Role"), _("Jurisdiction"), _("Password"))
        widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(4)]
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(_("Demo logins (password: %(pw)s)") % {"pw": demo.DEMO_PASSWORD})
        )
        for row in [header, *rows]:
            self.stdout.write(
                "  " + "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
