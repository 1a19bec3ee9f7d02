"""Writes the import corpus: files as real offices make them, each really saved by LibreOffice where
it is a workbook (written with openpyxl, then `soffice --headless --convert-to xls|xlsx`), and CSV files
in the encodings Excel and WPS write. The generated files are committed, so CI needs no LibreOffice;
run this again (`.venv/bin/python tests/corpus/make_corpus.py`) only to change them. The expected
result of each file is the table in tests/test_import_corpus.py.
"""

import csv
import datetime
import io
import pathlib
import shutil
import subprocess
import tempfile

from openpyxl import Workbook

HERE = pathlib.Path(__file__).parent
FILES = HERE / "files"

HEADERS = [
    "姓名",
    "性别",
    "身份证号",
    "出生年月",
    "民族",
    "政治面貌",
    "入党时间",
    "参加工作时间",
    "派出单位",
    "是否脱产",
    "职级",
    "学历",
    "专业特长",
    "联系电话",
]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(birth, order):
    first17 = f"370682{birth:%Y%m%d}{order:03d}"
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def cadres(n=3, over=None):
    """n good rows (row i: 干部i, male, born 1980-01-(i+1)), with cells replaced per row: over={i: {col: v}}."""
    rows = []
    for i in range(n):
        birth = datetime.date(1980, 1, i + 1)
        row = dict(
            zip(
                HEADERS,
                [
                    f"干部{i}",
                    "男",
                    id_number(birth, 11 + 2 * i),
                    "",
                    "汉族" if i % 2 == 0 else "汉",
                    "中共党员",
                    "2010-07",
                    "2008-08-01",
                    "莱阳市财政局",
                    "是" if i % 2 == 0 else "否",
                    "正科级",
                    "大学本科",
                    "",
                    f"1380000000{i}",
                ],
                strict=True,
            )
        )
        row.update((over or {}).get(i, {}))
        rows.append([row[h] for h in HEADERS])
    return rows


def sheet(ws, rows, headers=HEADERS, before=()):
    for line in before:
        ws.append(line)
    ws.append(headers)
    for r in rows:
        ws.append(r)
    id_col = headers.index("身份证号") + 1 if "身份证号" in headers else None
    for row in ws.iter_rows(min_row=len(before) + 2):
        for cell in row:
            if cell.column == id_col and isinstance(cell.value, str):
                cell.number_format = "@"  # as a careful office does: the ID column set to text


def book(rows=None, **kw):
    wb = Workbook()
    sheet(wb.active, cadres() if rows is None else rows, **kw)
    wb.active.title = "花名册"
    return wb


