"""Opinions (township party committee, dispatching unit) and the 民主测评 of the people in a round:
who gives which, the batch of one page saved all or nothing, and what is still to give.

The state changes themselves are Appraisal.give_opinion and Appraisal.record_assessment (they lock
the round, check it is open and record who and when); this module turns the posted rows of a page
into those calls, with each refusal naming the person and the field.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access
from accounts.models import Role

from .models import Appraisal, AppraisalRound, DemocraticAssessment, Grade, Opinion
from .rules import RowProblem

OPINION_FIELDS = ["grade", "text"]
COUNT_FIELDS = ["good", "fairly_good", "average", "poor"]
ASSESSMENT_FIELDS = ["held_on", "participants", *COUNT_FIELDS]


def source_for(user):
    """The body whose opinion ``user`` writes: a township clerk the township party committee's, a
    unit's liaison the dispatching unit's; anyone else none."""
    if not access.can(user, access.GIVE_OPINION):
        return None
    return {Role.TOWNSHIP_CLERK: Opinion.Source.TOWNSHIP, Role.UNIT_LIAISON: Opinion.Source.UNIT}.get(
        user.role
    )


def rows_for(user, round_):
    """The people of ``round_`` the user answers for (scope), without those who cannot be graded."""
    return (
        access.scope(user, round_.appraisals.exclude(grade=Grade.UNGRADED))
        .select_related("cadre__unit")
        .order_by("cadre__name", "pk")
    )


def attach(appraisals):
    """Put each appraisal's opinions (``township_opinion``, ``unit_opinion``) and 民主测评
    (``vote``: the DemocraticAssessment or None) on it: one query each, whatever the number of people."""
    ids = [a.pk for a in appraisals]
    opinions = {
        (o.appraisal_id, o.source): o
        for o in Opinion.objects.filter(appraisal__in=ids).select_related("given_by")
    }
    assessments = {x.appraisal_id: x for x in DemocraticAssessment.objects.filter(appraisal__in=ids)}
    for a in appraisals:
        a.township_opinion = opinions.get((a.pk, Opinion.Source.TOWNSHIP))
        a.unit_opinion = opinions.get((a.pk, Opinion.Source.UNIT))
        # ``vote``, not ``assessment``: the reverse one-to-one raises (or queries) where there is none.
        a.vote = assessments.get(a.pk)
    return appraisals


def posted_rows(data):
    """appraisal id → {field: text} of every row the page posted (a field not posted is absent)."""
    rows = {}
    for key, value in data.items():
        name, _sep, pk = key.rpartition("-")
        if pk.isdigit() and name in (*OPINION_FIELDS, *ASSESSMENT_FIELDS):
            rows.setdefault(int(pk), {})[name] = value
    return rows


def _count(value, label, errors, field):
    value = (value or "").strip()
    if not value:
        return 0 if field in COUNT_FIELDS else None
    try:
        number = int(value)
    except ValueError:
        errors[field] = _("%(field)s: “%(value)s” is not a whole number.") % {"field": label, "value": value}
        return None
    if not 0 <= number <= 32767:
        errors[field] = _("%(field)s: %(value)s is out of range.") % {"field": label, "value": value}
        return None
    return number


def _label(field):
    return str(DemocraticAssessment._meta.get_field(field).verbose_name)


def _assessment_values(row):
    """(values for record_assessment, {field: message}) from the posted texts of one row."""
    errors = {}
    held_on = None
    text = (row.get("held_on") or "").strip()
    if text:
        try:
            held_on = datetime.date.fromisoformat(text)
        except ValueError:
            errors["held_on"] = _("%(field)s: “%(value)s” is not a date (YYYY-MM-DD).") % {
                "field": _label("held_on"),
                "value": text,
            }
    values = {"held_on": held_on}
    for field in ["participants", *COUNT_FIELDS]:
        values[field] = _count(row.get(field), _label(field), errors, field)
    if not errors and values["participants"] is None:
        errors["participants"] = _("%(field)s: give the number of participants.") % {
            "field": _label("participants")
        }
    if not errors and held_on is None:
        errors["held_on"] = _("%(field)s: give the date of the democratic assessment.") % {
            "field": _label("held_on")
        }
    return values, errors


def save_batch(round_, appraisals, rows, user, source=None, assess=False, today=None):
    """Save the posted ``rows`` (posted_rows) of the people ``appraisals`` ({id: Appraisal}, already
    scoped to the user): the opinion of ``source`` where a grade or text is posted, the 民主测评
    where ``assess`` and any of its fields is filled. All rows or none. Returns (problems, saved):
    the problems are RowProblems naming the person and the field; saved counts what was saved."""
    problems, saved = [], {"opinions": 0, "assessments": 0}

    def refuse(appraisal, error):
        messages = (
            [m for ms in error.message_dict.values() for m in ms]
            if hasattr(error, "error_dict")
            else error.messages
        )
        for message in messages:
            problems.append(
                RowProblem(
                    _("%(name)s: %(problem)s") % {"name": appraisal.cadre.name, "problem": message},
                    appraisal.pk,
                )
            )

    with transaction.atomic():
        for pk, row in rows.items():
            a = appraisals[pk]
            if source and any((row.get(f) or "").strip() for f in OPINION_FIELDS):
                try:
                    a.give_opinion(
                        source, (row.get("grade") or "").strip(), row.get("text"), user, today=today
                    )
                    saved["opinions"] += 1
                except ValidationError as error:
                    refuse(a, error)
            if assess and any((row.get(f) or "").strip() for f in ASSESSMENT_FIELDS):
                values, errors = _assessment_values(row)
                try:
                    if errors:
                        raise ValidationError(errors)
                    a.record_assessment(user=user, today=today, **values)
                    saved["assessments"] += 1
                except ValidationError as error:
                    refuse(a, error)
        if problems:
            transaction.set_rollback(True)
    return problems, saved


def pending_opinions(user, today=None):
    """The people in draft rounds still open for opinions on whom the user's body has given none:
    a queryset of appraisals (scoped), or None for a user who gives no opinion."""
    source = source_for(user)
    if source is None:
        return None
    today = today or timezone.localdate()
    given = Opinion.objects.filter(appraisal=OuterRef("pk"), source=source)
    return access.scope(
        user,
        Appraisal.objects.filter(round__state=AppraisalRound.State.DRAFT)
        .exclude(grade=Grade.UNGRADED)
        .filter(Q(round__opinions_due__isnull=True) | Q(round__opinions_due__gte=today))
        .exclude(Exists(given)),
    )


def earliest_due(appraisals):
    return appraisals.aggregate(due=Min("round__opinions_due"))["due"]
