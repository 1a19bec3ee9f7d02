"""The 10,000-cadre import alone, against any seeded database (seed_demo), with a cProfile of the
per-row Python: the quick loop for optimising it. `make bench` measures the same import in
bench/province.py (same workbook, same user kind) against the province-sized database.

    DATABASE_URL=postgres://…/zhucun_x .venv/bin/python bench/excel_import.py [--profile] [--user county]
"""

import argparse
import cProfile
import datetime
import io
import os
import pathlib
import pstats
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

HEADERS = ["姓名", "性别", "身份证号", "出生年月", "政治面貌", "入党时间", "参加工作时间", "派出单位"]
HEADERS += ["职级", "学历", "专业特长", "联系电话"]


def cadre_workbook(unit_name, n=10_000):
    """An .xlsx of n new cadres (IDs under area 110101, which the demo never uses)."""
    from openpyxl import Workbook

    from cadres import idcard

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("驻村干部")
    ws.append(HEADERS)
    for i in range(n):
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=i)
        male = i % 2 == 0
        order = f"{(i % 50) * 2 + (1 if male else 0) + 100:03d}"
        first17 = f"110101{birth:%Y%m%d}{order}"
        ws.append(
            [
                f"导入{i}",
                "男" if male else "女",
                first17 + idcard.check_digit(first17),
                "",
                "中共党员",
                "2010-07",
                "2008/8/1",
                unit_name,
                "正科级" if i % 3 else "副科级",
                "大学本科",
                "农业经济" if i % 5 == 0 else "",
                str(13800000000 + i),
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--user", default="county")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import django

    django.setup()
    from accounts import access
    from accounts.models import User
    from cadres.models import Cadre, Unit
    from excel import imports

    user = User.objects.get(username=args.user)
    names = {}
    for unit in access.scope(user, Unit.objects.all()):
        names[unit.name] = names.get(unit.name, 0) + 1
    data = cadre_workbook(next(name for name, k in sorted(names.items()) if k == 1))
    Cadre.objects.filter(id_number__startswith="110101").delete()
    first, again, cpu = [], [], []  # cpu: this process's CPU time (the machine may be shared)
    for _ in range(args.runs):
        profiler = cProfile.Profile() if args.profile else None
        t, cpu0 = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = imports.run("cadres", io.BytesIO(data), user, filename="import.xlsx")
        if profiler:
            profiler.disable()
        first.append(time.perf_counter() - t)
        cpu.append(time.process_time() - cpu0)
        assert result.ok and result.created == 10_000, result.errors[:3]
        t = time.perf_counter()
        result = imports.run("cadres", io.BytesIO(data), user, filename="import.xlsx")
        again.append(time.perf_counter() - t)
        assert result.unchanged == 10_000, result
        Cadre.objects.filter(id_number__startswith="110101").delete()
        if profiler:
            pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(40)
            args.profile = False
    print(f"import.cadres_10000  first {statistics.median(first):.2f} s  runs {[round(x, 2) for x in first]}")
    print(f"import.cadres_10000  first, CPU of this process {statistics.median(cpu):.2f} s")
    print(f"import.cadres_10000  again {statistics.median(again):.2f} s  runs {[round(x, 2) for x in again]}")


if __name__ == "__main__":
    main()
