"""The work diary (民情日记) and the monthly report (月汇报) of issue 16: the cadre writes, the township
and county read; photos are re-encoded without their metadata and kept private."""

import datetime
import io
import os

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from accounts.models import Role, User
from dashboard import todos
from fieldwork import diary
from fieldwork.models import DiaryEntry, MonthlyReport

from .conftest import create_user


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media"
    return settings.PRIVATE_MEDIA_ROOT


def _account(assignment, username):
    user = create_user(username, Role.CADRE, cadre=assignment.cadre)
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def cadres(make_cadre, make_village, dispatch):
    """Two cadres serving in two villages of the same township (t1), each with an account."""
    a = dispatch(make_cadre(name="王芳"), make_village(name="东村"))
    b = dispatch(make_cadre(name="李强", birth=datetime.date(1986, 3, 3)), make_village(name="西村"))
    return (a, _account(a, "13805350001")), (b, _account(b, "13805350002"))


@pytest.fixture
def login(client):
    def as_(user):
        client.logout()
        client.force_login(user)
        return client

    return as_


def today():
    return timezone.localdate()


def last_month():
    return diary.previous_month(today())


def jpeg_with_gps(size=(2400, 1800)):
    image = Image.new("RGB", size, (40, 120, 60))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (36.0, 58.0, 30.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (120.0, 42.0, 0.0),
        }
    )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def entry(assignment, user, day, kind="visit", households=0, text="走访"):
    return DiaryEntry.objects.create(
        assignment=assignment, created_by=user, date=day, kind=kind, households=households, text=text
    )


def post_entry(client, **extra):
    data = {"date": f"{today():%Y-%m-%d}", "kind": "visit", "households": "3", "text": "走访三户脱贫户"}
    data.update(extra)
    return client.post(reverse("fieldwork:diary_new"), data)


@pytest.mark.django_db
def test_a_cadre_writes_an_entry_without_a_photo(cadres, login):
    (a, user), _other = cadres
    client = login(user)
    assert client.get(reverse("fieldwork:diary_new")).status_code == 200
    response = post_entry(client)
    assert response.status_code == 302
    (saved,) = DiaryEntry.objects.all()
    assert saved.assignment == a and saved.households == 3 and saved.photo == "" and saved.created_by == user
    page = client.get(reverse("fieldwork:diary")).content.decode()
    assert "走访三户脱贫户" in page


