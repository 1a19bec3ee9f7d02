"""manage.py import KIND FILE [--user USERNAME]: validate a workbook whole, then write it in one transaction."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from excel import imports


class _Everything(AnonymousUser):
    """The default scope of the command: everything, like a superuser (no region, no unit)."""

    is_superuser = True
    is_active = True
    region_id = None
    region = None
    unit_id = None
    username = "manage.py"

    @property
    def is_authenticated(self):
        return True


def error_line(e):
    """One refused cell as a clerk reads it: 第5行 · 身份证号 · 3706…：message."""
    where = {"row": e.row, "column": e.column, "value": e.value, "message": e.message}
    if e.column and e.value:
        return _("Row %(row)d · %(column)s · %(value)s: %(message)s") % where
    if e.column:
        return _("Row %(row)d · %(column)s: %(message)s") % where
    return _("Row %(row)d: %(message)s") % where


class Command(BaseCommand):
    help = "Import villages, cadres or assignments from an Excel workbook (.xlsx, .xls) or a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("kind", help=", ".join(imports.IMPORTERS))
        parser.add_argument("file", help="the .xlsx, .xls or .csv file to read")
        parser.add_argument("--user", help="import within this user's jurisdiction (default: everything)")

    def handle(self, *args, kind, file, user, **options):
        if user:
            account = get_user_model().objects.filter(username=user).select_related("region").first()
            if account is None:
                raise CommandError(_("Unknown user %(name)s.") % {"name": user})
        else:
            account = (
                get_user_model().objects.filter(is_superuser=True, is_active=True).first() or _Everything()
            )
        try:
            with open(file, "rb") as f:
                result = imports.run(kind, f, account, filename=file)
        except OSError as e:
            raise CommandError(str(e)) from None
        except imports.ImportRefused as e:
            raise CommandError(str(e)) from None
        for note in result.notes:
            self.stdout.write(note)
        if result.errors:
            for e in result.errors:
                self.stderr.write(error_line(e))
            self.stderr.write(
                _("%(n)d error(s) in %(rows)d row(s); nothing was saved.")
                % {"n": len(result.errors), "rows": result.rows}
            )
            raise SystemExit(1)
        self.stdout.write(
            _("Created %(created)d, updated %(updated)d, unchanged %(unchanged)d.")
            % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        )
