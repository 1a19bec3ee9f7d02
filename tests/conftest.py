"""Shared fixtures: a small province → city → county → townships tree and the four personas."""

import datetime
import itertools

import pytest

from accounts.models import Role, User
from assignments.models import Assignment
from cadres import idcard
from cadres.dates import add_years
from cadres.models import Cadre, Unit
from villages.models import Region, Village

_seq = itertools.count(1)


def make_id(birth: datetime.date, gender="M", area="370682") -> str:
    order = next(_seq) % 499 * 2 + (1 if gender == "M" else 0)  # 17th digit odd = male
    first17 = f"{area}{birth:%Y%m%d}{order:03d}"
    return first17 + idcard.check_digit(first17)


@pytest.fixture(autouse=True)
def empty_cache():
    # Viewers' dashboards are cached by region code; every test builds its regions afresh.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    # A test that switches the language (a request, translation.activate) must not leave the next
    # test reading English where the site's default is Chinese.
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # PBKDF2's deliberate slowness costs half a second per persona; tests don't need it.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "accounts.hashers.InitialPasswordHasher",
    ]


def build_tree():
    """The province → city → county → townships tree of the ``tree`` fixture (also built once per
    module by the authorization matrix, outside a function fixture)."""
    province = Region.objects.create(code="370000000000", name="山东省", level="province")
    city = Region.objects.create(code="370600000000", name="烟台市", level="city", parent=province)
    county = Region.objects.create(code="370682000000", name="莱阳市", level="county", parent=city)
    other_county = Region.objects.create(code="370687000000", name="海阳市", level="county", parent=city)
    t1 = Region.objects.create(code="370682100000", name="沐浴店镇", level="township", parent=county)
    t2 = Region.objects.create(code="370682101000", name="团旺镇", level="township", parent=county)
    t3 = Region.objects.create(code="370687100000", name="凤城街道", level="township", parent=other_county)
    unit = Unit.objects.create(name="莱阳市财政局", level="county", kind="party_gov", region=county)
    other_unit = Unit.objects.create(
        name="海阳市财政局", level="county", kind="party_gov", region=other_county
    )
    return {
        "province": province,
        "city": city,
        "county": county,
        "other_county": other_county,
        "t1": t1,
        "t2": t2,
        "t3": t3,
        "unit": unit,
        "other_unit": other_unit,
    }


@pytest.fixture
def tree(db):
    return build_tree()


@pytest.fixture
def make_village(tree):
    counter = itertools.count(201)

    def make(township=None, categories=("poverty_exit",), **kw):
        township = township or tree["t1"]
        n = next(counter)
        return Village.objects.create(
            code=township.code[:9] + f"{n:03d}",
            name=kw.pop("name", f"村{n}"),
            township=township,
            categories=list(categories),
            **kw,
        )

    return make


@pytest.fixture
def make_cadre(tree):
    def make(
        birth=datetime.date(1985, 5, 1),
        status="party_member",
        joined=datetime.date(2010, 7, 1),
        work=datetime.date(2008, 8, 1),
        unit=None,
        region=None,
        **kw,
    ):
        gender = kw.pop("gender", "M")
        return Cadre.objects.create(
            name=kw.pop("name", "张伟"),
            gender=gender,
            id_number=make_id(birth, gender),
            birth_date=birth,
            political_status=status,
            party_joined_on=joined if status in ("party_member", "probationary") else None,
            party_full_member_on=kw.pop(
                "full_member", add_years(joined, 1) if status == "party_member" and joined else None
            ),
            work_started_on=work,
            unit=unit or tree["unit"],
            rank=kw.pop("rank", "section"),
            region=region or tree["county"],
            **kw,
        )

    return make


def create_user(username, role, region=None, unit=None, **kw):
    user = User(username=username, role=role, region=region, unit=unit, **kw)
    user.set_password("pw-zhucun-123")
    user.save()
    return user


def build_personas(tree, make_user=create_user):
    return {
        "county_admin": make_user("county", Role.COUNTY_ADMIN, tree["county"]),
        "clerk": make_user("clerk", Role.TOWNSHIP_CLERK, tree["t1"]),
        "other_clerk": make_user("clerk2", Role.TOWNSHIP_CLERK, tree["t2"]),
        "viewer": make_user("city", Role.CITY, tree["city"]),
        "province": make_user("province", Role.PROVINCE, tree["province"]),
        "liaison": make_user("liaison", Role.UNIT_LIAISON, unit=tree["unit"]),
        "other_admin": make_user("county2", Role.COUNTY_ADMIN, tree["other_county"]),
    }


@pytest.fixture
def make_user(tree):
    return create_user


@pytest.fixture
def personas(tree, make_user):
    return build_personas(tree, make_user)


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def dispatch(personas):
    def run(cadre, village, role="first_secretary", start=datetime.date(2025, 3, 1), **kw):
        return Assignment.dispatch(
            cadre=cadre,
            village=village,
            role=role,
            start_date=start,
            user=personas["county_admin"],
            dispatch_level="county",
            **kw,
        )

    return run
