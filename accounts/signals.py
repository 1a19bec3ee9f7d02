"""Login, failed login, logout and lockout go into the security event log.

Connected in ``AccountsConfig.ready``. ``axes`` comes before ``accounts`` in INSTALLED_APPS, so its
receivers run first and a failed login already knows whether it locked the account.
"""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import events


@receiver(user_logged_in, dispatch_uid="zhucun_security_login")
def on_login(sender, request, user, **kwargs):
    events.record(request, events.Kind.LOGIN, user=user)


@receiver(user_logged_out, dispatch_uid="zhucun_security_logout")
def on_logout(sender, request, user, **kwargs):
    if user is None:  # logging out without a session: nothing happened
        return
    reason = getattr(request, "logout_reason", None)
    events.record(request, events.Kind.LOGOUT, user=user, **({"reason": reason} if reason else {}))


@receiver(user_login_failed, dispatch_uid="zhucun_security_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    # ``credentials`` has the password already replaced by stars; only the user name is kept.
    username = str(credentials.get("username") or "")
    events.record(
        request,
        events.Kind.LOGIN_FAILED,
        user=events.user_named(username),
        username=username,
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


@receiver(user_locked_out, dispatch_uid="zhucun_security_locked_out")
def on_locked_out(sender, request, username, ip_address, **kwargs):
    events.record(
        request,
        events.Kind.LOCKED_OUT,
        user=events.user_named(username),
        username=username or "",
        failures=getattr(request, "axes_failures_since_start", None),
    )
