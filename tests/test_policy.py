from decimal import Decimal

from assignments.models import Policy


def test_documented_defaults_apply_without_any_policy(tree):
    p = Policy.effective_for(tree["t1"])
    assert (p.term_years, p.max_age, p.min_party_years, p.min_work_years) == (2, 57, 1, 2)
    assert (p.team_min_size, p.team_max_size, p.days_per_month, p.days_per_quarter) == (3, None, 20, 50)
    assert p.excellent_min_ratio == Decimal("0.300")
    assert p.business_counts_as_present is True


def test_policy_resolves_township_then_county_then_city_then_province(tree):
    Policy.objects.create(region=tree["province"], days_per_month=18, term_years=3, max_age=56)
    Policy.objects.create(region=tree["city"], days_per_month=19, term_years=2)
    Policy.objects.create(region=tree["county"], days_per_month=22)
    Policy.objects.create(region=tree["t1"], days_per_month=21)
    p = Policy.effective_for(tree["t1"])
    assert p.days_per_month == 21
    assert p.term_years == 2 and p.sources["term_years"] == "烟台市"
    assert p.max_age == 56 and p.sources["max_age"] == "山东省"
    assert Policy.effective_for(tree["t2"]).days_per_month == 22
    assert Policy.effective_for(tree["t3"]).days_per_month == 19  # another county of the same city


def test_zero_switches_an_optional_rule_off_below_a_region_that_sets_it(tree):
    Policy.objects.create(region=tree["city"], days_per_quarter=60, team_max_size=5)
    Policy.objects.create(region=tree["county"], days_per_quarter=0)
    p = Policy.effective_for(tree["t1"])
    assert p.days_per_quarter is None
    assert p.team_max_size == 5


def test_sql_expression_agrees_with_python_resolution(tree, make_village):

    from villages.models import Village

    Policy.objects.create(region=tree["city"], team_min_size=4)
    Policy.objects.create(region=tree["t2"], team_min_size=5)
    a = make_village(township=tree["t1"])
    b = make_village(township=tree["t2"])
    c = make_village(township=tree["t3"])
    got = dict(
        Village.objects.annotate(m=Policy.effective_expression("team_min_size")).values_list("pk", "m")
    )
    assert got == {a.pk: 4, b.pk: 5, c.pk: 4}
