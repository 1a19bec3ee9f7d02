"""manage.py export KIND --region CODE [--month YYYY-MM | --year YYYY | --round PK | --date YYYY-MM-DD]
[--layout builtin] -o FILE"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts import events
from appraisal.models import AppraisalRound
from excel import exports, layouts
from villages.models import Region


class Command(BaseCommand):
    help = (
        "Write an Excel export (roster, attendance, appraisal, coverage, allowance) of one region to a file."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help=", ".join(exports.KINDS))
        parser.add_argument("--region", required=True, help="12-digit region code")
        parser.add_argument("--month", help="YYYY-MM (attendance, allowance; default this month)")
        parser.add_argument("--year", help="YYYY (appraisal: the year's annual round)")
        parser.add_argument("--round", dest="round_id", help="appraisal round id")
        parser.add_argument("--date", help="YYYY-MM-DD (roster, coverage; default today)")
        parser.add_argument(
            "--layout",
            choices=[layouts.BUILTIN_CHOICE],
            default="",
            help="roster, appraisal: the built-in columns (default: the layout the region's city or province defines)",
        )
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")

    def handle(self, *args, kind, region, month, year, round_id, date, output, layout, **options):
        try:
            exports.check_kind(kind)
            params = {
                "month": exports.parse_month(month),
                "day": exports.parse_date(date),
            }
            year = exports.parse_year(year)
            round_id = exports.parse_round_id(round_id)
        except exports.ExportError as e:
            raise CommandError(str(e)) from None
        region_obj = Region.objects.filter(code=region).first()
        if region_obj is None:
            raise CommandError(
                _("Unknown region code “%(code)s”: give a 12-digit 统计用区划代码.") % {"code": region}
            )

        def scope(queryset):
            return queryset.in_region(region_obj)

        round_ = None
        if kind == "appraisal":
            rounds = scope(AppraisalRound.objects.all())
            try:
                if round_id is not None:
                    round_ = rounds.filter(pk=round_id).first()
                    if round_ is None:
                        raise exports.ExportError(
                            _("%(region)s has no appraisal round %(id)d.")
                            % {"region": region_obj.name, "id": round_id}
                        )
                elif year is not None:
                    round_ = exports.find_round(rounds, year)
                else:
                    raise exports.ExportError(_("Give --round or --year."))
            except exports.ExportError as e:
                raise CommandError(str(e)) from None
        with open(output, "wb") as out:
            name = exports.build(
                kind,
                scope,
                out,
                region_label=region_obj.name,
                round_=round_,
                layout=None
                if layout or kind not in layouts.KINDS
                else _pairs(layouts.effective(region_obj, kind)),
                **params,
            )
        events.record(
            None,
            events.Kind.EXPORT,
            username=events.command_username(),
            export=kind,
            stage="command",
            region=region_obj.code,
            file=str(output),
        )
        self.stdout.write(f"{output}: {name}")


def _pairs(layout):
    return layout.pairs if layout else None
