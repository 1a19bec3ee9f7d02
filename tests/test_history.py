"""Every change is attributable: trigger-written history on each object's page."""

import pghistory
from django.urls import reverse

from assignments.models import Assignment
from cadres.models import Cadre
from villages.models import Village


def test_dispatch_through_the_page_is_recorded_with_who_and_what(
    client_for, personas, make_village, make_cadre
):
    village, cadre = make_village(name="东村"), make_cadre(name="李书记")
    admin = client_for(personas["county_admin"])
    admin.post(
        reverse("assignments:dispatch"),
        {
            "village": village.code,
            "cadre": cadre.pk,
            "role": "first_secretary",
            "start_date": "2026-03-01",
            "dispatch_level": "county",
        },
    )
    assignment = Assignment.objects.get()
    history = admin.get(assignment.get_absolute_url()).context["change_history"]
    assert [h["action"] for h in history] == ["insert"]
    assert history[0]["user"] == personas["county_admin"]
    assert any(after == "2026-03-01" for _label, _before, after in history[0]["changes"])


def test_bulk_updates_are_recorded_too(client_for, personas, make_village):
    village = make_village(name="旧名村")
    with pghistory.context(user=personas["county_admin"].pk):
        Village.objects.filter(pk=village.pk).update(name="新名村")
    html = client_for(personas["county_admin"]).get(village.get_absolute_url()).content.decode()
    assert "旧名村 → 新名村" in html


def test_deletes_are_recorded(make_cadre):
    cadre = make_cadre(name="待删")
    pk = cadre.pk
    cadre.delete()
    events = pghistory.models.Events.objects.filter(pgh_obj_model="cadres.Cadre", pgh_obj_id=str(pk))
    assert sorted(e.pgh_label for e in events) == ["delete", "insert"]


def test_history_shows_id_numbers_masked_to_everyone(
    client_for, personas, make_village, make_cadre, dispatch
):
    cadre = make_cadre(name="王书记")
    dispatch(cadre, make_village())
    Cadre.objects.filter(pk=cadre.pk).update(phone="13800000000")
    clerk_html = client_for(personas["clerk"]).get(cadre.get_absolute_url()).content.decode()
    assert 'id="history"' in clerk_html and "13800000000" in clerk_html
    assert cadre.id_number not in clerk_html
    # The county too: a full number is shown only on demand (the "show" button), recorded.
    admin_html = client_for(personas["county_admin"]).get(cadre.get_absolute_url()).content.decode()
    assert 'id="history"' in admin_html and cadre.id_number not in admin_html
    assert cadre.masked_id_number in admin_html


def test_unit_liaison_does_not_see_who_changed_what(client_for, personas, make_village, make_cadre, dispatch):
    cadre = make_cadre(name="赵书记")
    dispatch(cadre, make_village())
    response = client_for(personas["liaison"]).get(cadre.get_absolute_url())
    assert response.status_code == 200 and response.context["change_history"] is None
    assert 'id="history"' not in response.content.decode()


def test_leave_page_shows_history(client_for, personas, make_village, make_cadre, dispatch):
    import datetime

    from assignments import leave as leave_rules

    a = dispatch(make_cadre(), make_village())
    leave = leave_rules.request_leave(
        a, datetime.date(2025, 6, 2), datetime.date(2025, 6, 3), "事假", personas["clerk"]
    )
    html = client_for(personas["county_admin"]).get(leave.get_absolute_url()).content.decode()
    assert 'id="history"' in html
