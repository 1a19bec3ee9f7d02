"""先定村、再定人: what each village's categories require against the cadres it has on a day.

The one place that decides whether a village has the cadres it needs. Pages, dashboards, the to-do
list and the coverage export all read these expressions, so they cannot disagree.

A first secretary whose end is recorded (recall, completed term, adjustment …) with no successor — no
first-secretary assignment of the village starting after the ended one's start — leaves a gap at
once: the village lists as 召回待补派 / 期满待补派 from the day the end is recorded, even while the
cadre still serves the last days (end date ≥ today). A scheduled successor closes the gap; the days
between the two terms still lack a first secretary.
"""

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
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
    "awaiting": _("Awaiting a replacement (recall, term end or other end)"),
    "recall_gap": _("Recalled, awaiting replacement"),
    "term_gap": _("Term ended, awaiting replacement"),
    "gap": _("Any gap"),
    "covered": _("Fully covered"),
    "not_required": _("No cadres required"),
}


def _conditions(day):
    """Each fact as a self-contained SQL expression, so it can be annotated, filtered or counted."""
    serving = Assignment.objects.filter(village=OuterRef("pk")).serving_on(day)
    team_count = serving.order_by().values("village").annotate(n=Count("pk")).values("n")
    # The village's latest first secretary (by start, whatever the day): its end reason when its end
    # is recorded and it started by ``day`` — i.e. nobody follows it. Empty otherwise.
    latest_secretary = (
        Assignment.objects.filter(village=OuterRef("pk"), role=FS)
        .order_by("-start_date", "-pk")
        .annotate(
            _ended=Case(
                When(start_date__lte=day, end_date__isnull=False, then=F("end_reason")),
                default=Value(""),
            )
        )
        .values("_ended")[:1]
    )
    has_secretary = Exists(serving.filter(role=FS))
    team_size = Coalesce(Subquery(team_count), Value(0))
    team_min = Policy.effective_expression("team_min_size")
    needs_secretary = Q(categories__overlap=Village.SECRETARY_CATEGORIES)
    needs_team = Village.team_required_q()
    ended = Coalesce(Subquery(latest_secretary), Value(""))
    awaiting = ~Q(Exact(ended, ""))
    lacks = (needs_secretary & ~Q(has_secretary)) | awaiting
    return {
        "has_secretary": has_secretary,
        "team_size": team_size,
        "team_min": team_min,
        "needs_secretary": needs_secretary,
        "needs_team": needs_team,
        "lacks_secretary": lacks,
        "team_short": needs_team & Q(LessThan(team_size, team_min)),
        "awaiting": awaiting,
        "recall_gap": Q(Exact(ended, Assignment.EndReason.RECALLED)),
        "term_gap": Q(Exact(ended, Assignment.EndReason.TERM_COMPLETED)),
    }


def _as_bool(condition):
    return ExpressionWrapper(condition, output_field=BooleanField())


def annotate(villages, day):
    """Add has_secretary, team_size, team_min, needs_*, lacks_secretary, team_short, awaiting,
    recall_gap (召回待补派) and term_gap (期满待补派)."""
    c = _conditions(day)
    return villages.annotate(
        has_secretary=c["has_secretary"],
        team_size=c["team_size"],
        team_min=c["team_min"],
        needs_secretary=_as_bool(c["needs_secretary"]),
        needs_team=_as_bool(c["needs_team"]),
        lacks_secretary=_as_bool(c["lacks_secretary"]),
        team_short=_as_bool(c["team_short"]),
        awaiting=_as_bool(c["awaiting"]),
        recall_gap=_as_bool(c["recall_gap"]),
        term_gap=_as_bool(c["term_gap"]),
    )


def state_condition(state, day):
    c = _conditions(day)
    required = c["needs_secretary"] | c["needs_team"]
    return {
        "no_secretary": c["lacks_secretary"],
        "team_short": c["team_short"],
        "awaiting": c["awaiting"],
        "recall_gap": c["recall_gap"],
        "term_gap": c["term_gap"],
        "gap": c["lacks_secretary"] | c["team_short"],
        "covered": required & ~c["lacks_secretary"] & ~c["team_short"],
        "not_required": ~required & ~c["lacks_secretary"],
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
        awaiting=Count("pk", filter=c["awaiting"]),
        recall_gap=Count("pk", filter=c["recall_gap"]),
        term_gap=Count("pk", filter=c["term_gap"]),
        poverty_exit=Count("pk", filter=Q(categories__contains=["poverty_exit"])),
        revitalization=Count("pk", filter=Q(categories__contains=["revitalization"])),
        weak_org=Count("pk", filter=Q(categories__contains=["weak_org"])),
        other=Count("pk", filter=Q(categories__contains=["other"])),
    )


# What a village's coverage comes to, in the order the dispatch page lists them: gaps first.
GROUPS = {
    "gap": _("Villages with a gap"),
    "covered": _("Villages fully covered"),
    "not_required": _("Villages that need no cadres"),
}


def group_of(v):
    """The group ("gap", "covered" or "not_required") of a village of ``annotate`` (as ``state_condition``)."""
    if v.lacks_secretary or v.team_short:
        return "gap"
    return "covered" if v.needs_secretary or v.needs_team else "not_required"


def gap_words(v):
    """What a village of ``annotate`` lacks, in words (缺第一书记, 召回待补派 …), or that it lacks
    nothing (已配齐 / 无需选派): the words of the village list's badges, for places without badges."""
    words = []
    if v.recall_gap:
        words.append(STATES["recall_gap"])
    elif v.term_gap:
        words.append(STATES["term_gap"])
    elif v.awaiting:
        words.append(_("Ended, awaiting replacement"))
    elif v.lacks_secretary:
        words.append(STATES["no_secretary"])
    if v.team_short:
        words.append(_("Work team too small (%(n)s/%(min)s)") % {"n": v.team_size, "min": v.team_min})
    if not words:
        words.append(STATES["covered"] if group_of(v) == "covered" else STATES["not_required"])
    return words


def village_status(village, day):
    """The same facts for one village (its page)."""
    return annotate(Village.objects.filter(pk=village.pk), day).get()
