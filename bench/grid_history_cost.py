"""What trigger-based history (django-pghistory) costs a full grid save.

Builds a township with 50 serving cadres in a scratch database, then saves the whole month's grid
N times with the history triggers on and N times with them switched off (pgtrigger.ignore), each save
changing every row so every row writes an event. Prints medians and the ratio.

    .venv/bin/python bench/grid_history_cost.py [--rows 50] [--repeat 30]
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import pgtrigger  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def build(rows):
    from accounts.models import Role, User
    from assignments import attendance
    from assignments.models import Assignment, AttendanceSheet
    from cadres import idcard
    from cadres.models import Cadre, Unit
    from villages.models import Region, Village

    province = Region.objects.create(code="370000000000", name="山东省", level="province")
    city = Region.objects.create(code="370600000000", name="烟台市", level="city", parent=province)
    county = Region.objects.create(code="370682000000", name="莱阳市", level="county", parent=city)
    township = Region.objects.create(code="370682100000", name="沐浴店镇", level="township", parent=county)
    unit = Unit.objects.create(name="莱阳市财政局", level="county", kind="party_gov", region=county)
    clerk = User.objects.create(username="bench-clerk", role=Role.TOWNSHIP_CLERK, region=township)
    start = datetime.date.today().replace(day=1) - datetime.timedelta(days=200)
    for i in range(rows):
        village = Village.objects.create(code=f"370682100{201 + i:03d}", name=f"村{i}", township=township)
        birth = datetime.date(1975, 1, 1) + datetime.timedelta(days=i * 37)
        first17 = f"370682{birth:%Y%m%d}{(i % 400) * 2 + 1:03d}"
        cadre = Cadre.objects.create(
            name=f"干部{i}",
            gender="M",
            id_number=first17 + idcard.check_digit(first17),
            birth_date=birth,
            political_status="party_member",
            party_joined_on=datetime.date(2000, 1, 1),
            party_full_member_on=datetime.date(2001, 1, 1),
            work_started_on=datetime.date(1998, 1, 1),
            unit=unit,
            rank="section",
            region=county,
        )
        Assignment.objects.create(
            cadre=cadre,
            village=village,
            role="first_secretary",
            dispatch_level="county",
            start_date=start,
            planned_end_date=start.replace(year=start.year + 2),
        )
    month = datetime.date.today().replace(day=1)
    sheet = AttendanceSheet.objects.create(township=township, month=month)
    data = attendance.grid(sheet)
    return sheet, {r.assignment.pk: r.days for r in data["rows"]}, clerk


def variant(days, flip):
    # Swap the first working day between P and A so every row changes on every save.
    i = days.index("P") if "P" in days else days.index("A")
    return days[:i] + ("A" if flip else "P") + days[i + 1 :]


def measure(sheet, rows, user, repeat, history):
    from assignments import attendance
    from assignments.models import AttendanceSheet

    times, queries = [], 0
    for n in range(repeat):
        sheet = AttendanceSheet.objects.select_related("township").get(pk=sheet.pk)
        posted = {pk: variant(days, n % 2 == 0) for pk, days in rows.items()}
        with CaptureQueriesContext(connection) as ctx:
            t = time.perf_counter()
            if history:
                attendance.save_grid(sheet, posted, sheet.version, user)
            else:
                with pgtrigger.ignore(
                    "assignments.AttendanceRecord:insert_insert", "assignments.AttendanceRecord:update_update"
                ):
                    attendance.save_grid(sheet, posted, sheet.version, user)
            times.append((time.perf_counter() - t) * 1000)
        queries = [
            q["sql"][:90]
            for q in ctx.captured_queries
            if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "SELECT set_config"))
        ]
    if os.environ.get("SHOW_SQL"):
        print("\n".join(queries))
    queries = len(queries)
    return statistics.median(times), queries


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = "zhucun_bench_grid"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        sheet, rows, user = build(args.rows)
        measure(sheet, rows, user, 3, True)  # warm up
        with_history, q1 = measure(sheet, rows, user, args.repeat, True)
        without, _ = measure(sheet, rows, user, args.repeat, False)
        from django.apps import apps

        events = apps.get_model("assignments", "AttendanceRecordEvent").objects.count()
        print(f"grid save, {args.rows} rows, median of {args.repeat}:")
        print(f"  with pghistory triggers     {with_history:8.2f} ms  ({q1} queries)")
        print(f"  triggers switched off       {without:8.2f} ms")
        print(f"  ratio                       {with_history / without:8.2f}x")
        print(f"  history events written      {events}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
