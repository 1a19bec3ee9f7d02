"""The security event log: one call records an event in the database and on the ``zhucun.security`` logger.

``record(request, kind, user=None, **detail)`` — ``request`` may be None (a background task, a
management command); the user defaults to the request's logged-in user, the IP address is read the
way the lockout reads it (``accounts.clientip``). ``detail`` must be JSON-serialisable and never holds
a password.
"""

import getpass
import json
import logging

from django.core.serializers.json import DjangoJSONEncoder

from .clientip import client_ip, is_ip
from .models import SecurityEvent, User

logger = logging.getLogger("zhucun.security")
Kind = SecurityEvent.Kind

USER_AGENT_MAX = SecurityEvent._meta.get_field("user_agent").max_length
USERNAME_MAX = SecurityEvent._meta.get_field("username").max_length


def _request_user(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def record(request, kind, user=None, *, username=None, **detail):
    kind = Kind(kind)
    if user is None and request is not None:
        user = _request_user(request)
    if username is None:
        username = user.get_username() if user is not None else ""
    ip = client_ip(request) if request is not None else None
    if ip and not is_ip(ip):
        ip = None
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=str(username)[:USERNAME_MAX],
        ip=ip,
        user_agent=agent[:USER_AGENT_MAX],
        detail=detail,
    )
    logger.info(
        "%s user=%s ip=%s %s",
        kind.value,
        event.username or "-",
        ip or "-",
        json.dumps(detail, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True),
    )
    return event


def user_named(username):
    """The account a login form's user name refers to, if any (failed logins of unknown names: None)."""
    if not username:
        return None
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()


def command_username():
    """Who ran a management command, for events without a logged-in user."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "?"
    return f"manage.py ({name})"
