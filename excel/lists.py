"""Excel forms of the two lists of appraisal/outstanding.py: 优秀干部培养名单 and 副科级干部挂职乡镇
党委副书记人选名单. Each a printed form like the other exports (workbook.Sheet: title, 填报单位（盖章）/
填报日期 line, 序号, signature line); the headers, titles and reasons are data, in Chinese.

The rows come from the same functions the pages use, with querysets already scoped to the caller:
the same constant number of queries whatever the number of rows.
"""

from django.utils import timezone
from django.utils.translation import override

from appraisal import outstanding

from .exports import SIGNATURES
from .workbook import DATE, LANGUAGE, Column, Sheet, _workbook

FORMS = {
    "outstanding": "驻村第一书记和工作队员优秀干部培养名单",
    "deputy_secretary": "驻村副科级干部挂职乡镇（街道）党（工）委副书记人选名单",
}
FILE_NAMES = {"outstanding": "优秀干部培养名单", "deputy_secretary": "副科级干部挂职乡镇党委副书记人选名单"}

# The middle fifth of the 填报单位 line (workbook.Sheet._unit_line) falls on the fourth column: a wide
# one (派出单位), so 考核年度 stays on one line.
OUTSTANDING_COLUMNS = [
    Column("序号", 6),
    Column("姓名", 10),
    Column("职级", 10),
    Column("派出单位", 22),
    Column("驻村（乡镇·村·职务）", 28),
    Column("任职起止时间", 24),
    Column("历年考核等次", 38),
    Column("列入理由", 40),
]
DEPUTY_SECRETARY_COLUMNS = [
    Column("序号", 6),
    Column("姓名", 10),
    Column("派出单位", 20),
    Column("职级", 12),
    Column("驻村（乡镇·村·职务）", 28),
    Column("驻村起始日期", 12, DATE),
    Column("截至考核年度末驻村月数", 12, "0"),
    Column("考核年度", 9),
    Column("历年考核等次", 38),
    Column("拟挂职乡镇（街道）", 16),
]


def _villages(row):
    return "；".join(
        f"{a.village.township.name}·{a.village.name}·{a.get_role_display()}" for a in row.assignments
    )


def _terms(row):
    return "；".join(
        f"{a.start_date:%Y-%m-%d}至{a.end_date:%Y-%m-%d}"
        if a.end_date
        else f"{a.start_date:%Y-%m-%d}至{a.planned_end_date:%Y-%m-%d}（计划）"
        for a in row.assignments
    )


def _grades(row):
    """2024年度考核：优秀；2025年期满考核：优秀."""
    return "；".join(
        f"{g.round.year}年{g.round.get_kind_display()}".replace("年年", "年") + f"：{g.get_grade_display()}"
        for g in row.grades
    )


def _reason(reason):
    if reason.kind == outstanding.TERM_END_EXCELLENT:
        return f"{reason.years[0]}年期满考核优秀（{reason.county}）"
    return f"{reason.years[0]}、{reason.years[1]}年连续两年年度考核优秀，任职期满"


def _form(kind, region_label, year):
    period = f"{year}年" if year else "全部年度"
    return {
        "title": f"{region_label}{FORMS[kind]}（{period}）",
        "period": f"考核年度：{period}",
        "filled_on": timezone.localdate(),
    }


def filename(kind, region_label, year):
    return f"{FILE_NAMES[kind]}-{region_label}-{year or '全部年度'}.xlsx"


def build_outstanding(rows, out, *, region_label, year=None):
    """The 优秀干部培养名单 of ``rows`` (``outstanding.outstanding``) written to ``out``."""
    with override(LANGUAGE):
        wb = _workbook()
        form = _form("outstanding", region_label, year)
        sheet = Sheet(wb, "优秀干部培养名单", form.pop("title"), OUTSTANDING_COLUMNS, **form)
        for n, row in enumerate(rows, start=1):
            sheet.append(
                [
                    n,
                    row.cadre.name,
                    row.cadre.get_rank_display(),
                    row.cadre.unit.name,
                    _villages(row),
                    _terms(row),
                    _grades(row),
                    "；".join(_reason(r) for r in row.reasons),
                ]
            )
        sheet.line(
            "列入条件：任职期满后表现突出的，列为优秀干部培养名单，重点关注、及时使用。表现突出指期满考核"
            "（已定稿）评为优秀，或连续两年年度考核（已定稿）评为优秀且任职期满、其间未被召回。"
            f"共 {len(rows)} 人。"
        )
        sheet.sign(*SIGNATURES)
        wb.save(out)
    return len(rows)


def build_deputy_secretary(rows, out, *, region_label, year=None):
    """The list of 副科 eligible for 挂职乡镇党委副书记 (``outstanding.deputy_secretary``)."""
    with override(LANGUAGE):
        wb = _workbook()
        form = _form("deputy_secretary", region_label, year)
        sheet = Sheet(wb, "挂职副书记人选", form.pop("title"), DEPUTY_SECRETARY_COLUMNS, **form)
        for n, row in enumerate(rows, start=1):
            sheet.append(
                [
                    n,
                    row.cadre.name,
                    row.cadre.unit.name,
                    row.cadre.get_rank_display(),
                    _villages(row),
                    row.since,
                    row.months,
                    row.year,
                    _grades(row),
                    row.township.name if row.township else "",
                ]
            )
        sheet.line(
            "列入条件：副科级干部驻村工作满一年（截至考核年度末连续驻村满12个月）后，年度考核（已定稿）"
            "评为优秀的，可安排挂职所在乡镇（街道）党（工）委副书记；正科级干部选派时同步安排挂职，不列入本表。"
            f"共 {len(rows)} 人。"
        )
        sheet.sign(*SIGNATURES)
        wb.save(out)
    return len(rows)


BUILDERS = {"outstanding": build_outstanding, "deputy_secretary": build_deputy_secretary}


def build(kind, appraisals, assignments, out, *, region_label, year=None):
    """Write list ``kind`` for the scoped querysets to ``out``; returns the file name to offer."""
    rows = getattr(outstanding, kind)(appraisals, assignments, year)
    BUILDERS[kind](rows, out, region_label=region_label, year=year)
    return filename(kind, region_label, year)
