"""Issue 12, items 12–15: a person is appraised (not an assignment); the quota by kind of round; a round
closed honestly with its shortfall; 不确定等次 with its own reason; contradicting ratios refused; the
promotion list and the village targets (the promotion list tests are in test_appraisal.py)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from accounts import access
from appraisal import merging, rules, targets
from appraisal.models import Appraisal, AppraisalRound, Grade, VillageResult
from assignments.models import AttendanceRecord, AttendanceSheet, Policy, SpotCheck
from excel import exports

D = datetime.date
YEAR = 2025


def span_months(*spans):
    return rules.months_served([(D(*a), D(*b)) for a, b in spans], YEAR)


# --- months served: exact calendar months ---------------------------------------------------------
def test_1_january_to_30_june_is_six_months():
    assert span_months(((2025, 1, 1), (2025, 6, 30))) == 6


@pytest.mark.parametrize(
    ("first", "last", "months"),
    [
        ((2025, 1, 1), (2025, 6, 29), 5),  # one day short of six months
        ((2025, 1, 1), (2025, 12, 31), 12),
        ((2025, 3, 15), (2025, 4, 14), 1),  # mid-month to the day before the same day
        ((2025, 3, 15), (2025, 4, 13), 0),
        ((2025, 1, 31), (2025, 2, 28), 1),  # no 31 February: to the end of February is a month
        ((2025, 2, 1), (2025, 2, 28), 1),  # a short month is still a month
        ((2024, 7, 1), (2026, 6, 30), 12),  # clipped to the year
    ],
)
def test_months_served_count_whole_calendar_months_by_date(first, last, months):
    assert span_months((first, last)) == months


def test_months_served_add_up_across_two_assignments_that_touch():
    # Adjusted on 15 March, serving the next village from 16 March: one unbroken stretch.
    assert span_months(((2025, 1, 1), (2025, 3, 15)), ((2025, 3, 16), (2025, 6, 30))) == 6


def test_leftover_days_of_separate_assignments_add_up_to_a_month_only_at_31_days():
    # 1 Jan – 15 Feb: 1 month + 15 days; 1 Apr – 16 May: 1 month + 16 days → 2 months + 31 days = 3.
    assert span_months(((2025, 1, 1), (2025, 2, 15)), ((2025, 4, 1), (2025, 5, 16))) == 3
    # one day fewer → 30 leftover days, still 2
    assert span_months(((2025, 1, 1), (2025, 2, 15)), ((2025, 4, 1), (2025, 5, 15))) == 2


def test_overlapping_spans_are_not_counted_twice():
    assert span_months(((2025, 1, 1), (2025, 6, 30)), ((2025, 3, 1), (2025, 4, 30))) == 6


# --- one person, several assignments ---------------------------------------------------------------
@pytest.fixture
def adjusted(tree, make_village, make_cadre, dispatch, personas):
    """A cadre adjusted mid-2025 from a village of 沐浴店镇 (t1) to one of 团旺镇 (t2): 1 January – 31 March
    and 1 April – 30 June, three months each, plus ten colleagues serving all year."""
    cadre = make_cadre(name="调整者", birth=D(1980, 3, 3))
    first = dispatch(cadre, make_village(tree["t1"]), start=D(2024, 6, 1))
    first.end(D(2025, 3, 31), "adjusted", user=personas["county_admin"])
    second = dispatch(cadre, make_village(tree["t2"]), start=D(2025, 4, 1))
    second.end(D(2025, 6, 30), "other", user=personas["county_admin"])
    others = [
        dispatch(
            make_cadre(name=f"书记{i}", birth=D(1975, 1, 1) + datetime.timedelta(days=40 * i)),
            make_village(),
            start=D(2024, 6, 1),
        )
        for i in range(10)
    ]
    return {"cadre": cadre, "first": first, "second": second, "others": others}


def start(personas, tree, kind="annual", year=YEAR):
    return AppraisalRound.start(tree["county"], year, kind, personas["county_admin"])


def facts_of(round_, cadre):
    appraisals = list(round_.appraisals.select_related("cadre"))
    facts, _policy = rules.facts_for(round_, appraisals)
    return facts[next(a.pk for a in appraisals if a.cadre_id == cadre.pk)]


def test_a_cadre_adjusted_mid_year_is_appraised_once_over_both_assignments(personas, tree, adjusted):
    round_ = start(personas, tree)
    assert round_.appraisals.filter(cadre=adjusted["cadre"]).count() == 1
    assert round_.appraisals.count() == 11  # one person in the quota base, not two
    row = round_.appraisals.get(cadre=adjusted["cadre"])
    # three months in each village: six together, enough to be graded (each alone would not be)
    assert row.grade == "" and row.ungraded_reason == ""
    f = facts_of(round_, adjusted["cadre"])
    assert f.months_served == 6 and [a.pk for a in f.assignments] == [
        adjusted["first"].pk,
        adjusted["second"].pk,
    ]
    assert (
        rules.quota(
            list(round_.appraisals.all()),
            rules.facts_for(round_, list(round_.appraisals.all()))[0],
            Policy.effective_for(tree["county"]),
        ).graded
        == 11
    )


def test_one_day_short_of_six_months_over_two_assignments_leaves_the_cadre_ungraded(personas, tree, adjusted):
    second = adjusted["second"]
    second.end_date = D(2025, 6, 29)
    second.save(update_fields=["end_date"])
    row = start(personas, tree).appraisals.get(cadre=adjusted["cadre"])
    assert row.grade == Grade.UNGRADED and "5" in row.ungraded_reason


def test_a_recall_of_the_first_of_two_assignments_rules_out_excellent(
    personas, tree, make_village, make_cadre, dispatch
):
    cadre = make_cadre(name="召回者")
    first = dispatch(cadre, make_village(tree["t1"]), start=D(2024, 6, 1))
    first.recall(D(2025, 2, 28), "群众不满意", personas["county_admin"])
    dispatch(cadre, make_village(tree["t2"]), start=D(2025, 3, 1))
    round_ = start(personas, tree)
    f = facts_of(round_, cadre)
    assert f.recalled and f.cap == Grade.COMPETENT and not f.allows_excellent
    row = round_.appraisals.get(cadre=cadre)
    assert "召回者" in rules.save_grades(round_, {row.pk: ("95", Grade.EXCELLENT, "")})[0]


def test_spot_checks_attendance_and_inspections_add_up_over_the_persons_assignments(personas, tree, adjusted):
    for a, day in ((adjusted["first"], D(2025, 2, 11)), (adjusted["second"], D(2025, 5, 13))):
        SpotCheck.objects.create(
            assignment=a,
            date=day,
            method="unannounced",
            found_present=False,
            checked_by=personas["county_admin"],
        )
    for township, a, month in (
        (tree["t1"], adjusted["first"], D(2025, 3, 1)),
        (tree["t2"], adjusted["second"], D(2025, 4, 1)),
    ):
        sheet = AttendanceSheet.objects.create(township=township, month=month)
        AttendanceRecord.objects.create(sheet=sheet, assignment=a, days="P" * 10 + "A" * 20, required_days=20)
    f = facts_of(start(personas, tree), adjusted["cadre"])
    assert f.unexcused == 2 and f.cap == Grade.BASIC  # twice away without leave: at most 基本称职
    assert f.months_recorded == 2 and f.months_below == 2 and f.present_days == 20


def test_the_round_page_shows_one_row_per_person_with_both_villages(personas, tree, adjusted, client_for):
    round_ = start(personas, tree)
    page = client_for(personas["county_admin"]).get(round_.get_absolute_url()).content.decode()
    assert page.count("调整者") == 1
    assert adjusted["first"].village.name in page and adjusted["second"].village.name in page


def test_a_township_sees_the_appraisal_of_a_cadre_who_served_there_that_year(personas, tree, adjusted):
    round_ = start(personas, tree)
    row = round_.appraisals.get(cadre=adjusted["cadre"])
    colleague = round_.appraisals.get(cadre=adjusted["others"][0].cadre)  # serves in t1 only
    clerk_t1 = access.scope(personas["clerk"], Appraisal.objects.all())
    clerk_t2 = access.scope(personas["other_clerk"], Appraisal.objects.all())
    assert row in clerk_t1 and row in clerk_t2  # adjusted from t1 to t2: both townships
    assert colleague in clerk_t1 and colleague not in clerk_t2
    assert not access.scope(personas["other_admin"], Appraisal.objects.all()).exists()
    assert row in access.scope(personas["liaison"], Appraisal.objects.all())  # the unit's own cadre


# --- the merge of the migration ----------------------------------------------------------------
def row(id, grade="", score=None, reason="", comments="", assignment=None, updated=0):
    return {
        "id": id,
        "round_id": 1,
        "cadre_id": 7,
        "assignment_id": assignment or id * 10,
        "grade": grade,
        "score": score,
        "ungraded_reason": reason,
        "comments": comments,
        "updated_at": updated,
    }


def test_the_merge_keeps_the_graded_row_every_comment_and_the_ungraded_reason():
    kept, deleted = merging.merge(
        [
            row(1, "ungraded", reason="任职不满半年", comments="前村评语"),
            row(2, "competent", Decimal("82.00"), comments="后村评语"),
        ]
    )
    assert kept["id"] == 2 and deleted == [1]
    assert kept["grade"] == "competent" and kept["ungraded_reason"] == ""
    assert "后村评语" in kept["comments"] and "前村评语" in kept["comments"]
    assert "任职不满半年" in kept["comments"]  # the reason survives, in the comments of a graded row


def test_the_merge_prefers_a_grade_then_a_score_then_the_latest():
    assert merging.merge([row(1, score=Decimal(90)), row(2, "basic")])[0]["id"] == 2
    assert merging.merge([row(1), row(2, score=Decimal(70))])[0]["id"] == 2
    assert merging.merge([row(1, "competent", updated=2), row(2, "excellent", updated=1)])[0]["id"] == 1
    kept, _ = merging.merge(
        [row(1, "competent", updated=2, comments="甲"), row(2, "excellent", updated=1, comments="乙")]
    )
    assert (
        "优秀" in kept["comments"] and "乙" in kept["comments"]
    )  # the other grade is noted with its comment


def test_the_merge_of_two_ungraded_rows_keeps_both_reasons():
    kept, deleted = merging.merge([row(1, "ungraded", reason="理由一"), row(2, "ungraded", reason="理由二")])
    assert deleted and kept["grade"] == "ungraded"
    assert "理由一" in kept["ungraded_reason"] and "理由二" in kept["ungraded_reason"]


def test_the_merge_leaves_one_row_per_cadre_and_round():
    rows = [row(1, "competent"), row(2), {**row(3), "cadre_id": 8}, {**row(4), "round_id": 2}]
    changed, deleted = merging.merge_all(rows)
    assert deleted == [2] and changed == []
    # rows whose cadre could not be found are never merged with each other
    assert merging.merge_all([{**row(5), "cadre_id": None}, {**row(6), "cadre_id": None}]) == ([], [])


# --- the quota by kind of round ---------------------------------------------------------------------
def test_a_term_end_round_has_no_30_percent_minimum_by_default(personas, tree, adjusted):
    for a in adjusted["others"]:
        a.planned_end_date = D(2025, 12, 31)
        a.save(update_fields=["planned_end_date"])
    round_ = start(personas, tree, kind="term_end")
    assert round_.appraisals.count() == 10
    appraisals = list(round_.appraisals.all())
    facts, policy = rules.facts_for(round_, appraisals)
    q = rules.quota(appraisals, facts, policy, round_.kind)
    assert q.min_needed == 0 and q.max_allowed is None and "期满" in q.setting
    annual = rules.quota(appraisals, facts, policy, AppraisalRound.Kind.ANNUAL)
    assert annual.min_needed == 3


def test_a_term_end_round_uses_its_own_ratios(personas, tree, adjusted, client_for):
    Policy.objects.create(
        region=tree["county"],
        term_end_excellent_min_ratio=Decimal("0.2"),
        term_end_excellent_max_ratio=Decimal("0.3"),
    )
    for a in adjusted["others"]:
        a.planned_end_date = D(2025, 12, 31)
        a.save(update_fields=["planned_end_date"])
    round_ = start(personas, tree, kind="term_end")
    round_.appraisals.update(grade=Grade.COMPETENT)
    with pytest.raises(ValidationError) as exc:
        round_.finalize(personas["county_admin"])
    assert any("期满" in m or "term-end" in m for m in exc.value.messages)
    ids = list(round_.appraisals.values_list("pk", flat=True)[:4])
    round_.appraisals.filter(pk__in=ids).update(grade=Grade.EXCELLENT)  # 4 of 10 > 30 %
    with pytest.raises(ValidationError):
        round_.finalize(personas["county_admin"])
    round_.appraisals.filter(pk=ids[0]).update(grade=Grade.COMPETENT)
    round_.finalize(personas["county_admin"])
    page = client_for(personas["county_admin"]).get(round_.get_absolute_url()).content.decode()
    assert "莱阳市" in page and "期满考核" in page


# --- a round closed honestly --------------------------------------------------------------------
@pytest.fixture
def capped_round(personas, tree, adjusted):
    """Ten colleagues serving all 2025; eight were found away by a spot check, so only two may be
    excellent while the quota needs three of ten (the adjusted cadre is left out by a grade)."""
    for a in adjusted["others"][:8]:
        SpotCheck.objects.create(
            assignment=a,
            date=D(2025, 5, 6),
            method="phone",
            found_present=False,
            checked_by=personas["clerk"],
        )
    round_ = start(personas, tree)
    round_.appraisals.filter(cadre=adjusted["cadre"]).update(grade=Grade.UNGRADED, ungraded_reason="病休")
    return round_


def test_finalizing_records_the_shortfall_and_who_was_capped_when_the_caps_leave_too_few(
    personas, capped_round, adjusted
):
    round_ = capped_round
    free = [a.cadre_id for a in adjusted["others"][8:]]
    round_.appraisals.exclude(grade=Grade.UNGRADED).update(grade=Grade.COMPETENT)
    round_.appraisals.filter(cadre__in=free[:1]).update(grade=Grade.EXCELLENT)
    with pytest.raises(ValidationError) as exc:  # one who may be excellent is not: not honest yet
        round_.finalize(personas["county_admin"])
    assert any("2" in m and "3" in m for m in exc.value.messages)
    round_.appraisals.filter(cadre__in=free).update(grade=Grade.EXCELLENT)
    round_.finalize(personas["county_admin"])
    round_.refresh_from_db()
    assert round_.state == "finalized" and round_.shortfall == 1
    assert len(round_.shortfall_reasons) == 8
    assert {r["name"] for r in round_.shortfall_reasons} == {f"书记{i}" for i in range(8)}
    assert all(r["reasons"] for r in round_.shortfall_reasons)


def test_the_round_page_and_the_export_show_the_shortfall(personas, capped_round, adjusted, client_for):
    round_ = capped_round
    round_.appraisals.exclude(grade=Grade.UNGRADED).update(grade=Grade.COMPETENT)
    round_.appraisals.filter(cadre__in=[a.cadre_id for a in adjusted["others"][8:]]).update(
        grade=Grade.EXCELLENT
    )
    client = client_for(personas["county_admin"])
    response = client.post(reverse("appraisal:round_action", args=[round_.pk, "finalize"]), follow=True)
    page = response.content.decode()
    assert 'id="shortfall"' in page and "书记0" in page
    round_.refresh_from_db()
    out = io.BytesIO()
    exports.build(
        "appraisal",
        lambda qs: access.scope(personas["county_admin"], qs),
        out,
        region_label="莱阳市",
        round_=round_,
    )
    out.seek(0)
    text = " ".join(str(c) for r in load_workbook(out).active.iter_rows(values_only=True) for c in r if c)
    assert "缺口 1 人" in text and "缺口原因：书记0" in text


def test_reopening_clears_the_recorded_shortfall(personas, capped_round, adjusted):
    round_ = capped_round
    round_.appraisals.exclude(grade=Grade.UNGRADED).update(grade=Grade.COMPETENT)
    round_.appraisals.filter(cadre__in=[a.cadre_id for a in adjusted["others"][8:]]).update(
        grade=Grade.EXCELLENT
    )
    round_.finalize(personas["county_admin"])
    round_.reopen(personas["county_admin"], "复核")
    round_.refresh_from_db()
    assert round_.shortfall == 0 and round_.shortfall_reasons == []


def test_a_round_without_a_forced_shortfall_records_none(personas, tree, adjusted):
    round_ = start(personas, tree)
    rows = list(round_.appraisals.exclude(grade=Grade.UNGRADED).order_by("pk"))
    Appraisal.objects.filter(pk__in=[r.pk for r in rows]).update(grade=Grade.COMPETENT)
    Appraisal.objects.filter(pk__in=[r.pk for r in rows[:4]]).update(grade=Grade.EXCELLENT)
    round_.finalize(personas["county_admin"])
    assert AppraisalRound.objects.get(pk=round_.pk).shortfall == 0


# --- 不确定等次 by hand, with its own reason ------------------------------------------------------
def test_ungraded_by_hand_needs_its_own_reason(personas, tree, adjusted, client_for):
    round_ = start(personas, tree)
    row = round_.appraisals.get(cadre=adjusted["others"][0].cadre)
    problems = rules.save_grades(round_, {row.pk: ("", Grade.UNGRADED, "评语", "")})
    assert problems and "书记0" in problems[0]
    client = client_for(personas["county_admin"])
    client.post(
        reverse("appraisal:round_action", args=[round_.pk, "save"]),
        {f"grade-{row.pk}": "ungraded", f"reason-{row.pk}": "长期病休", f"comments-{row.pk}": "评语"},
    )
    row.refresh_from_db()
    assert (row.grade, row.ungraded_reason, row.comments) == (Grade.UNGRADED, "长期病休", "评语")
    # a reason together with a grade is refused; clearing the reason grades the cadre
    assert rules.save_grades(round_, {row.pk: ("", Grade.COMPETENT, "评语", "长期病休")})
    assert rules.save_grades(round_, {row.pk: ("", Grade.COMPETENT, "评语", "")}) == []
    row.refresh_from_db()
    assert (row.grade, row.ungraded_reason) == (Grade.COMPETENT, "")


def test_the_database_keeps_a_reason_only_on_an_ungraded_appraisal(personas, tree, adjusted):
    from django.db import IntegrityError, transaction

    row = start(personas, tree).appraisals.get(cadre=adjusted["others"][0].cadre)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appraisal.objects.filter(pk=row.pk).update(grade=Grade.EXCELLENT, ungraded_reason="理由")


# --- contradicting settings are refused when saved ----------------------------------------------------
def test_a_county_maximum_below_the_province_minimum_is_refused_naming_both_regions(tree):
    Policy.objects.create(region=tree["province"], excellent_min_ratio=Decimal("0.30"))
    county = Policy(region=tree["county"], excellent_max_ratio=Decimal("0.20"))
    with pytest.raises(ValidationError) as exc:
        county.full_clean()
    message = " ".join(exc.value.messages)
    assert "山东省" in message and "莱阳市" in message
    assert "excellent_max_ratio" in exc.value.message_dict
    Policy(region=tree["county"], excellent_max_ratio=Decimal("0.30")).full_clean()  # equal is fine


def test_a_province_minimum_above_a_county_maximum_is_refused_naming_both_regions(tree):
    Policy.objects.create(
        region=tree["county"], excellent_min_ratio=Decimal("0.10"), excellent_max_ratio=Decimal("0.20")
    )
    province = Policy(region=tree["province"], excellent_min_ratio=Decimal("0.25"))
    province.full_clean()  # the county's own minimum applies there: no contradiction
    Policy.objects.filter(region=tree["county"]).update(excellent_min_ratio=None)
    with pytest.raises(ValidationError) as exc:
        province.full_clean()
    message = " ".join(exc.value.messages)
    assert "山东省" in message and "莱阳市" in message


def test_term_end_ratios_that_contradict_are_refused_and_the_default_counts_as_a_minimum(tree):
    Policy.objects.create(region=tree["city"], term_end_excellent_min_ratio=Decimal("0.40"))
    with pytest.raises(ValidationError) as exc:
        Policy(region=tree["county"], term_end_excellent_max_ratio=Decimal("0.35")).full_clean()
    assert "烟台市" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):  # the annual default minimum is 30 %
        Policy(region=tree["county"], excellent_max_ratio=Decimal("0.25")).full_clean()
    Policy(region=tree["county"], excellent_max_ratio=Decimal("0")).full_clean()  # 0 = no maximum


def test_the_admin_refuses_contradicting_settings(tree, personas, client_for):
    Policy.objects.create(region=tree["province"], excellent_min_ratio=Decimal("0.30"))
    client = client_for(personas["county_admin"])
    response = client.post(
        reverse("admin:assignments_policy_add"), {"region": tree["county"].pk, "excellent_max_ratio": "0.200"}
    )
    assert response.status_code == 200 and not Policy.objects.filter(region=tree["county"]).exists()
    assert "山东省" in response.content.decode()


# --- village targets: every part ------------------------------------------------------------------
def result(village, year, income, **kw):
    return VillageResult(village=village, year=year, collective_income=Decimal(income), **kw)


@pytest.mark.parametrize(
    ("last_year", "this_year", "met"),
    [
        (100000, 130000, True),  # +30,000 and ≥ 100,000
        (80000, 120000, True),  # +40,000 and ≥ 100,000
        (120000, 140000, False),  # ≥ 100,000 but only +20,000
        (50000, 95000, False),  # +45,000 but below 100,000
        (70000, 99999, False),
    ],
)
def test_the_income_target_needs_both_the_growth_and_the_floor(make_village, last_year, this_year, met):
    v = make_village()
    checks = targets.check(result(v, 2025, this_year), result(v, 2024, last_year), v)
    expected = this_year - last_year >= 30000 and this_year >= 100000
    assert checks[0][1] is expected
    if met:
        assert checks[0][1] is True


def test_the_income_target_missing_the_floor_is_missed_even_without_last_year(make_village):
    v = make_village()
    assert targets.check(result(v, 2025, 90000), None, v)[0][1] is False
    assert targets.check(result(v, 2025, 150000), None, v)[0][1] is None  # growth cannot be judged


def test_party_members_and_reserve_cadres_both_count_over_the_term(make_village):
    v = make_village()
    one = result(v, 2024, 150000, party_members_developed=1, reserve_cadres=1)
    two = result(v, 2025, 150000, party_members_developed=0, reserve_cadres=1)
    party_row = 3
    assert targets.check(two, one, v, [one, two])[party_row][1] is False  # 1 member, 2 reserve cadres
    two.reserve_cadres = 2
    assert targets.check(two, one, v, [one, two])[party_row][1] is True  # 1 member, 3 reserve cadres
    lone = result(v, 2025, 150000, party_members_developed=0, reserve_cadres=4)
    assert targets.check(lone, None, v)[party_row][1] is False  # no party member developed


def test_livelihood_projects_and_household_visits(make_village):
    v = make_village()
    r = result(v, 2025, 150000, livelihood_projects=2, households_visited_pct=99)
    assert [met for _t, met, _d in targets.check(r, None, v)][1:3] == [False, False]
    r.livelihood_projects, r.households_visited_pct = 3, 100
    assert [met for _t, met, _d in targets.check(r, None, v)][1:3] == [True, True]
