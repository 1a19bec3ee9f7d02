"""Accounts: lockout keyed on user name and client IP, passwords, sessions, the security event log."""

import datetime
import io
import logging

import pytest
from django.contrib.auth import password_validation
from django.contrib.sessions.models import Session
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.clientip import client_ip
from accounts.models import Role, SecurityEvent, User

from .test_imports import VILLAGE_HEADERS, village_rows, xlsx

PASSWORD = "pw-zhucun-123"  # conftest's make_user
WRONG = "not-the-password-7"


def login(username, password, ip="10.0.0.1", **headers):
    """One login attempt through the real login page, as a fresh browser from ``ip``."""
    return Client(REMOTE_ADDR=ip).post(
        reverse("login"), {"username": username, "password": password}, **headers
    )


def fail_until_locked(username, settings, ip="10.0.0.1", **headers):
    responses = [login(username, WRONG, ip, **headers) for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    return responses[-1]


def zh(text):
    with translation.override("zh-hans"):
        return str(text)


# --- lockout ---------------------------------------------------------------------------------------


def test_the_lockout_defaults_come_from_the_environment_with_sensible_values(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(minutes=15) <= settings.AXES_COOLOFF_TIME <= datetime.timedelta(minutes=30)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.TRUSTED_PROXY_COUNT == 0


def test_repeated_wrong_passwords_lock_that_user_name_from_that_address_only(settings, personas):
    # Wrong passwords show the form again until the limit-th in a row, which locks.
    locked = fail_until_locked("clerk", settings)
    assert locked.status_code == 429
    # Even the right password is refused now, from that address…
    assert login("clerk", PASSWORD).status_code == 429
    # …but the same person logs in from another computer, and others from the same one.
    elsewhere = login("clerk", PASSWORD, ip="10.0.0.2")
    assert elsewhere.status_code == 302 and elsewhere["Location"] == reverse("home")
    assert login("clerk2", PASSWORD).status_code == 302


def test_a_successful_login_forgets_earlier_mistakes(settings, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login("clerk", WRONG)
    assert login("clerk", PASSWORD).status_code == 302
    assert login("clerk", WRONG).status_code == 200  # counting starts again


def test_the_lock_ends_after_the_cool_off(settings, personas):
    fail_until_locked("clerk", settings)
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)
    assert login("clerk", PASSWORD).status_code == 302


def test_the_locked_out_page_says_what_happened_when_to_retry_and_whom_to_ask(settings, personas):
    before = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    page = fail_until_locked("clerk", settings)
    after = timezone.localtime(timezone.now() + settings.AXES_COOLOFF_TIME)
    text = page.content.decode()
    assert page.status_code == 429
    assert page.context["failure_limit"] == settings.AXES_FAILURE_LIMIT
    assert page.context["cool_off_minutes"] == settings.AXES_COOLOFF_TIME.total_seconds() // 60
    assert before <= page.context["retry_at"] <= after
    assert page.context["retry_at"].strftime("%H:%M") in text
    ask = (
        "If you cannot wait or have forgotten your password, ask your county organisation department "
        "(the account administrator) to unlock the account or set a new password."
    )
    assert escape(zh(translation.gettext_lazy(ask))) in text
    assert reverse("login") in text


def test_a_forged_forwarded_for_header_does_not_change_the_key_without_a_proxy(settings, personas):
    for n in range(settings.AXES_FAILURE_LIMIT):
        login("clerk", WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    # Still locked whatever the header claims: the key is REMOTE_ADDR.
    assert login("clerk", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_behind_one_proxy_the_address_it_forwards_is_the_key(settings, personas):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.9.9.9"
    fail_until_locked("clerk", settings, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1")
    # The same client is locked, even when it prepends a forged address of its own…
    assert login("clerk", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    forged = "203.0.113.5, 198.51.100.1"
    assert login("clerk", PASSWORD, proxy, HTTP_X_FORWARDED_FOR=forged).status_code == 429
    # …while another client behind the same proxy logs in: the proxy's address is not the key.
    assert login("clerk", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 302


@pytest.mark.parametrize(
    "count, remote, forwarded, expected",
    [
        (0, "10.0.0.1", "", "10.0.0.1"),
        (0, "10.0.0.1", "203.0.113.9", "10.0.0.1"),
        (1, "10.9.9.9", "198.51.100.1", "198.51.100.1"),
        (1, "10.9.9.9", "203.0.113.9, 198.51.100.1", "198.51.100.1"),
        (2, "10.9.9.8", "203.0.113.9, 198.51.100.1, 10.9.9.9", "198.51.100.1"),
        (2, "10.9.9.8", "198.51.100.1", "10.9.9.8"),  # fewer hops than proxies: trust nothing
        (1, "10.9.9.9", "not-an-address", "10.9.9.9"),
        (1, "10.9.9.9", "2001:db8::1", "2001:db8::1"),
        (1, "10.9.9.9", "", "10.9.9.9"),
    ],
)
def test_the_client_address_is_read_from_the_right_of_the_forwarded_chain(
    settings, count, remote, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


def test_a_county_admin_unlocks_a_clerk_in_the_admin(settings, personas, client_for):
    fail_until_locked("clerk", settings)
    admin = client_for(personas["county_admin"])
    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_login", "_selected_action": [personas["clerk"].pk, personas["other_admin"].pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert login("clerk", PASSWORD).status_code == 302


def test_a_county_admin_cannot_unlock_someone_outside_its_county(
    settings, personas, client_for, make_user, tree
):
    outsider = make_user("clerk9", Role.TOWNSHIP_CLERK, tree["t3"])
    fail_until_locked("clerk9", settings)
    client_for(personas["county_admin"]).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_login", "_selected_action": [outsider.pk]},
    )
    assert login("clerk9", PASSWORD).status_code == 429


# --- passwords -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "new, validators",
    [
        ("zhucun", [password_validation.MinimumLengthValidator()]),
        (
            "12345678",
            [password_validation.CommonPasswordValidator(), password_validation.NumericPasswordValidator()],
        ),
    ],
)
def test_the_password_change_page_applies_the_validators(personas, client_for, new, validators):
    client = client_for(personas["clerk"])
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 200
    for validator in validators:
        assert escape(zh(validator.get_error_message())) in response.content.decode()
    personas["clerk"].refresh_from_db()
    assert personas["clerk"].check_password(PASSWORD)
    assert not SecurityEvent.objects.filter(kind="password_changed").exists()


def test_the_password_change_page_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_changing_the_password_logs_out_every_session_of_the_user(personas, client_for):
    clerk = personas["clerk"]
    here, there = Client(), Client()
    here.force_login(clerk)
    there.force_login(clerk)
    colleague = client_for(personas["other_clerk"])
    assert there.get(reverse("home")).status_code == 200
    new = "Xin-mima-2026!"
    done = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        follow=True,
    )
    # This session ended: the login page, with the message to use the new password.
    assert done.redirect_chain[-1][0] == reverse("login")
    assert not done.context["user"].is_authenticated
    message = zh(translation.gettext_lazy("Your password has been changed. Log in with the new password."))
    assert escape(message) in done.content.decode()
    for client in (here, there):  # the other session ended too
        response = client.get(reverse("home"))
        assert response.status_code == 302 and reverse("login") in response["Location"]
    assert colleague.get(reverse("home")).status_code == 200  # nobody else's
    assert login("clerk", PASSWORD).status_code == 200  # the old password is gone
    assert login("clerk", new).status_code == 302
    changed = SecurityEvent.objects.get(kind="password_changed")
    assert changed.user == clerk and changed.detail == {"by": "self"}
    assert SecurityEvent.objects.filter(
        kind="logout", user=clerk, detail={"reason": "password_changed"}
    ).exists()


def test_a_password_reset_in_the_admin_ends_that_users_sessions(personas, client_for):
    clerk = Client()
    clerk.force_login(personas["clerk"])
    admin = client_for(personas["county_admin"])
    url = reverse("admin:auth_user_password_change", args=[personas["clerk"].pk])
    weak = admin.post(url, {"password1": "12345678", "password2": "12345678", "usable_password": "true"})
    assert weak.status_code == 200
    assert (
        escape(zh(password_validation.NumericPasswordValidator().get_error_message()))
        in weak.content.decode()
    )
    assert clerk.get(reverse("home")).status_code == 200  # nothing changed yet
    new = "Chongzhi-mima-2026!"
    done = admin.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert done.status_code == 302
    response = clerk.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert admin.get(reverse("home")).status_code == 200  # the admin's own session stays
    event = SecurityEvent.objects.get(kind="password_changed")
    assert event.user == personas["clerk"] and event.detail == {"by": "county"}


def test_creating_a_user_in_the_admin_applies_the_validators(personas, client_for, tree):
    admin = client_for(personas["county_admin"])
    data = {
        "username": "newclerk",
        "password1": "12345678",
        "password2": "12345678",
        "last_name": "王",
        "first_name": "芳",
        "role": Role.TOWNSHIP_CLERK,
        "region": tree["t1"].pk,
    }
    response = admin.post(reverse("admin:accounts_user_add"), data)
    assert response.status_code == 200
    assert (
        escape(zh(password_validation.NumericPasswordValidator().get_error_message()))
        in response.content.decode()
    )
    assert not User.objects.filter(username="newclerk").exists()
    data["password1"] = data["password2"] = "Xinren-mima-2026!"
    assert admin.post(reverse("admin:accounts_user_add"), data).status_code == 302
    assert User.objects.get(username="newclerk").check_password("Xinren-mima-2026!")


# --- sessions --------------------------------------------------------------------------------------


def test_sessions_last_at_most_a_working_day_and_end_with_the_browser(settings, personas):
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    client = Client()
    response = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie
    session = Session.objects.get(session_key=cookie.value)
    assert session.expire_date <= timezone.now() + datetime.timedelta(hours=8)
    assert client.get(reverse("home")).status_code == 200
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- the security event log ------------------------------------------------------------------------


def test_login_failed_login_and_logout_are_recorded_without_the_password(personas, caplog):
    clerk = personas["clerk"]
    caplog.set_level(logging.INFO, logger="zhucun.security")
    agent = "Mozilla/5.0 " + "x" * 400
    assert login("clerk", WRONG, HTTP_USER_AGENT=agent).status_code == 200
    assert login("ghost", WRONG).status_code == 200
    client = Client(REMOTE_ADDR="10.0.0.3")
    assert client.post(reverse("login"), {"username": "clerk", "password": PASSWORD}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302

    failed, unknown, logged_in, logged_out = SecurityEvent.objects.order_by("pk")
    assert (failed.kind, failed.user, failed.username, failed.ip) == (
        "login_failed",
        clerk,
        "clerk",
        "10.0.0.1",
    )
    assert failed.user_agent == agent[:255] and failed.at <= timezone.now()
    assert failed.detail == {"locked_out": False}
    assert (unknown.kind, unknown.user, unknown.username) == ("login_failed", None, "ghost")
    assert (logged_in.kind, logged_in.user, logged_in.ip) == ("login", clerk, "10.0.0.3")
    assert (logged_out.kind, logged_out.user, logged_out.ip) == ("logout", clerk, "10.0.0.3")
    for event in (failed, unknown, logged_in, logged_out):
        stored = " ".join(str(v) for v in SecurityEvent.objects.filter(pk=event.pk).values().get().values())
        assert WRONG not in stored and PASSWORD not in stored
    logged = [r.getMessage() for r in caplog.records if r.name == "zhucun.security"]
    assert [m.split()[0] for m in logged] == ["login_failed", "login_failed", "login", "logout"]
    assert all(WRONG not in m and PASSWORD not in m for m in logged)


def test_a_lockout_is_recorded(settings, personas):
    fail_until_locked("clerk", settings)
    locked = SecurityEvent.objects.get(kind="locked_out")
    assert locked.user == personas["clerk"] and locked.ip == "10.0.0.1"
    assert locked.detail == {"failures": settings.AXES_FAILURE_LIMIT}
    last_failure = SecurityEvent.objects.filter(kind="login_failed").first()  # newest first
    assert last_failure.detail == {"locked_out": True}


def test_exports_are_recorded_with_the_user(personas, client_for):
    client = client_for(personas["county_admin"])
    assert client.get(reverse("excel:export", args=["roster"]), REMOTE_ADDR="10.0.0.4").status_code == 200
    event = SecurityEvent.objects.get(kind="export")
    assert event.user == personas["county_admin"] and event.ip == "10.0.0.4"
    assert event.detail["export"] == "roster" and event.detail["stage"] == "served"


def test_the_export_command_is_recorded(tree, tmp_path):
    from django.core.management import call_command

    call_command("export", "roster", "--region", tree["county"].code, "-o", str(tmp_path / "r.xlsx"))
    event = SecurityEvent.objects.get(kind="export")
    assert event.user is None and event.username.startswith("manage.py")
    assert event.detail["stage"] == "command" and event.detail["region"] == tree["county"].code


def test_imports_committed_and_refused_are_recorded(personas, client_for):
    client = client_for(personas["county_admin"])
    url = reverse("excel:import", args=["villages"])
    junk = io.BytesIO(b"hello")
    junk.name = "villages.xlsx"
    assert client.post(url, {"file": junk}).status_code == 400
    good = xlsx(VILLAGE_HEADERS, village_rows())
    good.name = "villages.xlsx"
    assert client.post(url, {"file": good}).status_code == 302
    refused, committed = SecurityEvent.objects.filter(kind="import").order_by("pk")
    assert refused.user == personas["county_admin"] and refused.detail["outcome"] == "refused"
    assert refused.detail["data"] == "villages" and refused.detail["reason"]
    assert committed.detail["outcome"] == "committed" and committed.detail["created"] == 3


def test_the_admin_event_list_is_scoped_read_only_newest_first(personas, make_user):
    from accounts import events

    superuser = make_user("root", "", is_superuser=True)
    clients = {}
    for user in [*personas.values(), superuser]:
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    SecurityEvent.objects.all().delete()  # the logins above
    for name in ("clerk", "liaison", "county", "county2", "city"):
        events.record(None, events.Kind.LOGIN, user=User.objects.get(username=name))
    events.record(None, events.Kind.LOGIN_FAILED, username="ghost")
    url = reverse("admin:accounts_securityevent_changelist")

    def seen(username, **params):
        response = clients[username].get(url, params)
        assert response.status_code == 200
        return [e.username for e in response.context["cl"].result_list]

    # Its county's users only (the fixture's liaison has no region, so is nobody's), newest first.
    assert seen("county") == ["county", "clerk"]
    assert seen("county2") == ["county2"]
    assert seen("root") == ["ghost", "city", "county2", "county", "liaison", "clerk"]
    assert seen("root", kind="login_failed") == ["ghost"]
    for name in ("city", "province", "clerk", "liaison"):
        assert clients[name].get(url).status_code == 403
    event = SecurityEvent.objects.get(username="clerk")
    admin = clients["county"]
    detail = admin.get(reverse("admin:accounts_securityevent_change", args=[event.pk]))
    assert detail.status_code == 200 and b'name="kind"' not in detail.content  # read-only
    assert admin.post(reverse("admin:accounts_securityevent_delete", args=[event.pk])).status_code == 403
    assert SecurityEvent.objects.filter(pk=event.pk).exists()
    other = SecurityEvent.objects.get(username="county2")
    assert admin.get(reverse("admin:accounts_securityevent_change", args=[other.pk])).status_code == 404
