"""Issue 14 items 1, 4 and 15: ID numbers masked (and birth dates cut to year-month) wherever a user
sees them masked — pages, exports, history, the admin — and full ID numbers only on demand, recorded."""

import datetime
import io

from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import SecurityEvent

BIRTH = datetime.date(1985, 5, 17)


def cells(response):
    return [c.value for row in load_workbook(io.BytesIO(response.content)).active.iter_rows() for c in row]


# --- the admin (item 1) --------------------------------------------------------------------------
def test_the_admin_shows_a_clerk_and_a_liaison_the_id_number_masked_and_the_birth_month_only(
    client_for, personas, make_cadre, make_village, dispatch
):
    cadre = make_cadre(birth=BIRTH)
    dispatch(cadre, make_village(), start=datetime.date.today() - datetime.timedelta(days=5))
    url = reverse("admin:cadres_cadre_change", args=[cadre.pk])
    for persona in ("clerk", "liaison"):
        page = client_for(personas[persona]).get(url)
        assert page.status_code == 200, persona
        html = page.content.decode()
        assert cadre.id_number not in html and cadre.masked_id_number in html, persona
        assert "1985-05-17" not in html and "1985年5月17日" not in html and "May 17, 1985" not in html, (
            persona
        )
        assert "1985-05" in html, persona


def test_the_admin_does_not_let_a_clerk_or_a_liaison_search_by_id_digits(
    client_for, personas, make_cadre, make_village, dispatch
):
    cadre = make_cadre(birth=BIRTH, name="查号测试")
    dispatch(cadre, make_village(), start=datetime.date.today() - datetime.timedelta(days=5))
    changelist = reverse("admin:cadres_cadre_changelist")
    for persona in ("clerk", "liaison"):
        client = client_for(personas[persona])
        assert "查号测试" in client.get(changelist).content.decode(), persona
        for digits in (cadre.id_number, cadre.id_number[-4:], cadre.id_number[6:14]):
            found = client.get(changelist, {"q": digits}).content.decode()
            assert "查号测试" not in found, (persona, digits)
        # Nor by a lookup in the address (Django's changelist filters by any field of the model).
        for lookup in ({"id_number__startswith": cadre.id_number[:14]}, {"birth_date": "1985-05-17"}):
            response = client.get(changelist, lookup)
            assert response.status_code == 400 or "查号测试" not in response.content.decode(), (
                persona,
                lookup,
            )
    county = client_for(personas["county_admin"])
    assert "查号测试" in county.get(changelist, {"q": cadre.id_number}).content.decode()
    assert (
        "查号测试" in county.get(changelist, {"id_number__startswith": cadre.id_number[:14]}).content.decode()
    )


def test_the_county_edits_the_full_id_number_in_the_admin(client_for, personas, make_cadre):
    cadre = make_cadre(birth=BIRTH)
    page = client_for(personas["county_admin"]).get(reverse("admin:cadres_cadre_change", args=[cadre.pk]))
    assert f'value="{cadre.id_number}"' in page.content.decode()


# --- pages and history (items 4, 15) ------------------------------------------------------------
def test_the_cadre_page_shows_everyone_the_masked_number_and_the_birth_month_by_default(
    client_for, personas, make_cadre, make_village, dispatch
):
    cadre = make_cadre(birth=BIRTH)
    dispatch(cadre, make_village(), start=datetime.date.today() - datetime.timedelta(days=5))
    for persona in ("county_admin", "viewer", "clerk", "liaison"):
        html = client_for(personas[persona]).get(cadre.get_absolute_url()).content.decode()
        assert cadre.id_number not in html and cadre.masked_id_number in html, persona
        assert "1985-05-17" not in html and "1985-05" in html, persona
        shows = reverse("cadres:id_number", args=[cadre.pk]) in html
        assert shows == (persona in ("county_admin", "viewer")), persona


def test_showing_the_full_number_is_a_post_that_is_recorded(client_for, personas, make_cadre):
    cadre = make_cadre(birth=BIRTH, name="看号测试")
    url = reverse("cadres:id_number", args=[cadre.pk])
    county = client_for(personas["county_admin"])
    assert county.get(url).status_code == 405
    assert not SecurityEvent.objects.filter(kind="id_number_shown").exists()
    page = county.post(url)
    assert page.status_code == 200 and cadre.id_number in page.content.decode()
    assert "1985-05-17" in page.content.decode()
    event = SecurityEvent.objects.get(kind="id_number_shown")
    assert event.user == personas["county_admin"] and event.detail["cadre"] == cadre.pk and event.at


