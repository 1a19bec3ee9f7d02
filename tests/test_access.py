import datetime

import pytest
from django.urls import reverse

START = datetime.date(2025, 3, 1)


@pytest.fixture
def world(tree, make_village, make_cadre, dispatch):
    own = make_village(township=tree["t1"], name="本镇村")
    other = make_village(township=tree["t2"], name="邻镇村")
    far = make_village(township=tree["t3"], name="外县村")
    own_cadre = make_cadre(name="本镇干部")
    other_cadre = make_cadre(name="邻镇干部")
    far_cadre = make_cadre(name="外县干部", unit=tree["other_unit"], region=tree["other_county"])
    a_own = dispatch(own_cadre, own, start=START)
    a_other = dispatch(other_cadre, other, start=START)
    dispatch(far_cadre, far, start=START)
    return locals()


def test_clerk_cannot_see_other_township_village_page(client_for, personas, world):
    client = client_for(personas["clerk"])
    assert client.get(world["own"].get_absolute_url()).status_code == 200
    assert client.get(world["other"].get_absolute_url()).status_code == 404


def test_clerk_cannot_see_other_township_cadre_page(client_for, personas, world):
    client = client_for(personas["clerk"])
    assert client.get(world["own_cadre"].get_absolute_url()).status_code == 200
    assert client.get(world["other_cadre"].get_absolute_url()).status_code == 404
    assert client.get(world["a_other"].get_absolute_url()).status_code == 404


def test_clerk_lists_show_only_its_own_township(client_for, personas, world):
    client = client_for(personas["clerk"])
    body = client.get(reverse("villages:list")).content.decode()
    assert "本镇村" in body and "邻镇村" not in body and "外县村" not in body
    body = client.get(reverse("cadres:list")).content.decode()
    assert "本镇干部" in body and "邻镇干部" not in body and "外县干部" not in body


def test_county_admin_sees_its_county_but_not_another(client_for, personas, world):
    client = client_for(personas["county_admin"])
    body = client.get(reverse("villages:list")).content.decode()
    assert "本镇村" in body and "邻镇村" in body and "外县村" not in body
    assert client.get(world["far"].get_absolute_url()).status_code == 404


def test_city_viewer_sees_every_county_but_cannot_dispatch(client_for, personas, world):
    client = client_for(personas["viewer"])
    body = client.get(reverse("villages:list")).content.decode()
    assert "本镇村" in body and "外县村" in body
    assert client.get(reverse("assignments:dispatch")).status_code == 403
    assert client.post(reverse("assignments:recall", args=[world["a_own"].pk]), {}).status_code == 403


def test_liaison_sees_only_its_units_cadres(client_for, personas, world):
    client = client_for(personas["liaison"])
    body = client.get(reverse("cadres:list")).content.decode()
    assert "本镇干部" in body and "外县干部" not in body
    assert client.get(world["far_cadre"].get_absolute_url()).status_code == 404
    assert client.get(world["own"].get_absolute_url()).status_code == 200


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("villages:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_unknown_or_malformed_ids_answer_404(client_for, personas, world):
    client = client_for(personas["county_admin"])
    assert client.get("/villages/999999999999/").status_code == 404
    assert client.get("/villages/abc/").status_code == 404
    assert client.get("/cadres/999999/").status_code == 404


def test_clerk_sees_only_its_own_in_the_admin(client_for, personas, world):
    client = client_for(personas["clerk"])
    body = client.get(reverse("admin:villages_village_changelist")).content.decode()
    assert "本镇村" in body and "邻镇村" not in body
    url = reverse("admin:villages_village_change", args=[world["other"].pk])
    assert client.get(url).status_code in (302, 404)
    own_url = reverse("admin:villages_village_change", args=[world["own"].pk])
    response = client.post(own_url, {"name": "改名"})
    assert response.status_code == 403
    body = client.get(reverse("admin:cadres_cadre_changelist")).content.decode()
    assert "本镇干部" in body and "邻镇干部" not in body


def test_admin_autocomplete_is_scoped(client_for, personas, world):
    client = client_for(personas["other_clerk"])
    url = reverse("admin:autocomplete") + "?app_label=villages&model_name=village&field_name=township&term=镇"
    response = client.get(url)
    # The clerk has no add/change rights on villages, so the widget is not even offered.
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert "沐浴店镇" not in response.content.decode()


def test_county_admin_manages_only_its_own_countys_accounts(client_for, personas, tree):
    client = client_for(personas["county_admin"])
    listed = {
        u.username for u in client.get(reverse("admin:accounts_user_changelist")).context["cl"].result_list
    }
    assert {"county", "clerk", "clerk2"} <= listed
    assert "county2" not in listed and "province" not in listed and "city" not in listed
    other = personas["other_admin"]
    assert client.get(reverse("admin:accounts_user_change", args=[other.pk])).status_code in (302, 404)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newclerk",
            "password1": "Zhucun-pass-2026",
            "password2": "Zhucun-pass-2026",
            "role": "township_clerk",
            "region": tree["t3"].pk,
        },
    )
    assert response.status_code == 200  # redisplayed with an error: t3 is outside the county
    from accounts.models import User

    assert not User.objects.filter(username="newclerk").exists()
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newclerk",
            "password1": "Zhucun-pass-2026",
            "password2": "Zhucun-pass-2026",
            "role": "township_clerk",
            "region": tree["t2"].pk,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="newclerk").region == tree["t2"]


def test_county_admin_cannot_create_another_county_admin(client_for, personas, tree):
    from accounts.models import User

    client = client_for(personas["county_admin"])
    client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "boss",
            "password1": "Zhucun-pass-2026",
            "password2": "Zhucun-pass-2026",
            "role": "county_admin",
            "region": tree["county"].pk,
        },
    )
    assert not User.objects.filter(username="boss").exists()


def test_clerk_does_not_see_the_accounts_admin(client_for, personas):
    client = client_for(personas["clerk"])
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403


def test_not_found_and_forbidden_pages_explain_themselves(client_for, personas, world, settings):
    settings.DEBUG = False
    client = client_for(personas["clerk"])
    response = client.get(world["other"].get_absolute_url())
    assert response.status_code == 404 and "管辖" in response.content.decode()
    response = client.get(reverse("assignments:dispatch"))
    assert response.status_code == 403
