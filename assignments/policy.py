"""Policy settings (POLICY.md) and how a village's effective policy is resolved.

A setting left empty on a region inherits from the region above it: township → county → city →
province → the documented defaults below. For settings that can be switched off, 0 means off.
"""

from dataclasses import dataclass, field
from decimal import Decimal

DEFAULTS = {
    "term_years": 2,
    "max_age": 57,
    "min_party_years": 1,
    "min_work_years": 2,
    "team_min_size": 3,
    "team_max_size": None,
    "days_per_month": 20,
    "days_per_quarter": 50,
    "days_per_year": None,
    "minimum_excludes_holidays": True,
    "business_counts_as_present": True,
    "township_leave_max_days": 3,
    "max_leave_days_per_year": None,
    "allowance_per_day": Decimal("6.00"),
    "allowance_per_month": Decimal("40.00"),
    "excellent_min_ratio": Decimal("0.300"),
    "excellent_max_ratio": None,
    "term_end_excellent_min_ratio": None,
    "term_end_excellent_max_ratio": None,
    "spot_check_caps": "1:competent,2:basic,3:incompetent",
    "attendance_blocks_excellent": True,
    "min_months_for_appraisal": 6,
    "submit_before_month_end": False,
    "checkin_enabled": False,
    "checkin_radius_m": 1000,
    "checkin_accuracy_m": 200,
    "checkin_retention_days": 30,
    # Empty: every signal at its default weight (supervision/signals.py WEIGHTS).
    "supervision_weights": "",
    "supervision_threshold": 5,
    "supervision_sample_percent": 10,
    # Weighted score (appraisal/scoring.py): off while all 0; the bands of POLICY.md.
    "score_weight_inspections": 0,
    "score_weight_annual": 0,
    "score_weight_assessment": 0,
    "score_bands": "85:excellent,70:competent,60:basic",
}

# Settings where 0 (or an empty text) switches the rule off rather than inheriting.
SWITCHABLE = {
    "team_max_size",
    "days_per_quarter",
    "days_per_year",
    "max_leave_days_per_year",
    "excellent_max_ratio",
    "term_end_excellent_min_ratio",
    "term_end_excellent_max_ratio",
}


@dataclass(frozen=True)
class EffectivePolicy:
    values: dict
    sources: dict = field(default_factory=dict)  # setting -> region name that set it ("" = default)

    def __getattr__(self, name):
        if name.startswith("__") or name in ("values", "sources"):  # unpickling (the grid's cache)
            raise AttributeError(name)
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def resolve(policies_nearest_first) -> EffectivePolicy:
    """Merge Policy rows ordered from the most specific region to the least."""
    values, sources = {}, {}
    for name, default in DEFAULTS.items():
        values[name], sources[name] = default, ""
        for policy in policies_nearest_first:
            value = getattr(policy, name)
            if value is not None and value != "":
                values[name], sources[name] = value, policy.region.name
                break
        if name in SWITCHABLE and not values[name]:
            values[name] = None
    return EffectivePolicy(values, sources)
