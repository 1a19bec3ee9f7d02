"""The two lists that follow from the finalized rounds (seed 001): 优秀干部培养名单 (优秀 at term end,
or 优秀 two years running with the term completed) and the 副科 who may take the township deputy
party secretary post after a year in the village rated 优秀 (appraisal/outstanding.py), their pages
and their Excel forms."""

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal import outstanding
from appraisal.models import Appraisal, AppraisalRound, Grade
from assignments.models import Assignment

D = datetime.date
DEPUTY = "deputy_section"
START = D(2024, 1, 1)


@pytest.fixture
def serve(make_village, make_cadre, dispatch, personas):
    """serve(name, start, end=None, reason=…, township=None, rank=…, unit=None, cadre=None)."""

    def run(
        name="干部",
        start=START,
        end=None,
        reason=Assignment.EndReason.TERM_COMPLETED,
        township=None,
        rank=DEPUTY,
        unit=None,
        cadre=None,
    ):
        cadre = cadre or make_cadre(name=name, rank=rank, unit=unit)
        a = dispatch(cadre, make_village(township=township), start=start)
        if end is not None:
            a.end(
                end, reason, user=personas["county_admin"], note="工作不胜任" if reason == "recalled" else ""
            )
        return a

    return run


@pytest.fixture
def graded(tree, personas):
    """graded(year, kind, {cadre: grade}, state="finalized", county=None) → the round."""

    def run(year, kind, grades, state="finalized", county=None):
        round_, _ = AppraisalRound.objects.get_or_create(
            county=county or tree["county"],
            year=year,
            kind=kind,
            defaults={"created_by": personas["county_admin"], "state": state},
        )
        for cadre, grade in grades.items():
            Appraisal.objects.create(round=round_, cadre=cadre, grade=grade)
        return round_

    return run


def names(rows):
    return [r.cadre.name for r in rows]


def everything(rule, year=None):
    return getattr(outstanding, rule)(Appraisal.objects.all(), Assignment.objects.all(), year)


# --- the deputy secretary list (副科挂职乡镇党委副书记) ------------------------------------------------------
def test_a_deputy_section_head_with_eleven_months_by_the_year_end_is_not_listed_and_one_with_twelve_is(
    serve, graded
):
    twelve = serve("满一年", start=D(2025, 1, 1))
    eleven = serve("差一月", start=D(2025, 1, 2))
    graded(2025, "annual", {twelve.cadre: Grade.EXCELLENT, eleven.cadre: Grade.EXCELLENT})
    rows = everything("deputy_secretary")
    assert names(rows) == ["满一年"]
    assert rows[0].months == 12 and rows[0].since == D(2025, 1, 1) and rows[0].year == 2025
    assert rows[0].township == twelve.village.township


def test_a_section_head_or_a_staff_member_is_never_on_the_deputy_secretary_list(serve, graded):
    section = serve("正科", start=D(2023, 1, 1), rank="section")
    staff = serve("科员", start=D(2023, 1, 1), rank="staff")
    graded(2024, "annual", {section.cadre: Grade.EXCELLENT, staff.cadre: Grade.EXCELLENT})
    assert everything("deputy_secretary") == []


def test_only_excellent_in_a_finalized_annual_round_puts_a_deputy_section_head_on_the_list(serve, graded):
    draft = serve("草稿轮次", start=D(2023, 1, 1))
    competent = serve("称职", start=D(2023, 1, 1))
    term_end = serve("期满轮次", start=D(2023, 1, 1), end=D(2024, 12, 31))
    graded(2024, "annual", {draft.cadre: Grade.EXCELLENT}, state="draft")
    graded(2025, "annual", {competent.cadre: Grade.COMPETENT})
    graded(2024, "term_end", {term_end.cadre: Grade.EXCELLENT})
    assert everything("deputy_secretary") == []


def test_an_adjustment_to_another_township_the_next_day_keeps_the_year_whole_and_the_post_follows_the_cadre(
    serve, graded, tree
):
    first = serve("调整", start=D(2024, 7, 1), end=D(2025, 3, 31), reason=Assignment.EndReason.ADJUSTED)
    serve(cadre=first.cadre, start=D(2025, 4, 1), township=tree["t2"])
    graded(2025, "annual", {first.cadre: Grade.EXCELLENT})
    (row,) = everything("deputy_secretary")
    assert row.months == 18 and row.since == D(2024, 7, 1)
    assert row.township == tree["t2"] and len(row.assignments) == 2


def test_a_year_broken_by_a_gap_does_not_add_up_to_one_year_in_the_village(serve, graded, tree):
    first = serve("中断", start=D(2024, 7, 1), end=D(2025, 1, 31), reason=Assignment.EndReason.ADJUSTED)
    serve(cadre=first.cadre, start=D(2025, 3, 1))
    graded(2025, "annual", {first.cadre: Grade.EXCELLENT})
    assert everything("deputy_secretary") == []


