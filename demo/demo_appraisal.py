"""Demo appraisal data: half-year inspections, village results, finalized rounds for the two years
before last, and last year's annual round started: the county has typed the year-end scores, the
townships and the dispatching units are giving their opinions before the deadline and the townships
have entered most 民主测评; the demo county scores by weights 30/50/20 (POLICY.md "Appraisal")."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Coalesce

from accounts.models import User
from appraisal import rules
from appraisal.models import Appraisal, AppraisalRound, Grade, Inspection, Opinion, VillageResult
from assignments.models import Assignment, Policy, SpotCheck
from villages.models import Village

# The demo county's own term-end settings (期满考核): at least 20 %, at most 50 % rated excellent.
TERM_END_SETTINGS = {
    "term_end_excellent_min_ratio": Decimal("0.200"),
    "term_end_excellent_max_ratio": Decimal("0.500"),
}
# The demo county scores its appraisal by weights: half-year inspections 30 %, the year-end
# assessment score 50 %, the 民主测评 20 % (appraisal/scoring.py).
SCORE_WEIGHTS = {"score_weight_inspections": 30, "score_weight_annual": 50, "score_weight_assessment": 20}
OPINION_TEXTS = {
    "excellent": ["吃住在村，带领群众发展产业成效明显，群众满意度高", "工作扎实，村集体经济增收显著"],
    "competent": ["能够履职尽责，按时在岗，工作稳步推进", "走访群众较为深入，项目推进正常"],
    "basic": ["在岗时间偏少，工作主动性有待加强"],
}
SURPRISE_NOTE = "县委组织部突击暗访：不在岗，未请假"

DEMO_COUNTY_CODE6 = "370682"  # demo.demo.DEMO_COUNTY (not imported: demo imports this module)
RATING_WEIGHTS = [("good", 78), ("fair", 19), ("poor", 3)]
COMMENTS = {
    "good": ["吃住在村，走访到户", "群众评价高", "严守纪律，按时在岗", "项目推进有力"],
    "fair": ["走访覆盖面有待提高", "工作方法需改进", "项目进度偏慢"],
    "poor": ["多次不在岗", "群众反映较大", "实绩不明显"],
}


def _rating(rng):
    roll, total = rng.random() * 100, 0
    for rating, weight in RATING_WEIGHTS:
        total += weight
        if roll < total:
            return rating
    return "good"


def seed(builder, plans):
    """Called by DemoBuilder.build(); idempotent (rounds, inspections and results have natural keys)."""
    today = builder.today
    years = [today.year - 3, today.year - 2]  # finalized; today.year - 1 is left to be run
    admin = builder.admin_user
    for plan in plans:
        county = builder.regions.get(f"{plan.code6}000000")
        if county is None or admin is None:
            continue
        with transaction.atomic():
            _inspections(builder, county, admin, today)
            _results(builder, county, admin, today)
            for year in years:
                _finalized_round(builder, county, year, admin)
            if plan.code6 == DEMO_COUNTY_CODE6:
                _term_end_round_with_shortfall(builder, county, today.year - 1, admin)
                _open_round(builder, county, today.year - 1, admin)
                # Scored by weights from now on (the finalized rounds above were graded before).
                Policy.objects.update_or_create(region=county, defaults=SCORE_WEIGHTS)


def adjust_mid_year(builder, plans):
    """One cadre of the demo county adjusted mid-year (调整): a team member whose assignment ended
    ``adjusted`` last year is sent on the next day to a village of another township, so that one
    person has two assignments in the county that year and is appraised once (issue 12). Called by
    DemoBuilder.build() after the assignments and before the attendance; idempotent."""
    admin = builder.admin_user
    for plan in plans:
        county = builder.regions.get(f"{plan.code6}000000")
        if plan.code6 != DEMO_COUNTY_CODE6 or county is None or admin is None:
            continue
        year = builder.today.year - 1
        ended = list(
            Assignment.objects.in_region(county)
            .filter(end_reason=Assignment.EndReason.ADJUSTED, end_date__year=year)
            .select_related("cadre", "village__township")
            .order_by("end_date", "pk")
        )
        for first in ended:
            if Assignment.objects.filter(cadre=first.cadre, start_date__gt=first.end_date).exists():
                return  # already adjusted into a second village
        for first in ended:
            nxt = first.end_date + datetime.timedelta(days=1)
            villages = (
                Assignment.objects.in_region(county)
                .serving_on(nxt)
                .filter(role=Assignment.Role.FIRST_SECRETARY, village__categories__contains=["poverty_exit"])
                .exclude(village__township=first.village.township)
                .select_related("village__township")
                .order_by("village__code")
            )
            for secretary in villages[:10]:
                try:
                    Assignment.dispatch(
                        cadre=first.cadre,
                        village=secretary.village,
                        role=Assignment.Role.TEAM_MEMBER,
                        start_date=nxt,
                        user=admin,
                        batch=f"{year}年调整",
                        dispatch_level=first.dispatch_level,
                    )
                except ValidationError:
                    continue
                builder._count("cadres adjusted mid-year", 1)
                return


def _term_end_round_with_shortfall(builder, county, year, admin):
    """A term-end round (期满考核) under the county's own settings, closed with a recorded shortfall:
    in the January before their terms ended, an unannounced visit (突击暗访, seed 003: "only 1 of 10
    first secretaries was found on post") found most of them away without leave, so the grade caps
    leave fewer who may be excellent than the county's 20 % minimum needs."""
    policy, _new = Policy.objects.get_or_create(region=county)
    if all(getattr(policy, k) is None for k in TERM_END_SETTINGS):
        for k, v in TERM_END_SETTINGS.items():
            setattr(policy, k, v)
        policy.full_clean()
        policy.save()
    probe = AppraisalRound(county=county, year=year, kind=AppraisalRound.Kind.TERM_END)
    ending = list(
        rules.covered_assignments(probe).filter(role=Assignment.Role.FIRST_SECRETARY).order_by("pk")
    )
    day = datetime.date(year, 1, 13)
    while day.weekday() != 2:  # a Wednesday in mid-January: a working day, no holiday
        day += datetime.timedelta(days=1)
    checks = []
    for i, a in enumerate(ending):  # written again if the spot checks were cleared (idempotent)
        if not a.is_serving_on(day) or SpotCheck.objects.filter(assignment=a, date=day).exists():
            continue
        checks.append(
            SpotCheck(
                assignment=a,
                date=day,
                method=SpotCheck.Method.UNANNOUNCED,
                found_present=i % 10 == 0,
                note="" if i % 10 == 0 else SURPRISE_NOTE,
                checked_by=admin,
                created_at=builder._clamp(builder.latest.replace(year=year, month=1, day=day.day)),
            )
        )
    SpotCheck.objects.bulk_create(checks)
    builder._count("spot checks", len(checks))
    if AppraisalRound.objects.filter(county=county, year=year, kind=AppraisalRound.Kind.TERM_END).exists():
        return
    round_ = AppraisalRound.start(county, year, AppraisalRound.Kind.TERM_END, admin)
    rows = list(round_.appraisals.select_related("cadre").order_by("cadre__id_number"))
    for row in rows:
        row.score = (
            Decimal(builder._rng("term-end score", row.cadre.id_number, year).randrange(6500, 9800)) / 100
        )
    if rows:
        Appraisal.objects.bulk_update(rows, ["score"])
    rules.suggest(round_)
    rows = list(round_.appraisals.select_related("cadre"))
    facts, policy = rules.facts_for(round_, rows)
    if rules.quota(rows, facts, policy, round_.kind).capped_short:
        # everyone the caps allow is rated excellent; the rest of the quota is the shortfall
        eligible = [r.pk for r in rows if facts[r.pk].allows_excellent and r.grade != Grade.UNGRADED]
        Appraisal.objects.filter(pk__in=eligible).update(grade=Grade.EXCELLENT)
    try:
        round_.finalize(admin)
    except ValidationError as exc:
        builder.log(f"{county.name} {year} term-end round left as draft: {'; '.join(exc.messages)}")
    builder._count("appraisal rounds", 1)


def _inspections(builder, county, admin, today):
    secretaries = Assignment.objects.filter(
        village__code__startswith=county.prefix, role=Assignment.Role.FIRST_SECRETARY
    ).only("pk", "start_date", "planned_end_date", "end_date")
    halves = []
    for year in (today.year - 1, today.year):
        for half in (1, 2):
            end = datetime.date(year, 6, 30) if half == 1 else datetime.date(year, 12, 31)
            if end < today:
                halves.append((year, half, end))
    rows = []
    for a in secretaries:
        for year, half, end in halves:
            if not a.is_serving_on(end):
                continue
            rng = builder._rng("inspection", a.pk, year, half)
            ratings = {point: _rating(rng) for point, _label in Inspection.POINTS}
            rows.append(
                Inspection(
                    assignment=a,
                    year=year,
                    half=half,
                    **ratings,
                    **{f"{p}_comment": rng.choice(COMMENTS[r]) for p, r in ratings.items()},
                    summary="总体表现良好" if "poor" not in ratings.values() else "需限期整改",
                    inspected_by=admin,
                    created_at=builder._clamp(
                        builder.latest.replace(year=year, month=7 if half == 1 else 12, day=15)
                    ),
                )
            )
    Inspection.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    builder._count("inspections", len(rows))


def _results(builder, county, admin, today):
    rows = []
    for village in Village.objects.in_region(county).exclude(categories=[]).only("pk", "code", "categories"):
        rng = builder._rng("results", village.code)
        income = Decimal(rng.randrange(60000, 160000, 1000))
        for year in (today.year - 2, today.year - 1):
            rows.append(
                VillageResult(
                    village=village,
                    year=year,
                    collective_income=income,
                    party_members_developed=rng.choice([0, 1, 1, 2]),
                    reserve_cadres=rng.choice([1, 2, 3, 4]),
                    livelihood_projects=rng.choice([2, 3, 3, 4, 5]),
                    households_visited_pct=rng.choice([85, 90, 100, 100, 100]),
                    weak_org_fixed="weak_org" in village.categories and rng.random() < 0.7,
                    entered_by=admin,
                )
            )
            income += Decimal(rng.randrange(10000, 60000, 1000))
    VillageResult.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    builder._count("village results", len(rows))


def _finalized_round(builder, county, year, admin):
    if AppraisalRound.objects.filter(county=county, year=year, kind=AppraisalRound.Kind.ANNUAL).exists():
        return
    round_ = AppraisalRound.start(county, year, AppraisalRound.Kind.ANNUAL, admin)
    rows = list(round_.appraisals.select_related("cadre").order_by("cadre__id_number"))
    for row in rows:
        rng = builder._rng("score", row.cadre.id_number, year)
        row.score = Decimal(rng.randrange(6200, 9800)) / 100
    if rows:
        Appraisal.objects.bulk_update(rows, ["score"])
    rules.suggest(round_)
    try:
        round_.finalize(admin)
    except ValidationError as exc:  # left as a draft for the county to settle; say why
        builder.log(f"{county.name} {year}: round left as draft: {'; '.join(exc.messages)}")
    builder._count("appraisal rounds", 1)


def _open_round(builder, county, year, admin):
    """Last year's annual round, started and open: scores typed, opinions due in two weeks, the
    township of the demo clerk and the liaison's unit part way through their opinions, most 民主测评
    entered. Idempotent: an existing round is left as it is."""
    if AppraisalRound.objects.filter(county=county, year=year, kind=AppraisalRound.Kind.ANNUAL).exists():
        return
    round_ = AppraisalRound.start(county, year, AppraisalRound.Kind.ANNUAL, admin)
    round_.set_opinions_due(builder.today + datetime.timedelta(days=14), admin)
    rows = list(
        round_.appraisals.exclude(grade=Grade.UNGRADED).select_related("cadre").order_by("cadre__id_number")
    )
    for row in rows:
        row.score = Decimal(builder._rng("open score", row.cadre.id_number, year).randrange(6800, 9700)) / 100
    Appraisal.objects.bulk_update(rows, ["score"])
    users = {u.username: u for u in User.objects.filter(username__in=["clerk", "clerk2", "liaison"])}
    held_on = datetime.date(year, 12, 10)
    opinions = assessments = 0
    for username in ("clerk", "clerk2"):
        clerk = users.get(username)
        if clerk is None or clerk.region is None:
            continue
        # Who served in the clerk's township that year, from the rows already read (the same rule as
        # Appraisal.objects.in_region, without its per-row subquery: a test database bloated by a
        # whole suite planned that one badly on CI's embedded PostgreSQL).
        served = set(
            Assignment.objects.annotate(last=Coalesce("end_date", "planned_end_date"))
            .filter(
                village__code__startswith=clerk.region.prefix,
                start_date__year__lte=year,
                last__year__gte=year,
            )
            .values_list("cadre_id", flat=True)
        )
        mine = [row for row in rows if row.cadre_id in served]
        for i, row in enumerate(mine):
            rng = builder._rng("assessment", row.cadre.id_number, year)
            participants = rng.randrange(25, 60)
            good = rng.randrange(participants // 3, participants * 2 // 3)
            fairly = rng.randrange(0, participants - good)
            average = rng.randrange(0, participants - good - fairly + 1)
            poor = rng.randrange(0, participants - good - fairly - average + 1)
            row.record_assessment(held_on, participants, good, fairly, average, poor, clerk)
            assessments += 1
            if username == "clerk" and i % 3 != 2:  # a third still to give
                grade = _suggested(row, good + fairly, participants)
                row.give_opinion(Opinion.Source.TOWNSHIP, grade, rng.choice(OPINION_TEXTS[grade]), clerk)
                opinions += 1
    liaison = users.get("liaison")
    if liaison is not None and liaison.unit_id:
        own = [row for row in rows if row.cadre.unit_id == liaison.unit_id]
        for row in own[:-2]:  # two still to give: the liaison's to-do
            rng = builder._rng("unit opinion", row.cadre.id_number, year)
            grade = _suggested(row, 3, 4)
            row.give_opinion(Opinion.Source.UNIT, grade, rng.choice(OPINION_TEXTS[grade]), liaison)
            opinions += 1
    builder._count("appraisal rounds", 1)
    builder._count("opinions", opinions)
    builder._count("democratic assessments", assessments)


def _suggested(row, satisfied, participants):
    if row.score >= 90 and satisfied * 100 >= 80 * participants:
        return Grade.EXCELLENT.value
    return Grade.COMPETENT.value if row.score >= 72 else Grade.BASIC.value
