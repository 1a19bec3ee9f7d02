"""The weighted score of a person in a round (POLICY.md "Appraisal in counties": e.g. half year
30 % + year end 70 %, a 民主测评 in the village), where a county turns it on.

Three parts, each on 0–100:
- the half-year inspections (专项考察) of the round's year: each of the four points rated 好 = 100,
  一般 = 80, 差 = 60, averaged over every point of every inspection that year;
- the year-end assessment score the county types on the round's page (``Appraisal.score``);
- the 民主测评: its satisfaction rate in per cent ((好 + 较好) ÷ participants).

The weighted score is Σ weight × part ÷ 100, to two decimals. A part that is missing while its
weight is not 0 leaves the score empty, naming what is missing: the score is never computed as if
a missing part were 0 or as if the other parts weighed more. One part may not apply at all: the
half-year inspections are of first secretaries (seed 001), so for a work-team member they are not
missing but not applicable, and the other weighted parts are scaled up to 100 (折算: 50 and 20
become 71.43 % and 28.57 %), which the page says. The score's band (``score_bands``)
suggests the grade; the county may set another grade within the caps, saying why
(``Appraisal.grade_reason``; rules.grade_problem).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from .models import GRADE_ORDER, Grade, Inspection

RATING_SCORE = {
    Inspection.Rating.GOOD: Decimal(100),
    Inspection.Rating.FAIR: Decimal(80),
    Inspection.Rating.POOR: Decimal(60),
}
CENT = Decimal("0.01")

PARTS = [
    ("inspections", "score_weight_inspections", _("half-year inspections")),
    ("annual", "score_weight_annual", _("year-end assessment")),
    ("assessment", "score_weight_assessment", _("democratic assessment (民主测评)")),
]


def weights(policy):
    """{part: weight in per cent}, or None when the county does not score by weights."""
    values = {part: int(getattr(policy, setting) or 0) for part, setting, _label in PARTS}
    return values if sum(values.values()) == 100 else None


def parse_bands(text):
    """'85:excellent,70:competent,60:basic' → [(85, excellent), (70, competent), (60, basic)],
    highest floor first; below the last floor, incompetent."""
    bands = []
    for item in (text or "").split(","):
        if ":" in item:
            floor, grade = item.split(":", 1)
            if grade.strip() in Grade.values:
                bands.append((Decimal(floor.strip()), Grade(grade.strip())))
    return sorted(bands, key=lambda b: -b[0])


def describe_bands(bands):
    """'85 and above: excellent; 70 and above: competent; …; below 60: incompetent', in the user's
    language, for the pages that say how scores become grades."""
    from django.utils.translation import gettext, pgettext

    parts = [
        gettext("%(floor)s and above: %(grade)s") % {"floor": f"{floor.normalize():f}", "grade": grade.label}
        for floor, grade in bands
    ]
    if bands:
        parts.append(
            gettext("below %(floor)s: %(grade)s")
            % {"floor": f"{bands[-1][0].normalize():f}", "grade": Grade.INCOMPETENT.label}
        )
    return pgettext("separator between score bands", "; ").join(parts)


def band(score, bands):
    if score is None:
        return None
    for floor, grade in bands:
        if score >= floor:
            return grade
    return Grade.INCOMPETENT


def inspection_score(inspections):
    """The mean of every point of every inspection (好 100, 一般 80, 差 60), or None without any."""
    points = [
        RATING_SCORE[getattr(inspection, name)]
        for inspection in inspections
        for name, _l in Inspection.POINTS
    ]
    if not points:
        return None
    return (sum(points) / len(points)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Score:
    """A person's score in a round: the parts (None where missing), the weights, the total (None
    while a weighted part is missing) and the grade its band suggests."""

    weights: dict | None
    parts: dict = field(default_factory=dict)
    total: Decimal | None = None
    band: str | None = None
    missing: list = field(default_factory=list)  # labels of the weighted parts that are missing
    not_applicable: list = field(default_factory=list)  # labels of the parts that do not apply

    @property
    def weighted(self):
        return self.weights is not None

    def rows(self):
        """(label, part, weight, contribution) per part, for the pages and the forms."""
        out = []
        for part, _setting, label in PARTS:
            value, weight = self.parts.get(part), (self.weights or {}).get(part, 0)
            if isinstance(weight, Decimal):
                weight = weight.quantize(CENT, rounding=ROUND_HALF_UP).normalize()
            contribution = (
                None if value is None else (value * weight / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            )
            out.append((label, value, weight, contribution))
        return out


def score_for(appraisal, inspections, assessment, policy, inspected=True):
    """The Score of one appraisal. ``inspections``: that person's inspections of the round's year;
    ``assessment``: its DemocraticAssessment or None; ``inspected``: whether the person is one the
    half-year inspections are for (a first secretary that year). Without weights, the total is the
    typed score."""
    bands = parse_bands(policy.score_bands)
    w = weights(policy)
    parts = {
        "inspections": inspection_score(inspections),
        "annual": appraisal.score,
        "assessment": assessment.satisfaction_percent if assessment is not None else None,
    }
    if w is None:
        return Score(weights=None, parts=parts, total=appraisal.score, band=band(appraisal.score, bands))
    not_applicable = []
    if not inspected and w["inspections"] and parts["inspections"] is None:
        not_applicable = [label for part, _s, label in PARTS if part == "inspections"]
        rest = 100 - w["inspections"]
        if rest <= 0:  # inspections only: nothing else to score a team member by
            return Score(weights=w, parts=parts, not_applicable=not_applicable, missing=[])
        w = {
            part: (Decimal(0) if part == "inspections" else Decimal(value) * 100 / rest)
            for part, value in w.items()
        }
    missing = [label for part, _s, label in PARTS if w[part] and parts[part] is None]
    total = None
    if not missing:
        total = sum((parts[p] * w[p] / 100 for p in w if w[p]), Decimal(0)).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
    return Score(
        weights=w,
        parts=parts,
        total=total,
        band=band(total, bands),
        missing=missing,
        not_applicable=not_applicable,
    )


def departs(grade, score, cap):
    """Whether ``grade`` departs from what the score suggests, once the cap is applied: a grade set
    below the cap's limit because of the cap is no departure; any other difference is."""
    if not grade or grade == Grade.UNGRADED or score.band is None:
        return False
    expected = score.band
    if cap is not None and GRADE_ORDER.index(expected) < GRADE_ORDER.index(cap):
        expected = cap
    return grade != expected


# The settings a finalized round keeps (AppraisalRound.score_settings): its scores must not change
# when a county changes its weights or bands later.
SETTINGS = ["score_weight_inspections", "score_weight_annual", "score_weight_assessment", "score_bands"]


def frozen_settings(policy):
    return {name: getattr(policy, name) for name in SETTINGS}
