"""A request that someone decides once: leave (LeaveRequest) and a cadre's trip report
(fieldwork.Trip) share the same pending → decided transition."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _


class PendingDecision:
    """Mixin for a model with ``state`` (whose choices include PENDING), ``decided_by``,
    ``decided_at`` and ``decision_note``. ``already_decided`` is the message, with %(state)s, for a
    request someone else decided first."""

    already_decided = None

    def _decide(self, state, user, note=""):
        """Move from pending to ``state`` under a row lock: of two people deciding at once, the
        second finds the request already decided and is told so."""
        with transaction.atomic():
            type(self).objects.select_for_update().filter(pk=self.pk).first()
            self.refresh_from_db(fields=["state"])
            if self.state != self.State.PENDING:
                raise ValidationError(self.already_decided % {"state": self.get_state_display()})
            self.state, self.decided_by, self.decided_at, self.decision_note = (
                state,
                user,
                timezone.now(),
                note,
            )
            self.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])


def refusal_reason(reason, missing_message):
    """The stripped reason for a refusal, or a ValidationError on ``decision_note`` saying what to fix."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"decision_note": missing_message})
    if "\x00" in reason:
        raise ValidationError(
            {
                "decision_note": _(
                    "The reason contains a NUL character (U+0000), which cannot be stored; type it again."
                )
            }
        )
    return reason
