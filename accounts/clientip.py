"""The client's IP address, read correctly behind a known number of reverse proxies.

Each proxy appends the address it received the request from to ``X-Forwarded-For``; Django sees the
last proxy as ``REMOTE_ADDR``. With ``TRUSTED_PROXY_COUNT = n`` the client is therefore the n-th entry
from the right: everything to its left was written by the client and may be forged. With 0 (the
default, no proxy) the header is ignored altogether. django-axes uses this function
(``AXES_CLIENT_IP_CALLABLE``) to key its lockouts, and the security event log records the same address.
"""

import ipaddress

from django.conf import settings


def is_ip(address):
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR") or None
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        # Fewer hops than proxies: the request did not come through them all, so nothing in the
        # header can be trusted.
        return remote
    candidate = forwarded[-count]
    return candidate if is_ip(candidate) else remote
