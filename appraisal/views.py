"""Appraisal pages. Thin: the rules are in appraisal/rules.py and on the models."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import access
from accounts import history as change_history
from assignments.forms import apply_errors
from assignments.models import Assignment, Policy
from cadres.models import Unit
from villages.models import Region, Village

from . import rules, targets
from .models import Appraisal, AppraisalRound, Grade, Inspection, VillageResult


class RoundForm(forms.Form):
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
                round_ = AppraisalRound.start(d["county"], d["year"], d["kind"], request.user)
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


@login_required
def round_detail(request, pk):
    round_ = access.get_object_or_404(request.user, AppraisalRound.objects.select_related("county"), pk=pk)
    appraisals = list(
        access.scope(request.user, round_.appraisals.all())
        .select_related("cadre__unit")
        .order_by("-score", "cadre__name", "pk")
    )
    facts, policy = rules.facts_for(round_, appraisals)
    for a in appraisals:
        a.facts = facts[a.pk]
        a.latest = a.facts.assignments[-1] if a.facts.assignments else None
    results = {
        (r.village_id, r.year): r
        for r in VillageResult.objects.filter(
            village__in={a.latest.village_id for a in appraisals if a.latest},
            year__in=[round_.year - 1, round_.year],
        )
    }
    for a in appraisals:
        result = results.get((a.latest.village_id, round_.year)) if a.latest else None
        if result is not None:
            checks = targets.check(
                result, results.get((a.latest.village_id, round_.year - 1)), a.latest.village
            )
            a.targets_met = sum(1 for _t, met, _d in checks if met)
            a.targets_total = len(checks)
    quota = rules.quota(appraisals, facts, policy, round_.kind)
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
            "appraisals": appraisals,
            "quota": quota,
            "shortfall_reasons": shortfall_reasons,
            "policy": policy,
            "grades": Grade.choices,
            "can_edit": round_.is_draft and access.can(request.user, access.RUN_APPRAISAL, round_),
            "can_reopen": not round_.is_draft and access.can(request.user, access.RUN_APPRAISAL, round_),
        },
    )


@login_required
@require_POST
def round_action(request, pk, action):
    round_ = access.get_object_or_404(request.user, AppraisalRound.objects.select_related("county"), pk=pk)
    access.require(request.user, access.RUN_APPRAISAL, round_)
    try:
        if action == "save":
            posted = {}
            for key in request.POST:
                if key.startswith("grade-") and key[6:].isdigit():
                    pk_ = int(key[6:])
                    posted[pk_] = (
                        request.POST.get(f"score-{pk_}", ""),
                        request.POST.get(key, ""),
                        request.POST.get(f"comments-{pk_}"),
                        request.POST.get(f"reason-{pk_}"),
                    )
            problems = rules.save_grades(round_, posted)
            if problems:
                for p in problems:
                    messages.error(request, p)
                messages.error(request, _("Nothing was saved."))
            else:
                messages.success(request, _("Scores and grades saved."))
        elif action == "suggest":
            if not round_.is_draft:
                raise ValidationError(_("This round is finalized and read-only; the county can reopen it."))
            scored, unscored = rules.suggest(round_)
            messages.success(
                request,
                _(
                    "Grades set for %(n)d people from their scores, the caps and the quota; check them and change any you need."
                )
                % {"n": scored},
            )
            if unscored:
                messages.warning(
                    request,
                    _(
                        "%(n)d people have no score, so they were set to competent (or their cap): "
                        "choose who is excellent, then save."
                    )
                    % {"n": unscored},
                )
        elif action == "finalize":
            round_.finalize(request.user)
            messages.success(
                request, _("The round is finalized; the results go back to the dispatching units.")
            )
            if round_.shortfall:
                messages.warning(
                    request,
                    _(
                        "Closed with a shortfall of %(n)d against the %(setting)s: the grade caps left too few "
                        "who may be rated excellent. Who was capped, and why, is recorded on the round."
                    )
                    % {"n": round_.shortfall, "setting": round_setting(round_)},
                )
        elif action == "reopen":
            round_.reopen(request.user, request.POST.get("reason", ""))
            messages.success(request, _("The round is reopened."))
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(round_)


def round_setting(round_):
    """Which quota setting applies to the round, in words (annual or term-end ratios)."""
    return rules.quota([], {}, Policy.effective_for(round_.county), round_.kind).setting


class InspectionForm(forms.ModelForm):
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
    form = InspectionForm(
        request.POST or None, initial={"year": today.year, "half": 1 if today.month <= 6 else 2}
    )
    form.instance.assignment = assignment
    form.instance.inspected_by = request.user
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Half-year inspection recorded."))
        return redirect(assignment.cadre)
    return render(request, "appraisal/inspection_form.html", {"form": form, "a": assignment})


class ResultForm(forms.ModelForm):
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
