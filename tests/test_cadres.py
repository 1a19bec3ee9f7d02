import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cadres import idcard
from cadres.dates import add_years, years_between
from cadres.models import Cadre
from tests.conftest import make_id

VALID = "11010519491231002X"  # the GB 11643 standard's own example


def test_standard_example_id_is_valid():
    assert idcard.parse(VALID) == (datetime.date(1949, 12, 31), "F")


@pytest.mark.parametrize(
    "value",
    [
        "110105194912310021",
        "11010519491231002",
        "11010519491231002XX",
        "11010519491331002X",
        "A1010519491231002X",
    ],
)
def test_bad_id_numbers_are_refused(value):
    with pytest.raises(idcard.IdNumberError):
        idcard.parse(value)


def test_an_id_number_whose_first_two_digits_are_no_province_is_refused_naming_them():
    first17 = "990105194912310" + "02"
    with pytest.raises(idcard.IdNumberError, match="前两位 99 不是省级行政区划代码"):
        idcard.parse(first17 + idcard.check_digit(first17))


@pytest.mark.parametrize(
    "two", ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71", "81", "82"]
)
def test_every_province_code_at_the_edges_of_its_range_is_accepted(two):
    first17 = f"{two}0105194912310" + "02"
    assert idcard.parse(first17 + idcard.check_digit(first17))[0] == datetime.date(1949, 12, 31)


@pytest.mark.parametrize(
    "two",
    [
        "00",
        "10",
        "16",
        "20",
        "24",
        "30",
        "38",
        "40",
        "47",
        "49",
        "55",
        "60",
        "66",
        "70",
        "72",
        "80",
        "83",
        "91",
    ],
)
def test_two_digits_between_the_province_ranges_are_refused(two):
    first17 = f"{two}0105194912310" + "02"
    with pytest.raises(idcard.IdNumberError, match=f"前两位 {two} 不是"):
        idcard.parse(first17 + idcard.check_digit(first17))


def test_a_birth_date_from_1900_01_01_to_today_is_accepted_and_outside_refused():
    today = datetime.date.today()
    assert idcard.parse(make_id(datetime.date(1900, 1, 1)))[0] == datetime.date(1900, 1, 1)
    assert idcard.parse(make_id(today))[0] == today
    with pytest.raises(idcard.IdNumberError, match="（1899-12-31）须在1900-01-01至今天之间"):
        idcard.parse(make_id(datetime.date(1899, 12, 31)))
    with pytest.raises(idcard.IdNumberError, match="须在1900-01-01至今天之间"):
        idcard.parse(make_id(today + datetime.timedelta(days=1)))


def test_a_cadre_with_an_id_outside_any_province_is_refused_on_the_id_number_field(tree):
    first17 = "99068219850501123"
    cadre = Cadre(
        name="张伟",
        id_number=first17 + idcard.check_digit(first17),
        political_status="masses",
        unit=tree["unit"],
        rank="staff",
        region=tree["county"],
    )
    with pytest.raises(ValidationError) as exc:
        cadre.full_clean()
    assert "99" in str(exc.value.message_dict["id_number"])


@pytest.mark.parametrize(
    ("number", "birth", "constraint"),
    [
        ("99068219850501123", datetime.date(1985, 5, 1), "cadre_id_number_province"),
        ("37068218991231123", datetime.date(1899, 12, 31), "cadre_birth_year_from_1900"),
    ],
)
def test_the_database_refuses_an_implausible_id_number_past_clean(tree, number, birth, constraint):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Cadre.objects.create(
            name="张伟",
            id_number=number + idcard.check_digit(number),
            birth_date=birth,
            gender="M",
            political_status="masses",
            unit=tree["unit"],
            rank="staff",
            region=tree["county"],
        )


def test_full_width_digits_and_lower_x_are_normalised():
    assert idcard.normalize(" １１０１０５１９４９１２３１００２x ") == VALID


def test_wrong_check_digit_names_the_expected_character(tree):
    cadre = Cadre(
        name="李娜",
        id_number=VALID[:-1] + "1",
        political_status="masses",
        unit=tree["unit"],
        rank="staff",
        region=tree["county"],
    )
    with pytest.raises(ValidationError) as exc:
        cadre.full_clean()
    assert "X" in str(exc.value.message_dict["id_number"])


def test_birth_date_must_agree_with_id(tree):
    cadre = Cadre(
        name="李娜",
        id_number=VALID,
        birth_date=datetime.date(1950, 1, 1),
        gender="F",
        political_status="masses",
        unit=tree["unit"],
        rank="staff",
        region=tree["county"],
    )
    with pytest.raises(ValidationError) as exc:
        cadre.full_clean()
    assert "1949-12-31" in str(exc.value.message_dict["birth_date"])


def test_birth_date_and_gender_are_taken_from_the_id_when_left_empty(tree):
    cadre = Cadre(
        name="李娜",
        id_number=VALID,
        political_status="masses",
        unit=tree["unit"],
        rank="staff",
        region=tree["county"],
    )
    cadre.full_clean()
    assert cadre.birth_date == datetime.date(1949, 12, 31)
    assert cadre.gender == "F"


def test_database_refuses_a_bad_check_digit_past_clean(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Cadre.objects.create(
            name="王强",
            gender="F",
            id_number=VALID[:-1] + "1",
            birth_date=datetime.date(1949, 12, 31),
            political_status="masses",
            unit=tree["unit"],
            rank="staff",
            region=tree["county"],
        )


def test_database_refuses_a_birth_date_that_disagrees_with_the_id(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Cadre.objects.create(
            name="王强",
            gender="F",
            id_number=VALID,
            birth_date=datetime.date(1949, 12, 30),
            political_status="masses",
            unit=tree["unit"],
            rank="staff",
            region=tree["county"],
        )


def test_id_number_is_unique(make_cadre):
    first = make_cadre()
    with pytest.raises(IntegrityError), transaction.atomic():
        Cadre.objects.create(
            name="重复",
            gender=first.gender,
            id_number=first.id_number,
            birth_date=first.birth_date,
            political_status="masses",
            unit=first.unit,
            rank="staff",
            region=first.region,
        )


def test_generated_ids_pass_the_check():
    value = make_id(datetime.date(1990, 2, 28), "F")
    assert idcard.parse(value) == (datetime.date(1990, 2, 28), "F")


def test_whole_years_count_the_anniversary_as_complete():
    born = datetime.date(1968, 6, 15)
    assert years_between(born, datetime.date(2026, 6, 14)) == 57
    assert years_between(born, datetime.date(2026, 6, 15)) == 58


def test_leap_day_anniversary_falls_on_first_of_march():
    assert add_years(datetime.date(2024, 2, 29), 2) == datetime.date(2026, 3, 1)
    assert years_between(datetime.date(2000, 2, 29), datetime.date(2026, 2, 28)) == 25
    assert years_between(datetime.date(2000, 2, 29), datetime.date(2026, 3, 1)) == 26
