"""The appraisal file's opinions and 民主测评 (issue 18): the township clerk's and the unit liaison's
pages, and the county's deadline. Thin: the rules are Appraisal.give_opinion / record_assessment and
appraisal/opinions.py."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access

from . import opinions, rules
from .models import Appraisal, AppraisalRound, Grade, Opinion


def _may_write(user):
    return access.can(user, access.GIVE_OPINION) or access.can(user, access.ENTER_ASSESSMENT)


@login_required
def opinions_index(request):
    """The rounds still open where the user gives opinions or enters 民主测评: for each, its people
    (a liaison: its unit's cadres), what is given, and the deadline."""
    user = request.user
    if not _may_write(user):
        raise PermissionDenied
    source = opinions.source_for(user)
    appraisals = list(
        access.scope(
            user,
            Appraisal.objects.filter(round__state=AppraisalRound.State.DRAFT).exclude(grade=Grade.UNGRADED),
        )
        .select_related("round__county", "cadre__unit")
        .order_by("-round__year", "round__county__code", "round__kind", "cadre__name", "pk")
    )
    opinions.attach(appraisals)
    rounds = {}
    today = timezone.localdate()
    for a in appraisals:
        entry = rounds.setdefault(a.round_id, {"round": a.round, "people": [], "missing": 0})
        a.mine = a.township_opinion if source == Opinion.Source.TOWNSHIP else a.unit_opinion
        entry["people"].append(a)
        entry["missing"] += source is not None and a.mine is None
    for entry in rounds.values():
        entry["closed"] = entry["round"].opinions_closed(today)
    return render(
        request,
        "appraisal/opinions_index.html",
        {"rounds": list(rounds.values()), "source": source},
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_opinions(request, pk):
    """One round's people the user answers for, a form row each: the body's opinion (suggested grade
    and text) and, for the township or the county, the 民主测评. Saved all or nothing."""
    user = request.user
    round_ = access.get_object_or_404(user, AppraisalRound.objects.select_related("county"), pk=pk)
    source = opinions.source_for(user)
    assess = access.can(user, access.ENTER_ASSESSMENT)
    rows = list(opinions.rows_for(user, round_))
    posted, problems = {}, []
    if request.method == "POST":
        if not _may_write(user):
            raise PermissionDenied
        posted = opinions.posted_rows(request.POST)
        by_id = {a.pk: a for a in rows}
        if any(pk not in by_id for pk in posted):
            raise Http404  # a person outside the user's jurisdiction, or not in this round
        problems, saved = opinions.save_batch(round_, by_id, posted, user, source=source, assess=assess)
        if not problems:
            messages.success(
                request,
                _("Saved: %(o)d opinions, %(d)d democratic assessments.")
                % {"o": saved["opinions"], "d": saved["assessments"]},
            )
            return redirect("appraisal:round_opinions", round_.pk)
        messages.error(
            request,
            _("Nothing was saved: correct the rows marked below (every entry is still on the page)."),
        )
    opinions.attach(rows)
    served = rules.round_assignments(round_, {a.cadre_id for a in rows})
    by_row = rules.problems_by_row(problems)
    prefix = user.region.prefix if user.region_id and user.role == "township_clerk" else ""
    for a in rows:
        a.villages = [s.village for s in served.get(a.cadre_id, []) if s.village.code.startswith(prefix)]
        a.mine = (
            a.township_opinion
            if source == Opinion.Source.TOWNSHIP
            else a.unit_opinion
            if source == Opinion.Source.UNIT
            else None
        )
        a.posted = posted.get(a.pk, {})
        a.shown_grade = a.posted.get("grade", a.mine.suggested_grade if a.mine else "")
        a.shown_text = a.posted.get("text", a.mine.text if a.mine else "")
        x = a.vote
        a.shown_counts = {
            field: a.posted[field]
            if field in a.posted
            else ("" if x is None else x.held_on.isoformat() if field == "held_on" else getattr(x, field))
            for field in opinions.ASSESSMENT_FIELDS
        }
        a.problems = by_row.get(a.pk, [])
    closed = round_.opinions_closed()
    return render(
        request,
        "appraisal/round_opinions.html",
        {
            "round": round_,
            "rows": rows,
            "source": source,
            "source_label": Opinion.Source(source).label if source else "",
            "can_opinion": bool(source) and not closed,
            "can_assess": assess and round_.is_draft,
            "closed": closed,
            "grades": [(g.value, g.label) for g in rules.GRADE_ORDER],
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def round_deadline(request, pk):
    """The county sets (or clears) the last day for the opinions, while the round is a draft."""
    round_ = access.get_object_or_404(request.user, AppraisalRound.objects.select_related("county"), pk=pk)
    access.require(request.user, access.RUN_APPRAISAL, round_)
    text = (request.POST.get("opinions_due") or "").strip()
    try:
        due = datetime.date.fromisoformat(text) if text else None
    except ValueError:
        messages.error(
            request, _("Opinions due by: “%(value)s” is not a date (YYYY-MM-DD).") % {"value": text}
        )
        return redirect(round_)
    try:
        round_.set_opinions_due(due, request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if due:
            messages.success(request, _("Opinions are due by %(date)s.") % {"date": due.isoformat()})
        else:
            messages.success(request, _("The opinions have no deadline now."))
    return redirect(round_)
