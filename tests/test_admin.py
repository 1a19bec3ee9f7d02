from django.urls import reverse

from villages.models import Village


def village_form(tree, **extra):
    data = {
        "code": "370682100299",
        "name": "新建村",
        "township": tree["t1"].code,
        "categories": ["poverty_exit", "weak_org"],
        "population": "800",
        "note": "",
    }
    data.update(extra)
    return data


def test_county_admin_adds_a_village_with_categories_in_the_admin(client_for, personas, tree):
    client = client_for(personas["county_admin"])
    response = client.post(reverse("admin:villages_village_add"), village_form(tree))
    assert response.status_code == 302, response.context["adminform"].form.errors
    village = Village.objects.get(code="370682100299")
    assert village.categories == ["poverty_exit", "weak_org"]


def test_admin_refuses_a_village_code_outside_its_township_and_names_the_prefix(client_for, personas, tree):
    client = client_for(personas["county_admin"])
    response = client.post(reverse("admin:villages_village_add"), village_form(tree, code="370682101299"))
    assert response.status_code == 200
    assert "370682100" in str(response.context["adminform"].form.errors["code"])
    assert not Village.objects.exists()


def test_county_admin_cannot_put_a_village_in_another_countys_township(client_for, personas, tree):
    client = client_for(personas["county_admin"])
    response = client.post(
        reverse("admin:villages_village_add"),
        village_form(tree, code="370687100299", township=tree["t3"].code),
    )
    assert response.status_code == 200
    assert not Village.objects.exists()


def test_city_viewer_reads_but_cannot_change_in_the_admin(client_for, personas, tree, make_village):
    village = make_village()
    client = client_for(personas["viewer"])
    assert client.get(reverse("admin:villages_village_changelist")).status_code == 200
    assert client.get(reverse("admin:villages_village_add")).status_code == 403
    response = client.post(reverse("admin:villages_village_change", args=[village.pk]), village_form(tree))
    assert response.status_code == 403


def test_county_admin_cannot_edit_a_city_unit_it_can_see(client_for, personas, tree):
    from cadres.models import Unit

    city_unit = Unit.objects.create(name="烟台市财政局", level="city", kind="party_gov", region=tree["city"])
    client = client_for(personas["county_admin"])
    assert client.get(reverse("admin:cadres_unit_changelist")).status_code == 200
    response = client.post(
        reverse("admin:cadres_unit_change", args=[city_unit.pk]),
        {"name": "改名", "level": "city", "kind": "party_gov", "region": tree["city"].pk},
    )
    assert response.status_code == 403
    city_unit.refresh_from_db()
    assert city_unit.name == "烟台市财政局"


def test_assignments_are_read_only_in_the_admin(client_for, personas):
    client = client_for(personas["county_admin"])
    assert client.get(reverse("admin:assignments_assignment_add")).status_code == 403
