import datetime

from django.urls import reverse

from assignments.models import Assignment

START = datetime.date(2025, 3, 1)


def dispatch_post(client, village, cadre, **extra):
    data = {
        "village": village.code,
        "cadre": cadre.pk,
        "role": "first_secretary",
        "start_date": "2025-03-01",
        "dispatch_level": "county",
        "batch": "2025年第一批",
    }
    data.update(extra)
    return client.post(reverse("assignments:dispatch"), data)


def test_county_admin_dispatches_a_first_secretary(client_for, personas, make_village, make_cadre):
    client = client_for(personas["county_admin"])
    village, cadre = make_village(), make_cadre()
    response = dispatch_post(client, village, cadre)
    a = Assignment.objects.get()
    assert response.status_code == 302 and response["Location"] == a.get_absolute_url()
    assert a.planned_end_date == datetime.date(2027, 2, 28) and a.created_by == personas["county_admin"]
    page = client.get(village.get_absolute_url()).content.decode()
    assert cadre.name in page


def test_ineligible_first_secretary_is_refused_on_the_page_and_nothing_saved(
    client_for, personas, make_village, make_cadre
):
    client = client_for(personas["county_admin"])
    cadre = make_cadre(joined=datetime.date(2023, 9, 1), full_member=datetime.date(2024, 9, 1))
    response = dispatch_post(client, make_village(), cadre)
    assert response.status_code == 200
    assert "2024-09-01" in response.content.decode()
    assert not Assignment.objects.exists()


def test_overlapping_dispatch_shows_the_error(client_for, personas, make_village, make_cadre, dispatch):
    client = client_for(personas["county_admin"])
    village = make_village(name="青山村")
    dispatch(make_cadre(name="原书记"), village)
    response = dispatch_post(client, village, make_cadre(name="新书记"))
    body = response.content.decode()
    assert response.status_code == 200 and "原书记" in body
    assert Assignment.objects.count() == 1


def test_dispatch_into_another_county_is_refused(client_for, personas, tree, make_village, make_cadre):
    client = client_for(personas["county_admin"])
    response = dispatch_post(client, make_village(township=tree["t3"]), make_cadre())
    assert response.status_code == 200  # the village is not a valid choice for this user
    assert not Assignment.objects.exists()


def test_bad_dates_are_refused_with_a_field_error(client_for, personas, make_village, make_cadre):
    client = client_for(personas["county_admin"])
    response = dispatch_post(client, make_village(), make_cadre(), start_date="2026-02-30")
    assert response.status_code == 200 and response.context["form"].errors["start_date"]
    assert not Assignment.objects.exists()


def test_recall_through_the_page(client_for, personas, make_village, make_cadre, dispatch):
    client = client_for(personas["county_admin"])
    a = dispatch(make_cadre(), make_village())
    url = reverse("assignments:recall", args=[a.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"end_date": "2025-08-31", "end_note": ""})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(url, {"end_date": "2025-08-31", "end_note": "工作不胜任"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.end_reason == "recalled"


def test_end_after_planned_end_says_to_extend_first(client_for, personas, make_village, make_cadre, dispatch):
    client = client_for(personas["county_admin"])
    a = dispatch(make_cadre(), make_village())
    response = client.post(
        reverse("assignments:end", args=[a.pk]), {"end_date": "2027-05-01", "end_reason": "term_completed"}
    )
    assert response.status_code == 200
    assert "2027-02-28" in str(response.context["form"].errors["end_date"])


def test_extend_through_the_page(client_for, personas, make_village, make_cadre, dispatch):
    client = client_for(personas["county_admin"])
    a = dispatch(make_cadre(), make_village())
    response = client.post(
        reverse("assignments:extend", args=[a.pk]), {"planned_end_date": "2028-03-01", "reason": "工作需要"}
    )
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.planned_end_date == datetime.date(2028, 3, 1)


def test_clerk_cannot_recall(client_for, personas, make_village, make_cadre, dispatch):
    a = dispatch(make_cadre(), make_village())
    client = client_for(personas["clerk"])
    assert client.get(a.get_absolute_url()).status_code == 200
    assert client.post(reverse("assignments:recall", args=[a.pk]), {}).status_code == 403


def test_village_list_filters_by_coverage_category_and_township(
    client_for, personas, tree, make_village, make_cadre, dispatch
):
    make_village(name="缺人村", categories=["revitalization"])
    covered = make_village(name="有人村", categories=["revitalization"], township=tree["t2"])
    dispatch(make_cadre(), covered, start=datetime.date.today() - datetime.timedelta(days=30))
    client = client_for(personas["county_admin"])
    body = client.get(reverse("villages:list"), {"coverage": "no_secretary"}).content.decode()
    assert "缺人村" in body and "有人村" not in body
    body = client.get(reverse("villages:list"), {"township": tree["t2"].code}).content.decode()
    assert "缺人村" not in body and "有人村" in body
    body = client.get(reverse("villages:list"), {"category": "poverty_exit"}).content.decode()
    assert "缺人村" not in body


def test_cadre_list_filters_by_serving(client_for, personas, make_village, make_cadre, dispatch):
    serving = make_cadre(name="在岗者")
    make_cadre(name="待派者")
    dispatch(serving, make_village(), start=datetime.date.today() - datetime.timedelta(days=3))
    client = client_for(personas["county_admin"])
    body = client.get(reverse("cadres:list"), {"serving": "yes"}).content.decode()
    assert "在岗者" in body and "待派者" not in body
    body = client.get(reverse("cadres:list"), {"serving": "no"}).content.decode()
    assert "在岗者" not in body and "待派者" in body


def test_home_shows_the_coverage_summary(client_for, personas, make_village):
    make_village(name="缺人村", categories=["revitalization"])
    response = client_for(personas["county_admin"]).get(reverse("home"))
    assert response.status_code == 200
    assert response.context["summary"]["no_secretary"] == 1


def test_english_is_selectable(client_for, personas):
    client = client_for(personas["county_admin"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Villages" in client.get(reverse("villages:list")).content.decode()
