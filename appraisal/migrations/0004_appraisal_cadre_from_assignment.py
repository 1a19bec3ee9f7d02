"""Each appraisal gets the cadre of its assignment; the appraisals of one cadre in one round (a cadre
adjusted mid-year had one per assignment) are merged into one without loss: see appraisal/merging.py
and docs/architecture.md ("Appraisal of a person")."""

from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from appraisal.merging import merge_all


def forwards(apps, schema_editor):
    Appraisal = apps.get_model("appraisal", "Appraisal")
    AppraisalEvent = apps.get_model("appraisal", "AppraisalEvent")
    Assignment = apps.get_model("assignments", "Assignment")
    AssignmentHistory = apps.get_model("assignments", "AssignmentHistory")

    def cadre_of(ref):
        # The assignment's cadre; for history rows whose assignment was deleted since, the cadre its
        # own history (pghistory keeps the deleted row) names.
        return Coalesce(
            Subquery(Assignment.objects.filter(pk=OuterRef(ref)).values("cadre_id")[:1]),
            Subquery(AssignmentHistory.objects.filter(pgh_obj_id=OuterRef(ref)).values("cadre_id")[:1]),
        )

    # History first: the cadre becomes required on the event table too.
    AppraisalEvent.objects.filter(cadre__isnull=True).update(cadre_id=cadre_of("assignment_id"))
    Appraisal.objects.filter(cadre__isnull=True).update(cadre_id=cadre_of("assignment_id"))
    rows = list(
        Appraisal.objects.values(
            "id", "round_id", "cadre_id", "assignment_id", "score", "grade", "ungraded_reason", "comments", "updated_at"
        )
    )
    changed, deleted = merge_all(rows)
    if deleted:
        Appraisal.objects.filter(pk__in=deleted).delete()
    for row in changed:
        Appraisal.objects.filter(pk=row["id"]).update(
            grade=row["grade"], ungraded_reason=row["ungraded_reason"], comments=row["comments"]
        )


def backwards(apps, schema_editor):
    """The merged rows cannot be split again; the kept row still names its assignment."""


class Migration(migrations.Migration):
    dependencies = [
        ("appraisal", "0003_appraisal_cadre_and_round_shortfall"),
        ("assignments", "0006_attendance_sheet_approved_has_rates"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
