"""Rounds finalized before scoring by weights existed were graded on the typed score and the bands of
POLICY.md: they keep exactly that, whatever weights a county sets later."""

from django.db import migrations

BEFORE_WEIGHTS = {
    "score_weight_inspections": 0,
    "score_weight_annual": 0,
    "score_weight_assessment": 0,
    "score_bands": "85:excellent,70:competent,60:basic",
}


def freeze(apps, schema_editor):
    Round = apps.get_model("appraisal", "AppraisalRound")
    Round.objects.filter(state="finalized", score_settings={}).update(score_settings=BEFORE_WEIGHTS)


class Migration(migrations.Migration):
    dependencies = [("appraisal", "0007_round_score_settings")]

    operations = [migrations.RunPython(freeze, migrations.RunPython.noop)]
