"""One lockout for every place a password is typed (issue 14, item 13).

django-axes counts wrong passwords at login through Django's ``user_login_failed`` signal, keyed on
user name and client address (``AXES_LOCKOUT_PARAMETERS``). The password-change form asks for the
current password too; without this, someone holding a session (a borrowed computer) could guess it
there without limit. Its wrong answers are sent through the same signal with the same credentials,
so they count in the same tally: N wrong current passwords lock the account exactly as N wrong
logins would, and a locked account cannot change its password here either.
"""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.contrib.auth.signals import user_login_failed


def credentials(user):
    return {"username": user.get_username()}


def is_locked(request, user):
    return AxesProxyHandler.is_locked(request, credentials(user))


def count_failure(request, user):
    """Record a wrong password for ``user`` typed in ``request``; the number of tries left."""
    creds = credentials(user)
    user_login_failed.send(sender=__name__, credentials=creds, request=request)
    limit = get_failure_limit(request, creds)
    return max(0, limit - AxesProxyHandler.get_failures(request, creds))


def cool_off_minutes(request):
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds() // 60) if cool_off else 0