def test_the_year_filter_keeps_the_deputy_secretary_list_to_that_year(serve, graded):
    a = serve("两年", start=D(2024, 1, 1))
    graded(2024, "annual", {a.cadre: Grade.EXCELLENT})
    graded(2025, "annual", {a.cadre: Grade.EXCELLENT})
    assert [r.year for r in everything("deputy_secretary")] == [2025]
    assert everything("deputy_secretary")[0].years == [2024, 2025]
    assert [r.year for r in everything("deputy_secretary", 2024)] == [2024]
    assert everything("deputy_secretary", 2023) == []


# --- the list of outstanding cadres (优秀干部培养名单) -----------------------------------------------------
def test_excellent_in_a_finalized_term_end_round_is_on_the_outstanding_list_and_competent_is_not(
    serve, graded
):
    excellent = serve("期满优秀", start=D(2023, 1, 1), end=D(2024, 12, 31), rank="section")
    competent = serve("期满称职", start=D(2023, 1, 1), end=D(2024, 12, 31), rank="section")
    graded(2024, "term_end", {excellent.cadre: Grade.EXCELLENT, competent.cadre: Grade.COMPETENT})
    (row,) = everything("outstanding")
    assert row.cadre.name == "期满优秀" and row.year == 2024
    assert [(r.kind, r.years) for r in row.reasons] == [(outstanding.TERM_END_EXCELLENT, (2024,))]
    assert [(g.round.year, g.grade) for g in row.grades] == [(2024, Grade.EXCELLENT)]
    assert [a.pk for a in row.assignments] == [excellent.pk]


def test_a_draft_term_end_round_does_not_put_anyone_on_the_outstanding_list(serve, graded):
    a = serve("草稿期满", start=D(2023, 1, 1), end=D(2024, 12, 31))
    graded(2024, "term_end", {a.cadre: Grade.EXCELLENT}, state="draft")
    assert everything("outstanding") == []


def test_two_years_excellent_with_the_term_completed_is_on_the_outstanding_list_once_with_both_reasons(
    serve, graded
):
    both = serve("两者皆是", start=D(2023, 1, 1), end=D(2024, 12, 31))
    pair_only = serve("连续两年", start=D(2023, 1, 1), end=D(2024, 12, 31))
    still_serving = serve("仍在任", start=D(2023, 1, 1))
    for year in (2023, 2024):
        graded(
            year,
            "annual",
            {c.cadre: Grade.EXCELLENT for c in (both, pair_only, still_serving)},
        )
    graded(2024, "term_end", {both.cadre: Grade.EXCELLENT, pair_only.cadre: Grade.COMPETENT})
    rows = everything("outstanding")
    assert names(rows) == ["两者皆是", "连续两年"]
    assert {r.kind for r in rows[0].reasons} == {
        outstanding.TERM_END_EXCELLENT,
        outstanding.TWO_YEARS_EXCELLENT,
    }
    assert [(r.kind, r.years) for r in rows[1].reasons] == [(outstanding.TWO_YEARS_EXCELLENT, (2023, 2024))]
    assert [g.round.year for g in rows[1].grades] == [2023, 2024, 2024]


def test_the_year_filter_keeps_the_outstanding_list_to_the_year_that_lists_them(serve, graded):
    a = serve("二〇二四", start=D(2022, 1, 1), end=D(2023, 12, 31))
    b = serve("二〇二五", start=D(2024, 1, 1), end=D(2025, 12, 31))
    graded(2023, "term_end", {a.cadre: Grade.EXCELLENT})
    graded(2025, "term_end", {b.cadre: Grade.EXCELLENT})
    assert names(everything("outstanding")) == ["二〇二五", "二〇二四"]
    assert names(everything("outstanding", 2023)) == ["二〇二四"]


# --- who sees what ----------------------------------------------------------------------------------
@pytest.fixture
def both_lists(serve, graded, tree):
    """In 沐浴店镇 (t1): a cadre of the liaison's unit and one of another unit, on both lists."""
    own = serve("本单位", start=D(2024, 1, 1), end=D(2025, 12, 31))
    other = serve("外单位", start=D(2024, 1, 1), end=D(2025, 12, 31), unit=tree["other_unit"])
    graded(2025, "annual", {own.cadre: Grade.EXCELLENT, other.cadre: Grade.EXCELLENT})
    graded(2025, "term_end", {own.cadre: Grade.EXCELLENT, other.cadre: Grade.EXCELLENT})
    return own, other


