"""Demo appraisal data: half-year inspections, village results, and finalized rounds for the two years
before last, so that last year's annual round is ready to be run (POLICY.md "Appraisal")."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from appraisal import rules
from appraisal.models import Appraisal, AppraisalRound, Inspection, VillageResult
from assignments.models import Assignment
from villages.models import Village

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
