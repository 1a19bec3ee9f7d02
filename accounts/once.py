"""Forms that create something are sent once (issue 14): each such form carries a one-time key
(``{% submission_key %}``); the view creates its object inside ``submission(request)``, which claims
the key in the same transaction. A second request with the key — even at the same instant: it waits on
the key's unique index until the first commits — raises ``AlreadySent`` with the first one's page."""

import uuid
from contextlib import contextmanager

from django.db import IntegrityError, transaction

from .models import FormSubmission

FIELD = "submission"


class AlreadySent(Exception):
    def __init__(self, url):
        super().__init__(url)
        self.url = url


def _key(request):
    try:
        return uuid.UUID(request.POST.get(FIELD, ""))
    except ValueError:
        return None  # no key (a script, an old page): created as before


@contextmanager
def submission(request):
    """``with submission(request) as made: obj = …; made(obj)`` — all in one transaction."""
    key = _key(request)
    with transaction.atomic():
        if key is not None:
            try:
                with transaction.atomic():
                    FormSubmission.objects.create(key=key, user=request.user)
            except IntegrityError:
                first = FormSubmission.objects.filter(key=key, user=request.user).first()
                raise AlreadySent(first.url if first else "") from None
        made = []
        yield made.append
        if key is not None and made and hasattr(made[-1], "get_absolute_url"):
            FormSubmission.objects.filter(key=key).update(url=made[-1].get_absolute_url()[:200])


def new_key():
    return str(uuid.uuid4())