def test_a_clerk_cannot_ask_for_the_full_number(client_for, personas, make_cadre, make_village, dispatch):
    cadre = make_cadre(birth=BIRTH)
    dispatch(cadre, make_village(), start=datetime.date.today() - datetime.timedelta(days=5))
    response = client_for(personas["clerk"]).post(reverse("cadres:id_number", args=[cadre.pk]))
    assert response.status_code == 403 and cadre.id_number not in response.content.decode()
    assert not SecurityEvent.objects.filter(kind="id_number_shown").exists()


def test_the_change_history_masks_the_id_number_and_the_birth_date_even_for_the_county(
    client_for, personas, make_cadre
):
    cadre = make_cadre(birth=BIRTH)
    html = client_for(personas["county_admin"]).get(cadre.get_absolute_url()).content.decode()
    assert cadre.id_number not in html and "1985-05-17" not in html


# --- exports (items 4, 15) ----------------------------------------------------------------------
def test_the_roster_is_masked_by_default_with_the_birth_month_only(
    client_for, personas, make_cadre, make_village, dispatch
):
    cadre = make_cadre(birth=BIRTH)
    dispatch(cadre, make_village(), start=datetime.date.today() - datetime.timedelta(days=5))
    for persona in ("county_admin", "clerk", "liaison"):
        values = cells(client_for(personas[persona]).get(reverse("excel:export", args=["roster"])))
        assert cadre.id_number not in values and cadre.masked_id_number in values, persona
        births = [v for v in values if isinstance(v, datetime.datetime) and v.year == 1985]
        assert births == [datetime.datetime(1985, 5, 1)], persona


def test_the_county_asks_for_full_id_numbers_on_purpose_and_the_export_records_it(
    client_for, personas, make_cadre, make_village, dispatch
):
    cadre = make_cadre(birth=BIRTH)
    dispatch(cadre, make_village(), start=datetime.date.today() - datetime.timedelta(days=5))
    county = client_for(personas["county_admin"])
    page = county.get(reverse("excel:exports")).content.decode()
    assert 'name="ids" value="full"' in page
    values = cells(county.get(reverse("excel:export", args=["roster"]), {"ids": "full"}))
    assert cadre.id_number in values and datetime.datetime(1985, 5, 17) in values
    event = SecurityEvent.objects.filter(kind="export").latest("at")
    assert event.user == personas["county_admin"] and event.detail["full_ids"] is True


def test_a_clerk_asking_for_full_id_numbers_is_refused(
    client_for, personas, make_cadre, make_village, dispatch
):
    dispatch(make_cadre(), make_village(), start=datetime.date.today() - datetime.timedelta(days=5))
    clerk = client_for(personas["clerk"])
    assert 'name="ids"' not in clerk.get(reverse("excel:exports")).content.decode()
    assert clerk.get(reverse("excel:export", args=["roster"]), {"ids": "full"}).status_code == 403


def test_a_background_roster_keeps_the_choice_and_records_it(
    settings,
    tmp_path,
    client_for,
    personas,
    make_cadre,
    make_village,
    dispatch,
    django_capture_on_commit_callbacks,
):
    from excel import tasks
    from excel.models import ExportJob

    settings.EXPORT_FOREGROUND_MAX_ROWS = 0  # everything goes to the worker
    settings.EXPORT_DIR = tmp_path
    cadre = make_cadre(birth=BIRTH)
    dispatch(cadre, make_village(), start=datetime.date.today() - datetime.timedelta(days=5))
    county = client_for(personas["county_admin"])
    found = {}
    for query in ({}, {"ids": "full"}):
        with django_capture_on_commit_callbacks(execute=True):
            county.get(reverse("excel:export", args=["roster"]), query)
        job = ExportJob.objects.latest("pk")
        tasks.run_export.call(job.pk)
        download = county.get(reverse("excel:job_download", args=[job.pk]))
        values = [
            c.value
            for row in load_workbook(io.BytesIO(b"".join(download.streaming_content))).active.iter_rows()
            for c in row
        ]
        found[bool(query)] = cadre.id_number in values
        written = SecurityEvent.objects.filter(kind="export", detail__stage="written").latest("at")
        assert written.detail["full_ids"] is bool(query)
    assert found == {False: False, True: True}