def _listed(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    return sorted(r.cadre.name for r in response.context["rows"])


@pytest.mark.parametrize("name", ["appraisal:outstanding", "appraisal:deputy_secretary"])
@pytest.mark.parametrize(
    "persona,expected",
    [
        ("county_admin", ["外单位", "本单位"]),
        ("viewer", ["外单位", "本单位"]),
        ("province", ["外单位", "本单位"]),
        ("clerk", ["外单位", "本单位"]),
        ("other_clerk", []),
        ("other_admin", []),
        ("liaison", ["本单位"]),
    ],
)
def test_each_persona_sees_on_the_lists_only_the_cadres_of_its_jurisdiction(
    both_lists, personas, client_for, name, persona, expected
):
    assert _listed(client_for(personas[persona]), name) == expected


def test_the_pages_show_the_unit_rank_villages_grades_and_township(both_lists, personas, client_for):
    own, _other = both_lists
    client = client_for(personas["county_admin"])
    for name in ("appraisal:outstanding", "appraisal:deputy_secretary"):
        text = client.get(reverse(name), {"year": 2025}).content.decode()
        assert own.cadre.name in text and own.cadre.unit.name in text
        assert own.village.name in text and own.village.township.name in text
        assert "2024-01-01" in text and "2025-12-31" in text
    # An unknown year filters nothing; a year without a round lists nobody.
    assert len(client.get(reverse("appraisal:outstanding"), {"year": "x"}).context["rows"]) == 2
    assert client.get(reverse("appraisal:deputy_secretary"), {"year": 2020}).context["rows"] == []


def test_the_round_list_links_both_lists(personas, client_for):
    text = client_for(personas["county_admin"]).get(reverse("appraisal:rounds")).content.decode()
    assert reverse("appraisal:outstanding") in text and reverse("appraisal:deputy_secretary") in text


# --- the Excel forms --------------------------------------------------------------------------------
def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(values) if r[0] == "序号")
    body = []
    for r in values[header + 1 :]:
        if not isinstance(r[0], int):
            break
        body.append(r)
    return values, values[header], body


def test_the_outstanding_export_is_a_form_with_one_row_per_cadre_and_why(both_lists, personas, client_for):
    own, _other = both_lists
    response = client_for(personas["liaison"]).get(reverse("excel:outstanding_list"), {"year": 2025})
    values, header, body = _sheet(response)
    assert "优秀干部培养名单" in values[0][0] and "2025" in values[0][0]
    assert values[1][0].startswith("填报单位（盖章）") and any("填报日期" in str(v) for v in values[1] if v)
    assert header[:4] == ["序号", "姓名", "职级", "派出单位"]
    assert [(r[0], r[1], r[3]) for r in body] == [(1, "本单位", own.cadre.unit.name)]
    row = body[0]
    assert own.village.name in row[4] and "2024-01-01至2025-12-31" in row[5]
    assert "2025年期满考核：优秀" in row[6] and "2025年期满考核优秀" in row[7]
    assert any("填表人" in str(r[0]) for r in values[-3:] if r and r[0])


def test_the_deputy_secretary_export_lists_the_township_of_the_post_and_the_months(
    both_lists, personas, client_for
):
    own, other = both_lists
    response = client_for(personas["county_admin"]).get(reverse("excel:deputy_secretary_list"))
    values, header, body = _sheet(response)
    assert "挂职" in values[0][0] and "全部年度" in values[0][0]
    assert sorted(r[1] for r in body) == ["外单位", "本单位"]
    by_name = {r[1]: dict(zip(header, r, strict=False)) for r in body}
    assert by_name["本单位"]["拟挂职乡镇（街道）"] == own.village.township.name
    assert by_name["本单位"]["截至考核年度末驻村月数"] == 24
    assert by_name["本单位"]["考核年度"] == 2025


def test_another_townships_clerk_exports_an_empty_form(both_lists, personas, client_for):
    response = client_for(personas["other_clerk"]).get(reverse("excel:deputy_secretary_list"))
    _values, _header, body = _sheet(response)
    assert body == []


# --- constant queries ---------------------------------------------------------------------------------
def _population(n, serve, graded, tree):
    cadres = []
    for i in range(n):
        unit = tree["unit"] if i % 2 else tree["other_unit"]
        a = serve(f"干部{i:02d}", start=D(2024, 1, 1), end=D(2025, 12, 31), unit=unit)
        cadres.append(a.cadre)
    graded(2024, "annual", dict.fromkeys(cadres, Grade.EXCELLENT))
    graded(2025, "annual", dict.fromkeys(cadres, Grade.EXCELLENT))
    graded(2025, "term_end", dict.fromkeys(cadres, Grade.EXCELLENT))


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize(
    "name",
    [
        "appraisal:outstanding",
        "appraisal:deputy_secretary",
        "excel:outstanding_list",
        "excel:deputy_secretary_list",
    ],
)
@pytest.mark.parametrize("persona", ["county_admin", "clerk", "liaison"])
def test_the_lists_and_their_exports_run_the_same_queries_for_2_or_20_rows(
    serve, graded, tree, personas, client_for, name, persona
):
    client = client_for(personas[persona])
    _population(2, serve, graded, tree)
    small, _ = _queries(client, reverse(name))
    _population(18, serve, graded, tree)
    large, response = _queries(client, reverse(name))
    if name.startswith("appraisal:"):
        assert len(response.context["rows"]) == (10 if persona == "liaison" else 20)
    assert large == small, (small, large)


def test_two_years_excellent_are_listed_in_the_year_the_term_was_completed(serve, graded):
    a = serve("次年期满", start=D(2023, 3, 2), end=D(2025, 3, 1))
    graded(2023, "annual", {a.cadre: Grade.EXCELLENT})
    graded(2024, "annual", {a.cadre: Grade.EXCELLENT})
    (row,) = everything("outstanding", 2025)
    assert row.year == 2025 and [r.years for r in row.reasons] == [(2023, 2024)]
    assert everything("outstanding", 2024) == []
