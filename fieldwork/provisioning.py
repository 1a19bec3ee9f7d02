"""Accounts of the people the county works with: its serving cadres (驻村干部本人) and its townships'
clerks, each made in one action, and a password reset for one of them.

A new or reset password is random, shown once to the person who made it (to hand over on paper or
by phone), and must be changed at the first login (``User.must_change_password``): after that only
its owner knows the password in use. A cadre logs in with the mobile number on file.
"""

import re
import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import access, events
from accounts.models import Role, User
from assignments.models import Assignment
from villages.models import Region

MOBILE_RE = re.compile(r"1[3-9]\d{9}")
# No 0/O, 1/l/I: a password read out over the phone or copied from paper is typed right first time.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 10
INITIAL_HASHER = "pbkdf2_sha256_initial"  # accounts/hashers.py
_LOCK_CLASS = 0x7A6A  # pg_advisory_xact_lock(class, county id): one account run per county at a time


def new_password():
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(PASSWORD_LENGTH))
        # Django's validators refuse an all-digit password; so do we, with letters and digits both.
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def mobile_of(phone):
    """The 11-digit mobile number in ``phone`` (spaces, hyphens and a +86 prefix allowed), else None."""
    digits = re.sub(r"[\s\-()（）]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if MOBILE_RE.fullmatch(digits) else None


@dataclass
class Issued:
    """An account made or reset: who it is for, its login name and the one-time password."""

    name: str
    place: str
    username: str
    password: str


@dataclass
class Skipped:
    name: str
    place: str
    reason: str


def _lock_county(county):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, county.pk])


def serving_assignments(region, day=None):
    """Assignments serving on ``day`` (default today) in villages under ``region``."""
    day = day or timezone.localdate()
    return Assignment.objects.in_region(region).serving_on(day)


def _set_initial_password(user):
    password = new_password()
    user.password = make_password(password, hasher=INITIAL_HASHER)
    user.must_change_password = True
    return password


def create_cadre_accounts(county, by, request=None, day=None):
    """An account for every cadre serving in ``county`` who has none: login name = mobile number.

    Returns (issued, skipped, existing): cadres without a valid mobile number, or whose number is
    another account's login name, are skipped with the reason; ``existing`` counts cadres who already
    have an account. All or nothing, one run per county at a time."""
    with transaction.atomic():
        _lock_county(county)
        serving = (
            serving_assignments(county, day)
            .select_related("cadre", "village")
            .order_by("village__code", "role", "cadre__name", "pk")
        )
        cadres, place = {}, {}
        for a in serving:
            cadres.setdefault(a.cadre_id, a.cadre)
            place.setdefault(a.cadre_id, a.village.name)
        have = set(User.objects.filter(cadre_id__in=cadres).values_list("cadre_id", flat=True))
        wanted = {cid: mobile_of(c.phone) for cid, c in cadres.items() if cid not in have}
        taken = set(
            User.objects.filter(username__in=[m for m in wanted.values() if m]).values_list(
                "username", flat=True
            )
        )
        issued, skipped, users, seen = [], [], [], set()
        for cid, mobile in wanted.items():
            cadre = cadres[cid]
            if mobile is None:
                reason = (
                    _("no mobile number on file: add it on the cadre's page, then make the account")
                    if not cadre.phone
                    else _("%(phone)s is not an 11-digit mobile number: correct it on the cadre's page")
                    % {"phone": cadre.phone}
                )
                skipped.append(Skipped(cadre.name, place[cid], reason))
                continue
            if mobile in taken or mobile in seen:
                skipped.append(
                    Skipped(
                        cadre.name,
                        place[cid],
                        _(
                            "the mobile number %(phone)s is already another account's login name: check both records"
                        )
                        % {"phone": mobile},
                    )
                )
                continue
            seen.add(mobile)
            user = User(username=mobile, role=Role.CADRE, cadre=cadre, last_name=cadre.name, phone=mobile)
            password = _set_initial_password(user)
            users.append(user)
            issued.append(Issued(cadre.name, place[cid], mobile, password))
        User.objects.bulk_create(users)
        for user in users:
            events.record(
                request, events.Kind.ACCOUNT_CREATED, user=by, account=user.username, role=Role.CADRE
            )
    return issued, skipped, len(have)


def clerk_username(township):
    """A township clerk's login name: the township's 9-digit code (乡级统计用区划代码)."""
    return township.code[:9]


def create_clerk_accounts(county, by, request=None):
    """An account for every township of ``county`` that has no active clerk. Returns (issued, existing)."""
    with transaction.atomic():
        _lock_county(county)
        townships = list(Region.objects.filter(parent=county, level=Region.Level.TOWNSHIP).order_by("code"))
        staffed = set(
            User.objects.filter(role=Role.TOWNSHIP_CLERK, is_active=True, region__in=townships).values_list(
                "region_id", flat=True
            )
        )
        names = {clerk_username(t) for t in townships}
        taken = set(User.objects.filter(username__in=names).values_list("username", flat=True))
        issued, users = [], []
        for township in townships:
            if township.pk in staffed:
                continue
            username = clerk_username(township)
            if username in taken:  # an inactive clerk of the township: reset that one instead
                continue
            user = User(
                username=username,
                role=Role.TOWNSHIP_CLERK,
                region=township,
                last_name=_("%(township)s party committee") % {"township": township.name},
            )
            password = _set_initial_password(user)
            users.append(user)
            issued.append(Issued(user.last_name, township.name, username, password))
        User.objects.bulk_create(users)
        for user in users:
            events.record(
                request, events.Kind.ACCOUNT_CREATED, user=by, account=user.username, role=Role.TOWNSHIP_CLERK
            )
    return issued, len(staffed)


def resettable_accounts(user):
    """The accounts whose password ``user`` may reset: a county, its serving cadres' and its townships'
    clerks'; a township, the cadres serving in it."""
    if not access.can(user, access.RESET_CADRE_PASSWORDS):
        return User.objects.none()
    region = user.region
    if user.is_superuser:
        return User.objects.filter(role__in=[Role.CADRE, Role.TOWNSHIP_CLERK])
    serving = serving_assignments(region).values("cadre_id")
    cadres = User.objects.filter(role=Role.CADRE, cadre_id__in=serving)
    if user.role == Role.COUNTY_ADMIN:
        clerks = User.objects.filter(role=Role.TOWNSHIP_CLERK, region__code__startswith=region.prefix)
        return cadres | clerks
    return cadres


def reset_password(target_id, by, request=None):
    """A new one-time password for the account ``target_id``; 404 when ``by`` may not reset it."""
    from django.http import Http404

    with transaction.atomic():
        try:
            target = resettable_accounts(by).select_for_update(of=("self",)).get(pk=target_id)
        except (User.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
        password = _set_initial_password(target)
        target.save(update_fields=["password", "must_change_password"])
        events.record(request, events.Kind.PASSWORD_RESET, user=by, account=target.username)
    if target.cadre_id:
        serving = serving_assignments_of(target.cadre_id).select_related("cadre", "village").first()
        name = serving.cadre.name if serving else str(target)
        place = serving.village.name if serving else ""
    else:
        name, place = str(target), target.region.name if target.region_id else ""
    return Issued(name, place, target.username, password)


def serving_assignments_of(cadre_id, day=None):
    return Assignment.objects.for_cadre(cadre_id).serving_on(day or timezone.localdate())
