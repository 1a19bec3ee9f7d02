"""Wrong current passwords on the password-change page count against the login lockout (issue 14,
item 13): N of them lock the account exactly as N wrong logins would, and the page says so."""

from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent

from .test_account_security import PASSWORD, WRONG, login

IP = "10.0.0.1"


def change(client, old, new="Xin-mima-2026!"):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def logged_in(user):
    client = Client(REMOTE_ADDR=IP)
    client.force_login(user)
    return client


def test_n_wrong_current_passwords_lock_the_account_as_n_wrong_logins_would(settings, personas):
    clerk = personas["clerk"]
    client = logged_in(clerk)
    limit = settings.AXES_FAILURE_LIMIT
    for i in range(limit - 1):
        response = change(client, WRONG)
        assert response.status_code == 200
        text = response.content.decode()
        assert "count like wrong logins" in text and f"after {limit - 1 - i} more" in text
    locked = change(client, WRONG)
    assert locked.status_code == 429  # the locked-out page, as after the limit-th wrong login
    assert "Login locked" in locked.content.decode()
    assert SecurityEvent.objects.filter(kind="locked_out", user=clerk).exists()
    assert SecurityEvent.objects.filter(kind="login_failed", user=clerk).count() == limit
    # This session ended, and logging in with the right password is refused from this address.
    assert client.get(reverse("home")).status_code == 302
    assert login("clerk", PASSWORD, ip=IP).status_code == 429
    assert login("clerk", PASSWORD, ip="10.0.0.2").status_code == 302  # the same key as the login's
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)  # nothing changed


def test_wrong_logins_and_wrong_current_passwords_add_up(settings, personas):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert login("clerk", WRONG, ip=IP).status_code == 200
    assert change(logged_in(personas["clerk"]), WRONG).status_code == 429


def test_a_locked_account_cannot_change_its_password_even_with_the_right_one(settings, personas):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login("clerk", WRONG, ip=IP)
    response = change(logged_in(personas["clerk"]), PASSWORD)
    assert response.status_code == 200
    assert "the account is locked" in response.content.decode()
    personas["clerk"].refresh_from_db()
    assert personas["clerk"].check_password(PASSWORD)


def test_the_right_current_password_still_changes_it(personas):
    client = logged_in(personas["clerk"])
    assert change(client, WRONG).status_code == 200
    assert change(client, PASSWORD).status_code == 302
    personas["clerk"].refresh_from_db()
    assert personas["clerk"].check_password("Xin-mima-2026!")
