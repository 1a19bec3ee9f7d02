"""Data for 0004 (issue 12).

1. Approved sheets get the allowance rates in force now (the best record there is of what they were
   approved at); from now on approval fixes them.
2. A term of N years from day D ends the day before D's Nth anniversary. Open assignments whose
   planned end is exactly an anniversary of their start (the old rule) move back one day, so a
   successor can start on the anniversary. Ended assignments keep their recorded dates: they are
   what somebody recorded as happened (docs/architecture.md).
"""

import datetime
from decimal import Decimal

from django.db import migrations

PREFIX = {"province": 2, "city": 4, "county": 6, "township": 9}
DEFAULT_PER_DAY, DEFAULT_PER_MONTH = Decimal("6.00"), Decimal("40.00")


def _chain(code):
    """The code of a region and of each region above it, nearest first."""
    codes = [code]
    for n in (9, 6, 4, 2):
        up = code[:n] + "0" * (12 - n)
        if up not in codes and code[n:] != "0" * (12 - n):
            codes.append(up)
    return codes


def _anniversary(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return datetime.date(day.year + years, 3, 1)


def forwards(apps, schema_editor):
    Sheet = apps.get_model("assignments", "AttendanceSheet")
    Policy = apps.get_model("assignments", "Policy")
    Assignment = apps.get_model("assignments", "Assignment")
    policies = {p.region.code: p for p in Policy.objects.select_related("region")}
    for sheet in Sheet.objects.filter(state="approved").select_related("township"):
        per_day = per_month = None
        for code in _chain(sheet.township.code):
            policy = policies.get(code)
            if policy is None:
                continue
            per_day = per_day if per_day is not None else policy.allowance_per_day
            per_month = per_month if per_month is not None else policy.allowance_per_month
        sheet.allowance_per_day = DEFAULT_PER_DAY if per_day is None else per_day
        sheet.allowance_per_month = DEFAULT_PER_MONTH if per_month is None else per_month
        sheet.save(update_fields=["allowance_per_day", "allowance_per_month"])
    for a in Assignment.objects.filter(end_date__isnull=True).only("start_date", "planned_end_date"):
        if any(a.planned_end_date == _anniversary(a.start_date, n) for n in range(1, 11)):
            a.planned_end_date -= datetime.timedelta(days=1)
            a.save(update_fields=["planned_end_date"])


class Migration(migrations.Migration):
    dependencies = [("assignments", "0004_term_end_ratios_retroactive_leave_sheet_rates")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