@pytest.mark.django_db
def test_a_photo_is_stored_re_encoded_without_exif_and_gps(cadres, login, media):
    (_a, user), _other = cadres
    original = jpeg_with_gps()
    # The test's own photo does carry a position, so its absence afterwards means something.
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    client = login(user)
    response = post_entry(client, upload=SimpleUploadedFile("IMG_0001.jpg", original, "image/jpeg"))
    assert response.status_code == 302
    (saved,) = DiaryEntry.objects.all()
    stored = media / saved.photo
    data = stored.read_bytes()
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        assert max(image.size) <= 1600
        assert len(image.getexif()) == 0
        assert "exif" not in image.info
    assert b"PhoneMaker" not in data and b"Exif" not in data
    assert not str(stored.resolve()).startswith(str(django_settings.STATIC_ROOT))
    served = client.get(reverse("fieldwork:diary_photo", args=[saved.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert "no-store" in served["Cache-Control"]


@pytest.mark.django_db
def test_an_oversized_photo_is_refused_with_a_message(cadres, login):
    (_a, user), _other = cadres
    big = b"\xff\xd8\xff\xe0" + os.urandom(6 * 1024 * 1024)
    response = post_entry(login(user), upload=SimpleUploadedFile("big.jpg", big, "image/jpeg"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "at most 5 MB" in body or "最大只能 5 MB" in body, body
    assert not DiaryEntry.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_is_refused_with_a_message(cadres, login, media):
    (_a, user), _other = cadres
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not a photo at all", "image/jpeg")
    response = post_entry(login(user), upload=fake)
    assert response.status_code == 200
    body = response.content.decode()
    assert "not a photo" in body or "不是照片" in body
    assert not DiaryEntry.objects.exists()
    assert not media.exists() or not any(media.rglob("*.jpg"))


@pytest.mark.django_db
def test_another_cadre_gets_404_on_an_entry_its_photo_and_a_report(cadres, login):
    (a, user), (_b, other) = cadres
    post_entry(login(user), upload=SimpleUploadedFile("p.jpg", jpeg_with_gps((300, 200)), "image/jpeg"))
    (saved,) = DiaryEntry.objects.all()
    report = MonthlyReport.objects.create(assignment=a, month=last_month(), text="月汇报", created_by=user)
    client = login(other)
    assert client.get(reverse("fieldwork:diary_entry", args=[saved.pk])).status_code == 404
    assert client.post(reverse("fieldwork:diary_entry", args=[saved.pk]), {"text": "x"}).status_code == 404
    assert client.post(reverse("fieldwork:diary_delete", args=[saved.pk])).status_code == 404
    assert client.get(reverse("fieldwork:diary_photo", args=[saved.pk])).status_code == 404
    assert client.get(reverse("fieldwork:report", args=[report.pk])).status_code == 404
    assert DiaryEntry.objects.filter(pk=saved.pk).exists()
    assert "王芳" not in client.get(reverse("fieldwork:diary")).content.decode()


@pytest.mark.django_db
def test_the_township_and_county_read_the_diary_and_another_township_gets_404(cadres, login, personas):
    (a, user), _other = cadres
    post_entry(login(user), upload=SimpleUploadedFile("p.jpg", jpeg_with_gps((300, 200)), "image/jpeg"))
    (saved,) = DiaryEntry.objects.all()
    report = MonthlyReport.objects.create(assignment=a, month=last_month(), text="本月走访", created_by=user)
    report.submit(user)
    urls = [
        reverse("records:cadre_diary", args=[a.cadre_id]),
        reverse("records:village_diary", args=[a.village.code]),
        reverse("records:diary_photo", args=[saved.pk]),
        reverse("records:report", args=[report.pk]),
    ]
    for persona in ["clerk", "county_admin"]:
        client = login(personas[persona])
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (persona, url)
        assert "走访三户脱贫户" in client.get(urls[0]).content.decode()
        assert "走访三户脱贫户" in client.get(urls[1]).content.decode()
    for persona in ["other_clerk", "other_admin"]:
        client = login(personas[persona])
        for url in urls:
            assert client.get(url).status_code == 404, (persona, url)
    # Not the township's or county's: the photo answers 404 as if it did not exist.
    assert login(personas["liaison"]).get(urls[2]).status_code == 404


@pytest.mark.django_db
def test_the_report_is_prefilled_with_the_counts_of_the_entries(cadres, login):
    (a, user), (b, other) = cadres
    month = last_month()
    entry(a, user, month, "visit", 4)
    entry(a, user, month + datetime.timedelta(days=1), "visit", 2)
    entry(a, user, month + datetime.timedelta(days=2), "project", 0, "道路硬化项目验收")
    entry(a, user, month + datetime.timedelta(days=3), "mediation", 1)
    entry(a, user, today(), "meeting")  # this month: not counted in last month's report
    entry(b, other, month, "visit", 9)  # another cadre's: not counted
    client = login(user)
    page = client.get(reverse("fieldwork:report_month", args=[f"{month:%Y-%m}"]))
    assert page.status_code == 200
    assert "道路硬化项目验收" in page.content.decode()
    response = client.post(
        reverse("fieldwork:report_month", args=[f"{month:%Y-%m}"]), {"text": "本月工作小结", "action": "save"}
    )
    assert response.status_code == 302
    report = MonthlyReport.objects.get(assignment=a, month=month)
    assert report.state == MonthlyReport.State.DRAFT
    assert report.households == 7
    assert report.counts == {
        "visit": 2,
        "meeting": 0,
        "project": 1,
        "service": 0,
        "mediation": 1,
        "other": 0,
    }


@pytest.mark.django_db
def test_a_report_submitted_twice_is_refused_the_second_time(cadres, login):
    (a, user), _other = cadres
    month = last_month()
    url = reverse("fieldwork:report_month", args=[f"{month:%Y-%m}"])
    client = login(user)
    assert client.post(url, {"text": "小结", "action": "submit"}).status_code == 302
    report = MonthlyReport.objects.get(assignment=a, month=month)
    assert report.state == MonthlyReport.State.SUBMITTED and report.submitted_at
    first = report.submitted_at
    again = client.post(url, {"text": "改过的小结", "action": "submit"}, follow=True)
    assert "already submitted" in again.content.decode() or "已提交" in again.content.decode()
    report.refresh_from_db()
    assert report.submitted_at == first and report.text == "小结"
    with pytest.raises(ValidationError):
        report.submit(user)


@pytest.mark.django_db
def test_a_missing_report_is_a_township_todo_and_a_reminder_until_submitted(cadres, login, personas):
    (a, user), (b, _other) = cadres
    month = last_month()

    def missing(persona):
        groups = [g for g in todos.for_user(personas[persona]) if g.kind == "missing_report"]
        return [text for g in groups for text, _url in g.items]

    assert any("王芳" in t for t in missing("clerk")) and any("李强" in t for t in missing("clerk"))
    assert not missing("other_clerk")
    client = login(user)
    home = client.get(reverse("fieldwork:home")).content.decode()
    assert reverse("fieldwork:report_month", args=[f"{month:%Y-%m}"]) in home
    client.post(
        reverse("fieldwork:report_month", args=[f"{month:%Y-%m}"]), {"text": "小结", "action": "submit"}
    )
    assert not any("王芳" in t for t in missing("clerk")) and any("李强" in t for t in missing("clerk"))
    home = client.get(reverse("fieldwork:home")).content.decode()
    assert reverse("fieldwork:report_month", args=[f"{month:%Y-%m}"]) not in home
    # The township's page lists who has not submitted; it marks the submitted one read.
    clerk = login(personas["clerk"])
    page = clerk.get(reverse("records:reports") + f"?month={month:%Y-%m}").content.decode()
    assert "王芳" in page and "李强" in page
    report = MonthlyReport.objects.get(assignment=a)
    assert clerk.post(reverse("records:report_read", args=[report.pk])).status_code == 302
    report.refresh_from_db()
    assert report.read_by == personas["clerk"] and report.read_at
    assert (
        login(personas["county_admin"]).post(reverse("records:report_read", args=[report.pk])).status_code
        == 403
    )


@pytest.mark.django_db
def test_entries_outside_the_edit_window_are_refused_and_own_entries_can_be_edited_and_deleted(
    cadres, login, media
):
    (a, user), _other = cadres
    client = login(user)
    too_old = last_month() - datetime.timedelta(days=1)
    response = post_entry(client, date=f"{too_old:%Y-%m-%d}")
    assert response.status_code == 200 and not DiaryEntry.objects.exists()
    post_entry(client, upload=SimpleUploadedFile("p.jpg", jpeg_with_gps((300, 200)), "image/jpeg"))
    (saved,) = DiaryEntry.objects.all()
    photo = media / saved.photo
    assert photo.exists()
    edited = client.post(
        reverse("fieldwork:diary_entry", args=[saved.pk]),
        {"date": f"{today():%Y-%m-%d}", "kind": "service", "households": "1", "text": "帮助办理医保"},
    )
    assert edited.status_code == 302
    saved.refresh_from_db()
    assert saved.kind == "service" and saved.photo  # the photo stays when none is uploaded
    assert client.post(reverse("fieldwork:diary_delete", args=[saved.pk])).status_code == 302
    assert not DiaryEntry.objects.exists() and not photo.exists()


@pytest.mark.django_db
def test_the_diary_and_report_lists_use_a_constant_number_of_queries(cadres, login, personas):
    (a, user), (b, other) = cadres

    def queries(client, url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for i in range(n):
            entry(a, user, today() - datetime.timedelta(days=i % 20), "visit", 1)
            entry(b, other, today() - datetime.timedelta(days=i % 20), "project", 1)

    urls = {
        "cadre": [reverse("fieldwork:diary"), reverse("fieldwork:reports")],
        "clerk": [
            reverse("records:cadre_diary", args=[a.cadre_id]),
            reverse("records:village_diary", args=[a.village.code]),
            reverse("records:reports") + f"?month={last_month():%Y-%m}",
        ],
    }
    add(2)
    MonthlyReport.objects.create(assignment=a, month=last_month(), text="一", created_by=user).submit(user)
    before = {
        url: queries(login(user if who == "cadre" else personas["clerk"]), url)
        for who, group in urls.items()
        for url in group
    }
    add(10)
    MonthlyReport.objects.create(assignment=b, month=last_month(), text="二", created_by=other).submit(other)
    after = {
        url: queries(login(user if who == "cadre" else personas["clerk"]), url)
        for who, group in urls.items()
        for url in group
    }
    assert before == after
