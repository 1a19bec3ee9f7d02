"""Accounts pages of the county and the township: make cadres' and clerks' accounts, reset a password."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import access
from accounts.models import Role, User

from . import provisioning


@login_required
def accounts_page(request):
    """The serving cadres of the jurisdiction with their accounts (and, for a county, its townships'
    clerks); the county makes the missing ones in one action, either may reset a password."""
    user = request.user
    access.require(user, access.RESET_CADRE_PASSWORDS)
    region = user.region
    if region is None:  # the operator has no county of its own: the admin serves it
        raise Http404
    serving = (
        provisioning.serving_assignments(region)
        .select_related("cadre__account", "village__township")
        .order_by("village__township__code", "village__code", "role", "cadre__name", "pk")
    )
    rows, seen = [], set()
    for a in serving:
        if a.cadre_id in seen:
            continue
        seen.add(a.cadre_id)
        account = getattr(a.cadre, "account", None)
        rows.append(
            {
                "assignment": a,
                "cadre": a.cadre,
                "account": account,
                "mobile": provisioning.mobile_of(a.cadre.phone),
            }
        )
    clerks = []
    if user.role == Role.COUNTY_ADMIN or user.is_superuser:
        townships = region.children.filter(level="township").order_by("code") if region else []
        by_township = {}
        for clerk in User.objects.filter(role=Role.TOWNSHIP_CLERK, region__in=townships).order_by("pk"):
            by_township.setdefault(clerk.region_id, []).append(clerk)
        clerks = [{"township": t, "accounts": by_township.get(t.pk, [])} for t in townships]
    context = {
        "rows": rows,
        "clerks": clerks,
        "missing": sum(1 for r in rows if r["account"] is None),
        "missing_clerks": sum(1 for c in clerks if not any(u.is_active for u in c["accounts"])),
        "is_county": user.role == Role.COUNTY_ADMIN,
        "nav": "accounts",
    }
    return render(request, "fieldwork/accounts.html", context)


def _issued_page(request, title, issued, skipped=(), existing=None):
    return render(
        request,
        "fieldwork/issued.html",
        {"title": title, "issued": issued, "skipped": skipped, "existing": existing, "nav": "accounts"},
    )


@login_required
@require_POST
def create_cadre_accounts(request):
    user = request.user
    access.require(user, access.DISPATCH)  # the county's action
    if user.region is None:
        raise Http404
    issued, skipped, existing = provisioning.create_cadre_accounts(user.region, user, request)
    return _issued_page(request, _("Cadres' accounts made"), issued, skipped, existing)


@login_required
@require_POST
def create_clerk_accounts(request):
    user = request.user
    access.require(user, access.DISPATCH)
    if user.region is None:
        raise Http404
    issued, existing = provisioning.create_clerk_accounts(user.region, user, request)
    return _issued_page(request, _("Township clerks' accounts made"), issued, existing=existing)


@login_required
@require_POST
def reset_password(request, pk):
    access.require(request.user, access.RESET_CADRE_PASSWORDS)
    issued = provisioning.reset_password(pk, request.user, request)
    return _issued_page(request, _("Password reset"), [issued])
