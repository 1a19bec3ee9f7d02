"""manage.py import_regions FILE [--user USERNAME]: the administrative divisions (统计用区划代码 | 名称,
the National Bureau of Statistics' layout) from a workbook, checked whole, then written together."""

import importlib

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from excel import imports, regions

# The generic import command (its module is named "import", a keyword): the operator's default
# scope and the error lines are shared, not copied.
_generic = importlib.import_module("excel.management.commands.import")


def operator(username):
    """The account the command runs as: the named user, else the first active superuser, else
    everything (a fresh installation has no account yet)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.select_related("region")
    if username:
        account = users.filter(username=username).first()
        if account is None:
            raise CommandError(_("Unknown user %(name)s.") % {"name": username})
        return account
    return users.filter(is_superuser=True, is_active=True).first() or _generic._Everything()


def report(command, result):
    """Print a result as the generic import command does, with the regions' notes; exit 1 on errors."""
    if result.errors:
        for e in result.errors:
            command.stderr.write(_generic.error_line(e))
        command.stderr.write(
            _("%(n)d error(s) in %(rows)d row(s); nothing was saved.")
            % {"n": len(result.errors), "rows": result.rows}
        )
        raise SystemExit(1)
    command.stdout.write(
        _("Created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    )
    for note in getattr(result, "notes", ()):
        command.stdout.write(note)


class Command(BaseCommand):
    help = "Import administrative divisions (province to township) from a workbook in the NBS layout."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the workbook to read (统计用区划代码 and 名称 columns)")
        parser.add_argument("--user", help="import as this user (default: the operator, everything)")

    def handle(self, *args, file, user, **options):
        account = operator(user)
        try:
            with open(file, "rb") as f:
                result = imports.run(regions.KIND, f, account, filename=file)
        except OSError as e:
            raise CommandError(str(e)) from None
        except imports.ImportRefused as e:
            raise CommandError(str(e)) from None
        report(self, result)
