"""Two gates after authentication, for every page.

- An account whose password someone else set (a new account, a reset) goes to the password change
  first: until then only its owner-to-be and the person who made it know the password.
- A cadre's account (role ``cadre``) reaches only the cadre's own pages (the ``fieldwork`` area) and
  the account pages; every office page answers 404, as an id outside a jurisdiction does.
"""

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from .models import Role

# Pages every logged-in account may reach, whatever the gates say.
OPEN_NAMES = {"password_change", "logout", "login", "set_language", "javascript-catalog"}
CADRE_NAMESPACES = {"fieldwork"}
CADRE_NAMES = {"home"}  # the home page sends a cadre on to its own


class AccountGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        name = match.url_name if match else None
        if name in OPEN_NAMES and not match.namespace:
            return None
        if user.must_change_password:
            return redirect(f"{reverse('password_change')}?first=1")
        if user.role == Role.CADRE and not _cadre_page(match):
            raise Http404
        return None


def _cadre_page(match):
    if match is None:
        return False
    return match.namespace in CADRE_NAMESPACES or (not match.namespace and match.url_name in CADRE_NAMES)