def save_through_libreoffice(wb, name, fmt):
    """Write with openpyxl, then let LibreOffice open it and save it as .xls or .xlsx."""
    with tempfile.TemporaryDirectory() as tmp:
        src = pathlib.Path(tmp) / "src" / (pathlib.Path(name).stem + ".xlsx")
        src.parent.mkdir()
        wb.save(src)
        out = pathlib.Path(tmp) / "out"
        target = {"xls": "xls:MS Excel 97", "xlsx": "xlsx:Calc MS Excel 2007 XML"}[fmt]
        subprocess.run(
            ["soffice", "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", target]
            + ["--outdir", str(out), str(src)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        shutil.copy(out / f"{src.stem}.{fmt}", FILES / name)


def write_csv(name, rows, encoding, bom=False):
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows([HEADERS, *rows])
    data = buf.getvalue().encode(encoding)
    (FILES / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def main():
    FILES.mkdir(exist_ok=True)
    save_through_libreoffice(book(), "roster.xls", "xls")
    save_through_libreoffice(book(), "roster_libreoffice.xlsx", "xlsx")

    write_csv("utf8_bom.csv", cadres(), "utf-8", bom=True)
    write_csv("utf8.csv", cadres(), "utf-8")
    write_csv("gbk.csv", cadres(), "gbk")
    write_csv("gb18030.csv", cadres(over={0: {"姓名": "王䶮"}}), "gb18030")  # 䶮 is not in GBK

    # ID numbers typed into a General column: Excel (and LibreOffice) keep them as numbers.
    wb = book(cadres(2, over={0: {"身份证号": int(cadres()[0][2])}, 1: {"身份证号": 370682198001021234}}))
    save_through_libreoffice(wb, "id_as_number.xls", "xls")
    save_through_libreoffice(wb, "id_as_number.xlsx", "xlsx")

    # 2012.10 typed into a General column arrives as the number 2012.1.
    wb = book(cadres(2, over={1: {"入党时间": 2012.1}}))
    save_through_libreoffice(wb, "month_as_number.xls", "xls")

    # Dates as Excel day numbers: a plain 39661 (2008-08-01) and a date-formatted cell.
    wb = book(cadres(2, over={0: {"参加工作时间": 39661}, 1: {"参加工作时间": datetime.date(2009, 9, 1)}}))
    wb.active["H3"].number_format = "yyyy-mm-dd"
    save_through_libreoffice(wb, "date_serials.xlsx", "xlsx")
    save_through_libreoffice(wb, "date_serials.xls", "xls")

    # A title, a note and blank rows before the header on row 7.
    before = [
        ["莱阳市驻村干部花名册"],
        ["填报单位：莱阳市委组织部"],
        [],
        ["注：身份证号请设为文本格式"],
        [],
        [],
    ]
    save_through_libreoffice(book(before=before), "header_on_row_7.xlsx", "xlsx")

    # An instruction sheet before the data sheet; row 5 (N5) holds a bad phone.
    wb = Workbook()
    wb.active.title = "填表说明"
    for line in ["一、身份证号请设为文本格式。", "二、日期写作 2024-03-01。", "三、联系电话填手机号。"]:
        wb.active.append([line])
    sheet(wb.create_sheet("花名册"), cadres(4, over={3: {"联系电话": "1380000000"}}))
    save_through_libreoffice(wb, "instruction_sheet_first.xlsx", "xlsx")

    # Headers as offices type them: spaces, full-width spaces, line breaks, * marks and aliases.
    messy = ["姓　名", "性 别", "公民身份号码", "出生\n日期", "民族", "*政治面貌", "入党时间", "参加工作时间"]
    messy += ["选派单位", "是否\n脱产", "职级", "文化程度", "专业特长", "手机号码"]
    save_through_libreoffice(book(headers=messy), "messy_headers.xls", "xls")

    # The template's example row left in above the data (the template as the site serves it).
    wb = Workbook()
    ws = wb.active
    ws.title = "驻村干部"
    ws.append(HEADERS)
    example = dict(zip(HEADERS, cadres(1)[0], strict=True)) | {"身份证号": "示例：37068219850501123X"}
    ws.append([example[h] for h in HEADERS])
    for r in cadres(2):
        ws.append(r)
    save_through_libreoffice(wb, "template_example_left_in.xlsx", "xlsx")

    # One row with three problems: ethnicity, a date that does not exist, a phone.
    wb = book(cadres(2, over={1: {"民族": "汉人", "参加工作时间": "2008-02-30", "联系电话": "12345"}}))
    save_through_libreoffice(wb, "three_problems.xlsx", "xlsx")

    # Phones: good ones and bad ones.
    phones = ["13912345678", "0535-1234567", "0535-12345678-801", "1380000000", "12345678901", "5351234567"]
    rows = cadres(6, over={i: {"联系电话": p} for i, p in enumerate(phones)})
    save_through_libreoffice(book(rows), "phones.xlsx", "xlsx")

    # Hostile: a stray cell at IV65536 (calamine would allocate 65,536 × 256 cells, 1 GB) and a formula.
    wb = book()
    wb.active["IV65536"] = "x"
    save_through_libreoffice(wb, "hostile_far_cell.xls", "xls")
    wb = book()
    wb.active["M2"] = "=1+1"
    save_through_libreoffice(wb, "hostile_formula.xls", "xls")
    (FILES / "hostile_utf16.csv").write_bytes(("\ufeff" + ",".join(HEADERS) + "\r\n").encode("utf-16-le"))
    (FILES / "hostile_wide.csv").write_bytes((",".join(HEADERS + ["x"] * 300) + "\r\n").encode())


if __name__ == "__main__":
    main()
