"""Targets a first secretary works toward (POLICY.md, seed 001), checked against a village's figures.

A target is met only when EVERY part of it is met: the collective income must both grow by 30,000
yuan on the year before AND reach 100,000 yuan; the village must develop at least one party member
AND train at least three reserve cadres within the term (3–4; the figures of the term's years so far
add up); 3–5 livelihood projects a year means at least three; every household visited each quarter
means 100 %. A part that cannot be judged (no figures for the year before) leaves the target
undecided, unless another part is already missed.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

INCOME_FLOOR = Decimal(100000)  # ≥ 100,000 yuan a year
INCOME_GROWTH = Decimal(30000)  # + 30,000 yuan a year
PROJECTS_MIN = 3  # 3–5 livelihood projects a year
PARTY_MEMBERS_MIN = 1  # develop ≥ 1 party member within the term
RESERVE_CADRES_MIN = 3  # and 3–4 reserve cadres within the term


def _all(*parts):
    """Every part met → True; any part missed → False; otherwise (a part unknown) → None."""
    if any(p is False for p in parts):
        return False
    if any(p is None for p in parts):
        return None
    return True


def term_start_year(assignments, year):
    """The first year of the term that covers ``year``: the start year of the first secretary among
    ``assignments`` (a village's) serving that year, or ``year`` itself when there is none."""
    starts = [
        a.start_date.year
        for a in assignments
        if a.role == "first_secretary" and a.start_date.year <= year <= a.last_day.year
    ]
    return min(starts) if starts else year


def term_results(results, since, year):
    """The results of the term's years so far: from ``since`` up to ``year``."""
    return [r for r in results if since <= r.year <= year]


def check(result, previous, village, term=None):
    """[(target, met: bool | None, detail)] — None when it cannot be judged (no previous year).
    ``term``: the results of the term's years so far (default: this year's only)."""
    term = list(term) if term else [result]
    if result not in term:
        term.append(result)
    floor_met = result.collective_income >= INCOME_FLOOR
    if previous is not None:
        growth = result.collective_income - previous.collective_income
        growth_met, growth_text = growth >= INCOME_GROWTH, f"{growth:+,.0f}"
    else:
        growth_met, growth_text = None, _("no figures for the year before")
    party = sum(r.party_members_developed for r in term)
    reserve = sum(r.reserve_cadres for r in term)
    rows = [
        (
            _("Collective income up 30,000 yuan on the year and at least 100,000 yuan"),
            _all(floor_met, growth_met),
            f"{result.collective_income:,.0f} ({growth_text})",
        ),
        (
            _("3–5 livelihood projects a year"),
            result.livelihood_projects >= PROJECTS_MIN,
            str(result.livelihood_projects),
        ),
        (
            _("Every household visited each quarter"),
            result.households_visited_pct >= 100,
            f"{result.households_visited_pct} %",
        ),
        (
            _("At least 1 party member and 3–4 reserve cadres developed within the term"),
            _all(party >= PARTY_MEMBERS_MIN, reserve >= RESERVE_CADRES_MIN),
            _("%(p)d party members, %(r)d reserve cadres in the term so far") % {"p": party, "r": reserve},
        ),
    ]
    if "weak_org" in (village.categories or []):
        rows.append((_("Weak party organisation turned round within a year"), result.weak_org_fixed, ""))
    return rows
