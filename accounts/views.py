"""Account pages: changing one's password, and the page shown to a locked-out login."""

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _

from . import events


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page (old password, new twice, the password validators); on success every session of
    the user ends, this one included, and the user logs in again with the new password.

    The other sessions end by themselves: each session carries a hash of the password, which no
    longer matches, so their next request finds them logged out.
    """

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        user = form.save()
        events.record(self.request, events.Kind.PASSWORD_CHANGED, user=user, by="self")
        self.request.logout_reason = "password_changed"
        logout(self.request)
        messages.success(self.request, _("Your password has been changed. Log in with the new password."))
        return redirect(self.get_success_url())


def locked_out(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: what happened, when to try again, whom to ask (HTTP 429)."""
    cool_off = get_cool_off(request)
    # Every attempt during a lockout starts the cool-off again (AXES_RESET_COOL_OFF_ON_FAILURE_…).
    retry_at = timezone.localtime(timezone.now() + cool_off) if cool_off else None
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "cool_off_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        "retry_at": retry_at,
    }
    return render(request, "registration/locked_out.html", context, status=429)
