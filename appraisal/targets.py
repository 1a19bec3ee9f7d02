"""Targets a first secretary works toward (POLICY.md, seed 001), checked against a village's figures."""

from decimal import Decimal

from django.utils.translation import gettext as _

INCOME_FLOOR = Decimal(100000)  # ≥ 100,000 yuan a year
INCOME_GROWTH = Decimal(30000)  # + 30,000 yuan a year
PROJECTS_MIN = 3  # 3–5 livelihood projects a year


def check(result, previous, village):
    """[(target, met: bool | None, detail)] — None when it cannot be judged (no previous year)."""
    rows = [
        (
            _("Collective income at least 100,000 yuan"),
            result.collective_income >= INCOME_FLOOR,
            f"{result.collective_income:,.0f}",
        )
    ]
    if previous is not None:
        growth = result.collective_income - previous.collective_income
        rows.append(
            (_("Collective income up 30,000 yuan on the year"), growth >= INCOME_GROWTH, f"{growth:+,.0f}")
        )
    else:
        rows.append(
            (_("Collective income up 30,000 yuan on the year"), None, _("no figures for the year before"))
        )
    rows.append(
        (
            _("3–5 livelihood projects a year"),
            result.livelihood_projects >= PROJECTS_MIN,
            str(result.livelihood_projects),
        )
    )
    rows.append(
        (
            _("Every household visited each quarter"),
            result.households_visited_pct >= 100,
            f"{result.households_visited_pct} %",
        )
    )
    rows.append(
        (
            _("Party members and reserve cadres developed (≥ 1 and 3–4 within the term)"),
            result.party_members_developed >= 1 or result.reserve_cadres >= 1,
            _("%(p)d party members, %(r)d reserve cadres")
            % {"p": result.party_members_developed, "r": result.reserve_cadres},
        )
    )
    if "weak_org" in (village.categories or []):
        rows.append((_("Weak party organisation turned round within a year"), result.weak_org_fixed, ""))
    return rows
