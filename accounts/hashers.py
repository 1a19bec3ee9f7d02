"""The hasher of a password set by someone else (a new account, a reset).

A county makes the accounts of its 250 serving cadres in one action; with Django's default
(PBKDF2, 1,000,000 iterations, ~0.4 s each here) that page would take minutes. These passwords are
random (50 bits: 10 characters of 32), shown once, and must be changed at the first login, so fewer
iterations cost no real safety; the new password the owner chooses is hashed with the default, and
Django re-hashes on the next login anyway (``must_update``)."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class InitialPasswordHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_initial"
    iterations = 20_000
