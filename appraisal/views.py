"""Appraisal pages. Thin: the rules are in appraisal/rules.py and on the models."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access, once
from accounts import history as change_history
from accounts.forms import PromptToChoose
from assignments.forms import apply_errors
from assignments.models import Assignment
from cadres.models import Unit
from fieldwork import diary
from villages.models import Region, Village

from . import opinions, rules, scoring, targets, views_forms
from .filters import round_filters, shows
from .models import Appraisal, AppraisalRound, Grade, Inspection, VillageResult


class RoundForm(PromptToChoose, forms.Form):
    county = forms.ModelChoiceField(label=gettext_lazy("County or district"), queryset=Region.objects.none())
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=AppraisalRound.Kind.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = access.scope(user, Region.objects.filter(level="county"))


@login_required
@require_http_methods(["GET", "POST"])
def round_list(request):
    rounds = access.scope(request.user, AppraisalRound.objects.select_related("county")).annotate(
        n=Count("appraisals"), excellent=Count("appraisals", filter=Q(appraisals__grade=Grade.EXCELLENT))
    )
    can_run = access.can(request.user, access.RUN_APPRAISAL)
    initial = {"year": timezone.localdate().year - 1, "kind": AppraisalRound.Kind.ANNUAL}
    if request.user.region_id and request.user.region.level == "county":
        initial["county"] = request.user.region
    form = RoundForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST":
        access.require(request.user, access.RUN_APPRAISAL)
        if form.is_valid():
            d = form.cleaned_data
            access.require(request.user, access.RUN_APPRAISAL, d["county"])
            try:
                with once.submission(request) as made:
                    round_ = AppraisalRound.start(d["county"], d["year"], d["kind"], request.user)
                    made(round_)
            except once.AlreadySent as sent:
                messages.info(request, _("This round was already created by the same form."))
                return redirect(sent.url or "appraisal:rounds")
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Round created with %(n)d people.") % {"n": round_.appraisals.count()},
                )
                return redirect(round_)
    return render(
        request,
        "appraisal/round_list.html",
        {"rounds": rounds.order_by("-year", "county__code"), "form": form, "can_run": can_run},
    )


def _filter_query(filters):
    query = QueryDict(mutable=True)
    if filters["township"]:
        query["township"] = filters["township"].pk
    if filters["role"]:
        query["role"] = filters["role"]
    return query.urlencode()


def _back(round_, filters):
    query = _filter_query(filters)
    return redirect(round_.get_absolute_url() + (f"?{query}" if query else ""))


def _posted(data):
    """appraisal id → (score text, grade, comments, why not graded, why the grade departs from the
    weighted score) of every row the form posted."""
    posted = {}
    for key in data:
        if key.startswith("grade-") and key[6:].isdigit():
            pk = int(key[6:])
            posted[pk] = (
                data.get(f"score-{pk}", ""),
                data.get(key, ""),
                data.get(f"comments-{pk}"),
                data.get(f"reason-{pk}"),
                data.get(f"grade_reason-{pk}"),
            )
    return posted


def round_page(request, round_, posted=None, problems=(), refused=(), status=200):
    """The round page. After a refused save or finalize, ``posted`` (the edits) are shown again as
    they were typed, unsaved, with the rows ``problems`` name marked and their messages beside them;
    ``refused`` are the finalize problems (those of a row go beside it, the quota's once, above)."""
    posted = posted or {}
    filters = round_filters(round_, request.user, request.POST if request.method == "POST" else request.GET)
    appraisals = list(
        access.scope(request.user, round_.appraisals.all())
        .select_related("cadre__unit")
        .order_by("-score", "cadre__name", "pk")
    )
    facts, policy = rules.facts_for(round_, appraisals)
    # The appraisal file beside each row: the opinions, the 民主测评 and the (weighted) score, one
    # query each for the whole round.
    opinions.attach(appraisals)
    scores = rules.scores_for(appraisals, facts, policy, {a.pk: a.vote for a in appraisals if a.vote})
    by_row = rules.problems_by_row(problems)
    # The verdict counts all of a person's assignments in the county that year; the villages listed
    # are those of the viewer's jurisdiction (a township clerk does not read another township's).
    own = set(
        access.scope(
            request.user,
            Assignment.objects.filter(pk__in=[s.pk for f in facts.values() for s in f.assignments]),
        ).values_list("pk", flat=True)
    )
    for a in appraisals:
        a.facts = facts[a.pk]
        a.scored = scores[a.pk]
        a.shown_assignments = [s for s in a.facts.assignments if s.pk in own]
        a.latest = a.shown_assignments[-1] if a.shown_assignments else None
        if a.pk in posted:
            score, grade, comments, reason = posted[a.pk][:4]
            departure = posted[a.pk][4] if len(posted[a.pk]) > 4 else None
            a.score, a.grade = score, grade
            if comments is not None:
                a.comments = comments
            if reason is not None:
                a.ungraded_reason = reason
            if departure is not None:
                a.grade_reason = departure
        a.problems = by_row.get(a.pk, [])
        if refused and a.grade != Grade.UNGRADED and (p := rules.grade_problem(a, a.facts)):
            a.problems.append(p)
        a.options = rules.grade_options(a.facts, a.grade)
    shown = [a for a in appraisals if shows(filters, a.facts)]
    results = {
        (r.village_id, r.year): r
        for r in VillageResult.objects.filter(
            village__in={a.latest.village_id for a in shown if a.latest},
            year__in=[round_.year - 1, round_.year],
        )
    }
    for a in shown:
        result = results.get((a.latest.village_id, round_.year)) if a.latest else None
        if result is not None:
            checks = targets.check(
                result, results.get((a.latest.village_id, round_.year - 1)), a.latest.village
            )
            a.targets_met = sum(1 for _t, met, _d in checks if met)
            a.targets_total = len(checks)
    quota = rules.quota(appraisals, facts, policy, round_.kind)
    quota_problems = quota.problems()
    beside = {m for a in shown for m in a.problems}
    for message in [*(p for p in problems if getattr(p, "appraisal_id", None) is None), *refused]:
        if message not in beside and message not in quota_problems:
            messages.error(request, message)
    shown_ids = {a.pk for a in shown}
    others = [a for a in appraisals if a.pk not in shown_ids]
    visible = {a.cadre_id for a in appraisals}
    shortfall_reasons = [r for r in round_.shortfall_reasons or [] if r.get("cadre") in visible]
    return render(
        request,
        "appraisal/round_detail.html",
        {
            "change_history": change_history.for_object(round_, request.user)
            if access.sees_history(request.user)
            else None,
            "round": round_,
            "appraisals": shown,
            "total": len(appraisals),
            "others_graded": sum(1 for a in others if a.grade != Grade.UNGRADED),
            "others_excellent": sum(1 for a in others if a.grade == Grade.EXCELLENT),
            "filters": filters,
            "filter_query": _filter_query(filters),
            "unsaved": bool(posted),
            "quota": quota,
            "quota_problems": quota_problems,
            "shortfall_reasons": shortfall_reasons,
            "policy": policy,
            "weights": scoring.weights(policy),
            "bands": scoring.describe_bands(scoring.parse_bands(policy.score_bands)),
            "print_links": views_forms.links(request.user, round_),
            "can_edit": round_.is_draft and access.can(request.user, access.RUN_APPRAISAL, round_),
            "can_reopen": not round_.is_draft and access.can(request.user, access.RUN_APPRAISAL, round_),
        },
        status=status,
    )


@login_required
def round_detail(request, pk):
    round_ = access.get_object_or_404(request.user, AppraisalRound.objects.select_related("county"), pk=pk)
    return round_page(request, round_)


@login_required
@require_POST
def round_action(request, pk, action):
    round_ = access.get_object_or_404(request.user, AppraisalRound.objects.select_related("county"), pk=pk)
    access.require(request.user, access.RUN_APPRAISAL, round_)
    filters = round_filters(round_, request.user, request.POST)
    posted = _posted(request.POST)
    if action == "save":
        problems = rules.save_grades(round_, posted)
        if problems:
            return refused_save(request, round_, posted, problems)
        messages.success(request, _("Scores and grades saved."))
    elif action == "suggest":
        problems, suggestion = rules.save_and_suggest(round_, posted)
        if problems:
            return refused_save(request, round_, posted, problems)
        suggestion_messages(request, suggestion)
    elif action == "finalize":
        try:
            problems = rules.save_and_finalize(round_, posted, request.user)
        except ValidationError as exc:
            round_.refresh_from_db()
            if not round_.is_draft:  # finalized meanwhile (a second click): nothing to keep
                for message in exc.messages:
                    messages.error(request, message)
                return _back(round_, filters)
            messages.error(
                request,
                _(
                    "The round is not finalized and nothing was saved: correct what is listed below. "
                    "Every edit is still on the page; save or finalize again."
                ),
            )
            return round_page(request, round_, posted, refused=exc.messages)
        if problems:
            return refused_save(request, round_, posted, problems)
        messages.success(request, _("The round is finalized; the results go back to the dispatching units."))
    elif action == "reopen":
        try:
            round_.reopen(request.user, request.POST.get("reason", ""))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The round is reopened."))
    else:
        messages.error(request, _("Unknown action."))
    return _back(round_, filters)


def refused_save(request, round_, posted, problems):
    rows = len(rules.problems_by_row(problems))
    if not rows:  # the round itself refuses (finalized meanwhile): say so on the page as it is now
        for p in problems:
            messages.error(request, p)
        return _back(round_, round_filters(round_, request.user, request.POST))
    messages.error(
        request,
        ngettext(
            "Nothing was saved. %(n)d row needs correcting, marked below with what is wrong; "
            "every edit is still on the page: correct it and save again.",
            "Nothing was saved. %(n)d rows need correcting, marked below with what is wrong; "
            "every edit is still on the page: correct them and save again.",
            rows,
        )
        % {"n": rows},
    )
    return round_page(request, round_, posted, problems)


def suggestion_messages(request, s):
    if s.scored:
        messages.success(
            request,
            _(
                "Grades proposed for %(n)d people from their scores, the caps and the quota; check them and change any you need."
            )
            % {"n": s.scored},
        )
    if s.from_evidence:
        messages.success(
            request,
            _(
                "Grades proposed for %(n)d people without a score from the evidence: the attendance sheets "
                "(%(sheets)d of them with months recorded), the spot checks (%(checks)d with findings), the "
                "half-year inspections (%(inspected)d inspected) and the grade caps (%(capped)d capped). "
                "%(e)d proposed excellent to fill the quota, the best evidence first among those who may be: "
                "fewest attendance minimums missed, fewest absences found by spot checks, the best "
                "inspection ratings, most spot checks found in the village, most days in the village; the "
                "others competent or their cap. Check them and change any you need, then save."
            )
            % {
                "n": s.from_evidence,
                "sheets": s.with_sheets,
                "checks": s.with_checks,
                "inspected": s.with_inspections,
                "capped": s.capped,
                "e": s.excellent_from_evidence,
            },
        )
    if s.ties:
        messages.warning(
            request,
            _(
                "Some people without a score have the same evidence as the last one proposed excellent: "
                "the order of names decided between them. Choose who is excellent among them."
            ),
        )
    if not s.scored and not s.from_evidence:
        messages.warning(request, _("Nobody in this round can be graded, so no grade was proposed."))


class InspectionForm(PromptToChoose, forms.ModelForm):
    class Meta:
        model = Inspection
        fields = [
            "year",
            "half",
            "work_style",
            "work_style_comment",
            "people_first",
            "people_first_comment",
            "discipline",
            "discipline_comment",
            "results",
            "results_comment",
            "summary",
        ]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        data = super().clean()
        # The assignment is not a form field, so Django's unique check skips it; say it here.
        clash = Inspection.objects.filter(
            assignment=self.instance.assignment, year=data.get("year"), half=data.get("half")
        ).exclude(pk=self.instance.pk)
        if clash.exists():
            self.add_error("half", _("This cadre already has an inspection for that half year."))
        return data


@login_required
@require_http_methods(["GET", "POST"])
def inspection_new(request, assignment_pk):
    assignment = access.get_object_or_404(
        request.user, Assignment.objects.select_related("cadre", "village"), pk=assignment_pk
    )
    access.require(request.user, access.RUN_APPRAISAL, assignment)
    today = timezone.localdate()
    # ?year=&half= (the page's own links) open another half year; else the current one.
    initial = {"year": today.year, "half": 1 if today.month <= 6 else 2}
    for key in initial:
        if request.GET.get(key, "").isdigit():
            initial[key] = int(request.GET[key])
    form = InspectionForm(request.POST or None, initial=initial)
    form.instance.assignment = assignment
    form.instance.inspected_by = request.user
    if request.method == "POST" and form.is_valid():
        try:
            with once.submission(request) as made:
                made(form.save())
        except once.AlreadySent:
            messages.info(request, _("This inspection was already sent and is recorded once."))
            return redirect(assignment.cadre)
        except IntegrityError:
            # Someone else recorded this half year's inspection between the check and the save.
            form.add_error(None, _("This cadre already has an inspection for that half year."))
        else:
            messages.success(request, _("Half-year inspection recorded."))
            return redirect(assignment.cadre)
    # What the cadre recorded in the half year being inspected (record once: read here, not retyped).
    try:
        year, half = int(form["year"].value()), int(form["half"].value())
    except (TypeError, ValueError):
        year, half = today.year, 1 if today.month <= 6 else 2
    recorded = (
        diary.half_year(assignment.cadre_id, year, half) if half in (1, 2) and 2000 <= year <= 2100 else None
    )
    return render(
        request, "appraisal/inspection_form.html", {"form": form, "a": assignment, "recorded": recorded}
    )


class ResultForm(PromptToChoose, forms.ModelForm):
    class Meta:
        model = VillageResult
        fields = [
            "year",
            "collective_income",
            "party_members_developed",
            "reserve_cadres",
            "livelihood_projects",
            "households_visited_pct",
            "weak_org_fixed",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


@login_required
@require_http_methods(["GET", "POST"])
def village_results(request, code):
    village = access.get_object_or_404(request.user, Village.objects.select_related("township"), code=code)
    results = list(village.results.order_by("-year"))
    previous = {r.year: r for r in results}
    secretaries = list(village.assignments.filter(role=Assignment.Role.FIRST_SECRETARY))
    for r in results:
        since = targets.term_start_year(secretaries, r.year)
        r.checks = targets.check(
            r, previous.get(r.year - 1), village, targets.term_results(results, since, r.year)
        )
    can_enter = access.can(request.user, access.ENTER_RESULTS, village)
    form = ResultForm(request.POST or None, initial={"year": timezone.localdate().year - 1})
    if request.method == "POST":
        access.require(request.user, access.ENTER_RESULTS, village)
        year = request.POST.get("year")
        existing = village.results.filter(year=year).first() if (year or "").isdigit() else None
        form = ResultForm(request.POST, instance=existing)
        form.instance.village = village
        form.instance.entered_by = request.user
        if form.is_valid():
            form.save()
            messages.success(request, _("Figures for %(year)s saved.") % {"year": form.instance.year})
            return redirect("appraisal:village_results", village.code)
    return render(
        request,
        "appraisal/village_results.html",
        {"village": village, "results": results, "form": form, "can_enter": can_enter},
    )


@login_required
def excellent_twice(request):
    """优秀 two years running, term completed (任职期满): promotion priority (POLICY.md)."""
    rows = rules.promotion_list(access.scope(request.user, Appraisal.objects.all()))
    return render(request, "appraisal/excellent_twice.html", {"rows": rows})


@login_required
def by_unit(request):
    year = request.GET.get("year")
    appraisals = access.scope(request.user, Appraisal.objects.filter(round__state="finalized"))
    if (year or "").isdigit():
        appraisals = appraisals.filter(round__year=int(year))
    rows = (
        appraisals.values("cadre__unit", "cadre__unit__name")
        .annotate(
            n=Count("pk"),
            excellent=Count("pk", filter=Q(grade=Grade.EXCELLENT)),
            competent=Count("pk", filter=Q(grade=Grade.COMPETENT)),
            basic=Count("pk", filter=Q(grade=Grade.BASIC)),
            incompetent=Count("pk", filter=Q(grade=Grade.INCOMPETENT)),
            ungraded=Count("pk", filter=Q(grade=Grade.UNGRADED)),
        )
        .order_by("cadre__unit__name")
    )
    return render(request, "appraisal/by_unit.html", {"rows": rows, "year": year or "", "Unit": Unit})


# --- 优秀干部培养名单 and 副科挂职乡镇党委副书记 (appraisal/outstanding.py) ---------------------------------
def _list_page(request, template, rule):
    """The list ``rule`` (a function of appraisal/outstanding.py) for the viewer's jurisdiction,
    for the year chosen (?year=) or every year."""
    from . import outstanding  # here, not above: keeps this addition apart from the imports

    year = outstanding.parse_year(request.GET.get("year"))
    appraisals = access.scope(request.user, Appraisal.objects.all())
    rows = getattr(outstanding, rule)(appraisals, access.scope(request.user, Assignment.objects.all()), year)
    return render(
        request,
        template,
        {
            "rows": rows,
            "year": year,
            "years": outstanding.years(appraisals),
            "query": f"?year={year}" if year else "",
        },
    )


@login_required
def outstanding_list(request):
    """优秀干部培养名单: 优秀 at term end, or 优秀 two years running with the term completed."""
    return _list_page(request, "appraisal/outstanding.html", "outstanding")


@login_required
def deputy_secretary_list(request):
    """副科 rated 优秀 after a year in the village: may take the township deputy-secretary post."""
    return _list_page(request, "appraisal/deputy_secretary.html", "deputy_secretary")
