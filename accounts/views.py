"""Account pages: changing one's password, and the page shown to a locked-out login."""

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _

from . import events, lockout


class GuardedPasswordChangeForm(PasswordChangeForm):
    """Django's form, with wrong current passwords counted against the login lockout."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        if lockout.is_locked(self.request, self.user):
            raise forms.ValidationError(
                _("Too many wrong passwords: the account is locked. Try again later."), code="locked"
            )
        old = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            left = lockout.count_failure(self.request, self.user)
            raise forms.ValidationError(
                _(
                    "Your current password was entered incorrectly. Wrong passwords here count like wrong "
                    "logins: after %(left)d more the account is locked for %(minutes)d minutes and you are "
                    "logged out."
                )
                % {"left": left, "minutes": lockout.cool_off_minutes(self.request)},
                code="password_incorrect",
            )
        return old


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page (old password, new twice, the password validators); on success every session of
    the user ends, this one included, and the user logs in again with the new password.

    Wrong current passwords count against the login lockout (``accounts.lockout``); the limit-th
    ends this session and shows the locked-out page.

    The other sessions end by themselves: each session carries a hash of the password, which no
    longer matches, so their next request finds them logged out.
    """

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("login")
    form_class = GuardedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form):
        if getattr(self.request, "axes_locked_out", False):
            # The limit-th wrong password: the session ends too (it may not be its owner's), and the
            # axes middleware answers with the locked-out page.
            self.request.logout_reason = "locked_out"
            logout(self.request)
        return super().form_invalid(form)

    def get_context_data(self, **kwargs):
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "first": getattr(user, "must_change_password", False),
            "is_cadre": getattr(user, "role", "") == "cadre",
        }

    def form_valid(self, form):
        form.user.must_change_password = False  # saved with the new password
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
