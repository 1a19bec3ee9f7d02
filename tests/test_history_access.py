"""Who changed what (change history) is shown to the organisation departments and township committees,
never to a dispatching unit's liaison: not on the pages, not in the admin's history pages."""

import datetime

from django.urls import reverse

from accounts import access
from assignments import leave as leave_rules
from assignments.models import SpotCheck


def _objects(personas, make_village, make_cadre, dispatch):
    cadre = make_cadre(name="赵书记")  # of 莱阳市财政局, the liaison's unit
    village = make_village(name="历史村")
    assignment = dispatch(cadre, village)
    leave = leave_rules.request_leave(
        assignment, datetime.date(2025, 6, 2), datetime.date(2025, 6, 3), "事假", personas["clerk"]
    )
    check = SpotCheck.objects.create(
        assignment=assignment,
        date=datetime.date(2025, 6, 4),
        method="unannounced",
        found_present=True,
        checked_by=personas["clerk"],
    )
    return {"cadre": cadre, "village": village, "assignment": assignment, "leave": leave, "spotcheck": check}


def test_only_a_liaison_and_a_cadre_of_the_roles_do_not_see_history():
    from accounts.models import Role

    assert {role for role, actions in access.ROLE_ACTIONS.items() if access.VIEW_HISTORY not in actions} == {
        Role.UNIT_LIAISON,
        Role.CADRE,
    }


def test_unit_liaison_sees_no_change_history_on_any_page(
    client_for, personas, make_village, make_cadre, dispatch
):
    objects = _objects(personas, make_village, make_cadre, dispatch)
    for name, obj in objects.items():
        liaison = client_for(personas["liaison"]).get(obj.get_absolute_url())
        assert liaison.status_code == 200, name
        assert liaison.context["change_history"] is None, name
        assert 'id="history"' not in liaison.content.decode(), name
        county = client_for(personas["county_admin"]).get(obj.get_absolute_url())
        assert 'id="history"' in county.content.decode(), name


def test_unit_liaison_cannot_open_the_admins_history_pages(
    client_for, personas, tree, make_village, make_cadre, dispatch
):
    objects = _objects(personas, make_village, make_cadre, dispatch)
    pages = {
        "cadre": "admin:cadres_cadre_history",
        "village": "admin:villages_village_history",
        "assignment": "admin:assignments_assignment_history",
        "leave": "admin:assignments_leaverequest_history",
        "spotcheck": "admin:assignments_spotcheck_history",
    }
    for name, page in pages.items():
        url = reverse(page, args=[objects[name].pk])
        # the liaison may see the object itself in the admin, not who changed it
        change = reverse(page.replace("_history", "_change"), args=[objects[name].pk])
        page_of_liaison = client_for(personas["liaison"]).get(change)
        assert page_of_liaison.status_code == 200, name
        assert url not in page_of_liaison.content.decode(), name  # no "History" button either
        assert url in client_for(personas["county_admin"]).get(change).content.decode(), name
        assert client_for(personas["liaison"]).get(url).status_code == 403, name
        assert client_for(personas["county_admin"]).get(url).status_code == 200, name
        assert client_for(personas["clerk"]).get(url).status_code == 200, name
    # an object outside the liaison's unit stays 404, as everywhere
    other = make_cadre(name="外单位干部", unit=tree["other_unit"], region=tree["other_county"])
    assert client_for(personas["liaison"]).get(reverse(pages["cadre"], args=[other.pk])).status_code == 404
