"""Excel export writer benchmark (issue 15): the forms' ``Sheet`` (ruled cells, wrapped rows sized,
print titles, footer, signature line) against the bare openpyxl write-only writer writing the same
cells with the same border, alignment and number formats — per column one styled cell reused row
after row, the fastest way openpyxl's write-only mode allows. No database: the rows are roster-like
tuples made on the fly (so the measured memory is the writer's, not the data's).

    .venv/bin/python bench/excel_export.py [--rows 10000 50000] [--reps 3]

Prints the figures and writes bench/excel_export.json: the time ratio Sheet ÷ bare (best CPU time of --reps
runs at the largest size; target ≤ 1.1×) and the tracemalloc peak of each writer at each size
(target: flat — the peak at the largest size within 1.5× the peak at the smallest).
"""

import argparse
import datetime
import itertools
import json
import os
import platform
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")  # never opened

import django  # noqa: E402

django.setup()

from django.utils.translation import override  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.cell import WriteOnlyCell  # noqa: E402

from excel import exports  # noqa: E402
from excel import workbook as wbmod  # noqa: E402

TARGET_RATIO = 1.1
TARGET_MEMORY = 1.5
COLUMNS = wbmod.ROSTER_COLUMNS
UNITS = [
    "莱阳市财政局",
    "莱阳市农业农村局",
    "中国邮政集团有限公司莱阳市分公司",
    "烟台市财政局",
    "山东省农业科学院",
]
TEXT = {  # a realistic value of each text column (a wrapped row costs a height: as often as in life)
    "县(市、区)": "莱阳市",
    "乡镇": "沐浴店镇",
    "村": "东村",
    "村代码": "370682100201",
    "姓名": "张伟",
    "性别": "男",
    "政治面貌": "中共党员",
    "派出层级": "县级",
    "职级": "正科级",
    "学历": "大学本科",
    "职务": "第一书记",
    "批次": "2025年第一批",
}
CATEGORIES = [
    "脱贫村",
    "脱贫村、党组织软弱涣散村",
    "乡村振兴任务重的村",
    "其他（矛盾问题集中、群众意见较大）",
]


def make_rows(n):
    """Roster-like rows, one value per column of ROSTER_COLUMNS: numbers, dates, short and long text."""
    base = datetime.date(1980, 1, 1)
    for i in range(1, n + 1):
        row = []
        for c, col in enumerate(COLUMNS):
            if col.header == "序号":
                row.append(i)
            elif col.number_format in (wbmod.DATE, wbmod.MONTH):
                row.append(base + datetime.timedelta(days=(i * 7 + c) % 9000))
            elif col.header == "派出单位":
                row.append(UNITS[i % len(UNITS)])
            elif col.header == "村类别":
                row.append(CATEGORIES[i % len(CATEGORIES)])
            elif col.header == "身份证号":
                row.append(f"370682{19800101 + i % 9000:08d}{i % 1000:03d}X")
            elif col.header == "联系电话":
                row.append(f"139{i:08d}")
            else:
                row.append(TEXT.get(col.header, "东村"))
        yield row


def write_sheet(rows, path):
    with override(wbmod.LANGUAGE):
        widths = exports._usual_widths()  # as build_roster passes them
    wb = wbmod._workbook()
    sheet = wbmod.Sheet(
        wb,
        "花名册",
        "莱阳市驻村第一书记和工作队员花名册",
        COLUMNS,
        period="统计时点：2026年2月10日",
        widths=widths,
    )
    for row in rows:
        sheet.append(row)
    sheet.sign("填表人", "审核人", "负责人")
    wb.save(path)


def write_bare(rows, path):
    """The same cells, each column's styled cell reused: border, alignment and number format."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("bare")
    cells = []
    for col in COLUMNS:
        cell = WriteOnlyCell(ws)
        cell.border = wbmod._BORDER
        cell.alignment = wbmod._alignment(col)
        if col.number_format:
            cell.number_format = col.number_format
        cells.append(cell)
    ws.append(["莱阳市驻村第一书记和工作队员花名册"])
    ws.append(["填报单位（盖章）："])
    ws.append([col.header for col in COLUMNS])
    for row in rows:
        out = []
        for cell, value in zip(cells, row, strict=True):
            cell.value = value
            out.append(cell)
        ws.append(out)
    wb.save(path)


def timed(writer, n, path):
    rows = list(make_rows(n))  # made before the clock starts: the same list for both writers
    # CPU time of this process: the machine may be shared, and a writer waits for nothing else
    t = time.process_time()
    writer(rows, path)
    return time.process_time() - t


def peak(writer, n, path):
    tracemalloc.start()
    writer(make_rows(n), path)  # a generator: the rows never sit in memory together
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    sizes = sorted(args.rows)
    result = {
        "machine": f"{platform.machine()} {os.cpu_count()} CPU, Python {platform.python_version()}",
        "columns": len(COLUMNS),
        "sizes": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.xlsx"
        for n in sizes:
            # alternate the writers so a slow moment of the machine falls on both
            times = {"sheet": [], "bare": []}
            for _rep, name in itertools.product(range(args.reps), ("bare", "sheet")):
                times[name].append(timed(write_sheet if name == "sheet" else write_bare, n, path))
            size = path.stat().st_size
            result["sizes"][n] = {
                "sheet_cpu_s": round(min(times["sheet"]), 3),
                "bare_cpu_s": round(min(times["bare"]), 3),
                "ratio": round(min(times["sheet"]) / min(times["bare"]), 3),
                "sheet_peak_mb": round(peak(write_sheet, n, path) / 2**20, 2),
                "bare_peak_mb": round(peak(write_bare, n, path) / 2**20, 2),
                "file_mb": round(size / 2**20, 2),
            }
            r = result["sizes"][n]
            print(
                f"{n:>7} rows × {len(COLUMNS)} cols: Sheet {r['sheet_cpu_s']:.2f} s, bare {r['bare_cpu_s']:.2f} s, "
                f"×{r['ratio']:.3f}; tracemalloc peak Sheet {r['sheet_peak_mb']:.1f} MB, "
                f"bare {r['bare_peak_mb']:.1f} MB"
            )
    small, large = result["sizes"][sizes[0]], result["sizes"][sizes[-1]]
    result["ratio"] = large["ratio"]
    result["memory_growth"] = round(large["sheet_peak_mb"] / small["sheet_peak_mb"], 3)
    result["target"] = (
        f"ratio ≤ {TARGET_RATIO}, peak at {sizes[-1]} rows ≤ {TARGET_MEMORY}× peak at {sizes[0]}"
    )
    result["met"] = result["ratio"] <= TARGET_RATIO and result["memory_growth"] <= TARGET_MEMORY
    print(
        f"ratio ×{result['ratio']:.3f} (target ≤ {TARGET_RATIO}); memory {sizes[0]}→{sizes[-1]} rows "
        f"×{result['memory_growth']:.2f} (target ≤ {TARGET_MEMORY}); met: {result['met']}"
    )
    (ROOT / "bench" / "excel_export.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
