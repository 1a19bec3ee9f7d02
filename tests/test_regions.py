import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from villages.models import Region, Village


def test_prefix_is_the_significant_digits(tree):
    assert tree["province"].prefix == "37"
    assert tree["city"].prefix == "3706"
    assert tree["county"].prefix == "370682"
    assert tree["t1"].prefix == "370682100"


def test_ancestor_codes_run_nearest_first(tree):
    assert tree["t1"].ancestor_codes == ["370682000000", "370600000000", "370000000000"]


def test_village_code_outside_its_township_is_refused_with_the_prefix(tree):
    village = Village(code="370682101201", name="错村", township=tree["t1"], categories=["poverty_exit"])
    with pytest.raises(ValidationError) as exc:
        village.full_clean()
    assert "370682100" in str(exc.value.message_dict["code"])


def test_database_refuses_a_village_code_outside_its_township(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Village.objects.create(code="370682101201", name="错村", township=tree["t1"])


def test_database_refuses_a_village_code_ending_in_000(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Village.objects.create(code="370682100000", name="错村", township=tree["t1"])


def test_database_refuses_an_unknown_category(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Village.objects.create(code="370682100201", name="村", township=tree["t1"], categories=["rich"])


def test_region_code_must_fit_its_level(tree):
    region = Region(code="370682100000", name="错", level="county", parent=tree["city"])
    with pytest.raises(ValidationError):
        region.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        region.save()


def test_region_must_lie_under_its_parent(tree):
    region = Region(code="370783000000", name="外县", level="county", parent=tree["city"])
    with pytest.raises(ValidationError) as exc:
        region.full_clean()
    assert "3706" in str(exc.value.message_dict["code"])
