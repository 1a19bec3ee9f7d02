"""先定村、再定人: what each village's categories require against the cadres it has on a day."""

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, LessThan
from django.utils.translation import gettext_lazy as _

from villages.models import Village

from .models import Assignment, Policy

FS = Assignment.Role.FIRST_SECRETARY

# Filter values for the village list, with their labels.
STATES = {
    "no_secretary": _("Lacks a first secretary"),
    "team_short": _("Work team too small"),
    "recall_gap": _("Recalled, awaiting replacement"),
    "gap": _("Any gap"),
    "covered": _("Fully covered"),
    "not_required": _("No cadres required"),
}


def _conditions(day):
    """Each fact as a self-contained SQL expression, so it can be annotated, filtered or counted."""
    serving = Assignment.objects.filter(village=OuterRef("pk")).serving_on(day)
    team_count = serving.order_by().values("village").annotate(n=Count("pk")).values("n")
    latest_secretary = (
        Assignment.objects.filter(village=OuterRef("pk"), role=FS, start_date__lte=day)
        .order_by("-start_date")
        .values("end_reason")[:1]
    )
    has_secretary = Exists(serving.filter(role=FS))
    team_size = Coalesce(Subquery(team_count), Value(0))
    team_min = Policy.effective_expression("team_min_size")
    needs_secretary = Q(categories__overlap=Village.SECRETARY_CATEGORIES)
    needs_team = Village.team_required_q()
    latest_end = Coalesce(Subquery(latest_secretary), Value(""))
    return {
        "has_secretary": has_secretary,
        "team_size": team_size,
        "team_min": team_min,
        "needs_secretary": needs_secretary,
        "needs_team": needs_team,
        "lacks_secretary": needs_secretary & ~Q(has_secretary),
        "team_short": needs_team & Q(LessThan(team_size, team_min)),
        "recall_gap": ~Q(has_secretary) & Q(Exact(latest_end, Assignment.EndReason.RECALLED)),
    }


def _as_bool(condition):
    return ExpressionWrapper(condition, output_field=BooleanField())


def annotate(villages, day):
    """Add has_secretary, team_size, team_min, needs_*, lacks_secretary, team_short, recall_gap."""
    c = _conditions(day)
    return villages.annotate(
        has_secretary=c["has_secretary"],
        team_size=c["team_size"],
        team_min=c["team_min"],
        needs_secretary=_as_bool(c["needs_secretary"]),
        needs_team=_as_bool(c["needs_team"]),
        lacks_secretary=_as_bool(c["lacks_secretary"]),
        team_short=_as_bool(c["team_short"]),
        recall_gap=_as_bool(c["recall_gap"]),
    )


def state_condition(state, day):
    c = _conditions(day)
    required = c["needs_secretary"] | c["needs_team"]
    return {
        "no_secretary": c["lacks_secretary"],
        "team_short": c["team_short"],
        "recall_gap": c["recall_gap"],
        "gap": c["lacks_secretary"] | c["team_short"],
        "covered": required & ~c["lacks_secretary"] & ~c["team_short"],
        "not_required": ~required,
    }.get(state)


def filter_state(villages, state, day=None):
    from django.utils import timezone

    condition = state_condition(state, day or timezone.localdate())
    return villages if condition is None else villages.filter(condition)


def summary(villages, day):
    """Counts for a dashboard, in one query."""
    c = _conditions(day)
    return villages.aggregate(
        total=Count("pk"),
        required=Count("pk", filter=c["needs_secretary"] | c["needs_team"]),
        no_secretary=Count("pk", filter=c["lacks_secretary"]),
        team_short=Count("pk", filter=c["team_short"]),
        recall_gap=Count("pk", filter=c["recall_gap"]),
        poverty_exit=Count("pk", filter=Q(categories__contains=["poverty_exit"])),
        revitalization=Count("pk", filter=Q(categories__contains=["revitalization"])),
        weak_org=Count("pk", filter=Q(categories__contains=["weak_org"])),
        other=Count("pk", filter=Q(categories__contains=["other"])),
    )


def village_status(village, day):
    """The same facts for one village (its page)."""
    return annotate(Village.objects.filter(pk=village.pk), day).get()
