"""Migration 0004 moves appraisals from assignments to people without loss (docs/architecture.md)."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("appraisal", "0003_appraisal_cadre_and_round_shortfall")]
AFTER = [("appraisal", "0005_appraisal_of_a_person")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_each_appraisal_its_cadre_and_merges_a_cadres_two_rows(
    tree, make_village, make_cadre, dispatch, personas
):
    cadre = make_cadre(name="调整者")
    first = dispatch(cadre, make_village(tree["t1"]), start=datetime.date(2024, 6, 1))
    first.end(datetime.date(2025, 3, 31), "adjusted", user=personas["county_admin"])
    second = dispatch(cadre, make_village(tree["t2"]), start=datetime.date(2025, 4, 1))
    other = dispatch(
        make_cadre(name="别人", birth=datetime.date(1979, 2, 2)),
        make_village(),
        start=datetime.date(2024, 6, 1),
    )
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Round = apps.get_model("appraisal", "AppraisalRound")
    Appraisal = apps.get_model("appraisal", "Appraisal")
    round_ = Round.objects.create(
        county_id=tree["county"].pk, year=2025, kind="annual", created_by_id=personas["county_admin"].pk
    )
    Appraisal.objects.create(
        round=round_,
        assignment_id=first.pk,
        grade="ungraded",
        ungraded_reason="不满半年",
        comments="甲村评语",
    )
    Appraisal.objects.create(
        round=round_, assignment_id=second.pk, grade="competent", score=81, comments="乙村评语"
    )
    Appraisal.objects.create(round=round_, assignment_id=other.pk, grade="excellent", score=90)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # everything back to the latest
    apps = executor.loader.project_state(AFTER).apps
    rows = {a.cadre_id: a for a in apps.get_model("appraisal", "Appraisal").objects.all()}
    assert set(rows) == {cadre.pk, other.cadre_id}
    kept = rows[cadre.pk]
    assert (kept.grade, kept.score, kept.ungraded_reason) == ("competent", 81, "")
    assert "甲村评语" in kept.comments and "乙村评语" in kept.comments and "不满半年" in kept.comments
    assert rows[other.cadre_id].grade == "excellent"
    events = apps.get_model("appraisal", "AppraisalEvent").objects.all()
    assert events.exists() and not events.filter(cadre__isnull=True).exists()
