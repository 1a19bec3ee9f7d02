"""Check-in (签到), only where a county turns it on (issue 16, item 6): one position per tap, flagged
never refused, coordinates deleted after the retention period, raw positions shown only on a logged
request to the township and county."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, SecurityEvent, User
from assignments.models import Policy
from fieldwork import checkins
from fieldwork.models import CheckIn

# The village point of the tests: 东村, 沐浴店镇 (WGS-84).
POINT = (Decimal("36.950000"), Decimal("120.700000"))
# About 300 m north of it, and about 5.5 km north.
NEAR = {"latitude": "36.952700", "longitude": "120.700000", "accuracy": "25"}
FAR = {"latitude": "37.000000", "longitude": "120.700000", "accuracy": "25"}


def turn_on(region, **settings):
    Policy.objects.update_or_create(region=region, defaults={"checkin_enabled": True, **settings})


def cadre_account(cadre, username):
    user = User.objects.create(username=username, role=Role.CADRE, cadre=cadre, must_change_password=False)
    client = Client()
    client.force_login(user)
    return user, client


def office(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def serving(make_cadre, make_village, dispatch, tree):
    village = make_village(name="东村", latitude=POINT[0], longitude=POINT[1], point_source="wgs84")
    a = dispatch(make_cadre(name="王芳"), village)
    user, client = cadre_account(a.cadre, "13805350001")
    return a, user, client


@pytest.mark.django_db
def test_where_check_in_is_off_the_page_says_so_and_a_check_in_is_refused(serving):
    _a, _user, client = serving
    page = client.get(reverse("fieldwork:checkin"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'class="note checkin-off"' in body
    assert 'id="checkin-form"' not in body
    # The navigation hides the link where it is off.
    assert reverse("fieldwork:checkin") not in client.get(reverse("fieldwork:home")).content.decode()
    assert client.post(reverse("fieldwork:checkin"), NEAR).status_code == 403
    assert CheckIn.objects.count() == 0


@pytest.mark.django_db
def test_a_check_in_near_the_village_is_stored_with_its_distance_and_not_flagged(serving, tree):
    a, _user, client = serving
    turn_on(tree["county"])
    assert reverse("fieldwork:checkin") in client.get(reverse("fieldwork:home")).content.decode()
    response = client.post(reverse("fieldwork:checkin"), NEAR, follow=True)
    assert response.status_code == 200
    made = CheckIn.objects.get()
    assert made.assignment == a and made.flag == ""
    assert 290 <= made.distance_m <= 310
    assert made.accuracy_m == 25
    assert made.latitude == Decimal("36.952700") and made.longitude == Decimal("120.700000")
    assert "msg-success" in response.content.decode()


@pytest.mark.django_db
def test_a_check_in_farther_than_the_radius_is_flagged_not_refused(serving, tree):
    _a, _user, client = serving
    turn_on(tree["t1"], checkin_radius_m=1000)
    response = client.post(reverse("fieldwork:checkin"), FAR)
    assert response.status_code == 302
    made = CheckIn.objects.get()
    assert made.flag == CheckIn.Flag.FAR and 5400 < made.distance_m < 5700


@pytest.mark.django_db
def test_a_check_in_with_poor_accuracy_is_flagged_not_refused(serving, tree):
    _a, _user, client = serving
    turn_on(tree["county"], checkin_accuracy_m=100)
    assert client.post(reverse("fieldwork:checkin"), {**NEAR, "accuracy": "850.4"}).status_code == 302
    made = CheckIn.objects.get()
    assert made.flag == CheckIn.Flag.INACCURATE and made.accuracy_m == 850


@pytest.mark.django_db
def test_a_check_in_where_the_village_has_no_point_is_flagged_without_a_distance(
    make_cadre, make_village, dispatch, tree
):
    a = dispatch(make_cadre(name="李强"), make_village(name="西村"))
    _user, client = cadre_account(a.cadre, "13805350002")
    turn_on(tree["county"])
    assert client.post(reverse("fieldwork:checkin"), NEAR).status_code == 302
    made = CheckIn.objects.get()
    assert made.flag == CheckIn.Flag.NO_POINT and made.distance_m is None


@pytest.mark.django_db
def test_a_township_setting_wins_over_its_county(serving, tree):
    _a, _user, client = serving
    turn_on(tree["county"])
    Policy.objects.create(region=tree["t1"], checkin_enabled=False)
    assert client.post(reverse("fieldwork:checkin"), NEAR).status_code == 403


@pytest.mark.django_db
def test_a_second_check_in_within_the_limit_is_refused_with_the_next_time(serving, tree):
    _a, _user, client = serving
    turn_on(tree["county"])
    assert client.post(reverse("fieldwork:checkin"), NEAR).status_code == 302
    again = client.post(reverse("fieldwork:checkin"), NEAR)
    assert again.status_code == 400
    assert f"{checkins.MINUTES_BETWEEN}" in again.content.decode()
    assert CheckIn.objects.count() == 1


@pytest.mark.django_db
def test_a_position_out_of_range_or_missing_is_refused_naming_the_field(serving, tree):
    _a, _user, client = serving
    turn_on(tree["county"])
    bad = client.post(reverse("fieldwork:checkin"), {"latitude": "95", "longitude": "", "accuracy": "x"})
    body = bad.content.decode()
    assert bad.status_code == 400
    assert body.count("<li>", body.index("checkin-errors")) >= 3  # one message per wrong field
    assert CheckIn.objects.count() == 0


@pytest.mark.django_db
def test_a_check_in_writes_nothing_into_the_attendance_sheet(serving, tree):
    from assignments.models import AttendanceRecord, AttendanceSheet

    _a, _user, client = serving
    turn_on(tree["county"])
    client.post(reverse("fieldwork:checkin"), FAR)
    assert AttendanceSheet.objects.count() == 0 and AttendanceRecord.objects.count() == 0


def test_the_haversine_distance_matches_a_known_distance():
    # One degree of latitude is 111.2 km on the mean-radius sphere; Beijing–Shanghai ~1,067 km.
    assert round(checkins.distance_m(36, 120, 37, 120)) == 111_195
    assert 1_060_000 < checkins.distance_m(39.9042, 116.4074, 31.2304, 121.4737) < 1_075_000


# Published test points (WGS-84 → GCJ-02) of the eviltransform project: Shanghai, Shenzhen, Beijing.
REFERENCE = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
]


@pytest.mark.parametrize("wgs, gcj", REFERENCE)
def test_a_gcj02_point_converts_to_within_three_metres_of_the_published_wgs84_point(wgs, gcj):
    lat, lng = checkins.gcj02_to_wgs84(*gcj)
    assert checkins.distance_m(lat, lng, *wgs) < 3
    # ...where taken as WGS-84 it would be hundreds of metres off.
    assert checkins.distance_m(*gcj, *wgs) > 200


@pytest.mark.django_db
def test_the_county_types_a_gcj02_point_and_the_village_stores_it_in_wgs84(make_village, personas):
    village = make_village(name="北村")
    client = office(personas["county_admin"])
    url = reverse("checkins:village_point", args=[village.pk])
    response = client.post(url, {"system": "gcj02", "latitude": "31.175304", "longitude": "121.531542"})
    assert response.status_code == 302
    village.refresh_from_db()
    assert checkins.distance_m(village.latitude, village.longitude, 31.1774276, 121.5272106) < 3
    assert village.point_source == "gcj02"
    assert "GCJ-02" in client.get(url).content.decode()


@pytest.mark.django_db
def test_a_typed_point_outside_china_or_without_its_system_is_refused(make_village, personas):
    village = make_village(name="北村")
    client = office(personas["county_admin"])
    url = reverse("checkins:village_point", args=[village.pk])
    swapped = client.post(url, {"system": "wgs84", "latitude": "120.7", "longitude": "36.95"})
    assert swapped.status_code == 400 and "3 " in swapped.content.decode()
    no_system = client.post(url, {"latitude": "36.95", "longitude": "120.7"})
    assert no_system.status_code == 400 and 'class="errorlist"' in no_system.content.decode()
    village.refresh_from_db()
    assert village.latitude is None


@pytest.mark.django_db
def test_a_township_clerk_may_not_set_a_village_point(make_village, personas):
    village = make_village(name="北村")
    response = office(personas["clerk"]).post(
        reverse("checkins:village_point", args=[village.pk]),
        {"system": "wgs84", "latitude": "36.95", "longitude": "120.7"},
    )
    assert response.status_code == 403


def _made(assignment, user, lat, lng, accuracy=20, flag="", days_ago=0):
    return CheckIn.objects.create(
        assignment=assignment,
        created_by=user,
        created_at=timezone.now() - datetime.timedelta(days=days_ago),
        latitude=Decimal(lat),
        longitude=Decimal(lng),
        accuracy_m=accuracy,
        distance_m=100,
        flag=flag,
    )


@pytest.mark.django_db
def test_the_median_of_usable_check_ins_is_proposed_and_the_county_accepts_it(
    make_cadre, make_village, dispatch, personas
):
    village = make_village(name="西村")
    a = dispatch(make_cadre(name="李强"), village)
    user, _client = cadre_account(a.cadre, "13805350002")
    for lat, lng in [("36.9500", "120.7000"), ("36.9502", "120.7004"), ("36.9504", "120.7002")]:
        _made(a, user, lat, lng, flag="no_point")
    _made(a, user, "37.5000", "121.5000", flag="far")  # excluded: marked far
    _made(a, user, "36.0000", "119.0000", accuracy=900, flag="inaccurate")  # excluded: vague
    proposal = checkins.proposed_point(village)
    assert proposal.count == 3
    assert (proposal.latitude, proposal.longitude) == (Decimal("36.950200"), Decimal("120.700200"))
    client = office(personas["county_admin"])
    url = reverse("checkins:village_point", args=[village.pk])
    assert "36.950200" in client.get(url).content.decode()
    assert client.post(url, {"accept": "proposal"}).status_code == 302
    village.refresh_from_db()
    assert (village.latitude, village.longitude) == (Decimal("36.950200"), Decimal("120.700200"))
    assert village.point_source == "median"


@pytest.mark.django_db
def test_fewer_than_three_usable_check_ins_propose_nothing(make_cadre, make_village, dispatch):
    village = make_village(name="西村")
    a = dispatch(make_cadre(name="李强"), village)
    user, _client = cadre_account(a.cadre, "13805350002")
    _made(a, user, "36.9500", "120.7000", flag="no_point")
    _made(a, user, "36.9502", "120.7004", flag="no_point")
    assert checkins.proposed_point(village) is None


@pytest.mark.django_db
def test_purging_deletes_coordinates_past_the_retention_and_keeps_distance_and_flag(serving, tree):
    a, user, _client = serving
    turn_on(tree["county"], checkin_retention_days=30)
    old = _made(a, user, "36.9527", "120.7000", flag="far", days_ago=31)
    recent = _made(a, user, "36.9527", "120.7000", days_ago=29)
    call_command("purge_checkins")
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.latitude is None and old.longitude is None and old.purged_at is not None
    assert old.distance_m == 100 and old.flag == "far"
    assert recent.latitude == Decimal("36.952700") and recent.purged_at is None


@pytest.mark.django_db
def test_a_township_with_a_shorter_retention_is_purged_sooner(serving, tree):
    a, user, _client = serving
    turn_on(tree["county"], checkin_retention_days=30)
    Policy.objects.create(region=tree["t1"], checkin_retention_days=7)
    made = _made(a, user, "36.9527", "120.7000", days_ago=8)
    assert checkins.purge_expired() == 1
    made.refresh_from_db()
    assert made.latitude is None


@pytest.mark.django_db
def test_the_export_worker_clean_up_also_purges_check_in_positions(serving, tree):
    from excel.management.commands.export_worker import purge_once

    a, user, _client = serving
    made = _made(a, user, "36.9527", "120.7000", days_ago=31)  # default retention: 30 days
    purge_once()
    made.refresh_from_db()
    assert made.latitude is None


@pytest.mark.django_db
def test_the_township_sees_its_check_ins_with_flags_and_filters_them(serving, personas, tree):
    a, user, _client = serving
    _made(a, user, "37.0000", "120.7000", flag="far")
    _made(a, user, "36.9527", "120.7000")
    client = office(personas["clerk"])
    page = client.get(reverse("checkins:list"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "王芳" in body and "flag-far" in body
    flagged = client.get(reverse("checkins:list"), {"flag": "flagged"}).content.decode()
    assert flagged.count("flag-far") == 1 and "badge ok" not in flagged
    last_year = client.get(reverse("checkins:list"), {"month": "2020-01"}).content.decode()
    assert "王芳" not in last_year
    # Raw coordinates only on the explicit action.
    assert "36.952700" not in body and "37.000000" not in body


@pytest.mark.django_db
def test_the_list_uses_a_constant_number_of_queries(serving, personas, django_assert_max_num_queries):
    a, user, _client = serving
    for _ in range(30):
        _made(a, user, "36.9527", "120.7000")
    client = office(personas["clerk"])
    client.get(reverse("checkins:list"))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("checkins:list")).status_code == 200


@pytest.mark.django_db
def test_showing_a_raw_position_is_logged_and_only_for_township_and_county(serving, personas, tree):
    a, user, _client = serving
    made = _made(a, user, "36.9527", "120.7000")
    url = reverse("checkins:position", args=[made.pk])
    shown = office(personas["clerk"]).post(url)
    assert shown.status_code == 200 and "36.952700, 120.700000" in shown.content.decode()
    event = SecurityEvent.objects.get(kind="checkin_position")
    assert event.user == personas["clerk"] and event.detail["checkin"] == made.pk
    assert office(personas["county_admin"]).post(url).status_code == 200
    # The unit that sent the cadre, the city above and another township's clerk: never.
    assert office(personas["liaison"]).post(url).status_code == 403
    assert office(personas["viewer"]).post(url).status_code == 403
    assert office(personas["other_clerk"]).post(url).status_code == 404
    assert office(personas["other_admin"]).post(url).status_code == 404
    assert office(personas["liaison"]).get(reverse("checkins:list")).status_code == 403
    assert SecurityEvent.objects.filter(kind="checkin_position").count() == 2
    assert office(personas["clerk"]).get(url).status_code == 405


@pytest.mark.django_db
def test_another_cadre_cannot_see_my_check_ins(serving, make_cadre, make_village, dispatch, tree):
    a, user, _client = serving
    turn_on(tree["county"])
    made = _made(a, user, "36.9527", "120.7000", days_ago=1)
    other = dispatch(make_cadre(name="李强"), make_village(name="西村"))
    _other_user, other_client = cadre_account(other.cadre, "13805350002")
    page = other_client.get(reverse("fieldwork:checkin")).content.decode()
    assert made.created_at.astimezone(timezone.get_current_timezone()).strftime("%m-%d %H:%M") not in page
    # The office pages of check-ins are not a cadre's: 404 like every page outside fieldwork.
    assert other_client.post(reverse("checkins:position", args=[made.pk])).status_code == 404
    assert other_client.get(reverse("checkins:list")).status_code == 404


@pytest.mark.django_db
def test_the_cadre_check_in_page_is_small_and_uses_a_constant_number_of_queries(
    serving, tree, django_assert_max_num_queries
):
    a, user, client = serving
    turn_on(tree["county"])
    for days in range(1, 8):
        _made(a, user, "36.9527", "120.7000", days_ago=days)
    client.get(reverse("fieldwork:checkin"))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("fieldwork:checkin"))
    assert page.status_code == 200 and len(page.content) < 100_000


@pytest.mark.django_db
def test_the_office_navigation_links_check_ins_only_where_a_policy_turns_them_on(personas, tree):
    clerk, other = office(personas["clerk"]), office(personas["other_admin"])
    link = f'href="{reverse("checkins:list")}"'
    assert link not in clerk.get(reverse("home")).content.decode()
    turn_on(tree["t1"])
    assert link in clerk.get(reverse("home")).content.decode()
    assert link in office(personas["county_admin"]).get(reverse("home")).content.decode()
    assert link not in other.get(reverse("home")).content.decode()  # 海阳市 did not turn it on
