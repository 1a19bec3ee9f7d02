"""The monthly-report reminder on the cadre's 我的本月 page (one small block, no view change)."""

from django import template
from django.utils import timezone

from fieldwork import diary

register = template.Library()


@register.inclusion_tag("fieldwork/_report_reminder.html", takes_context=True)
def report_reminder(context):
    user = context["request"].user
    month = diary.previous_month(timezone.localdate())
    due = bool(user.cadre_id) and diary.report_missing(user.cadre_id, month)
    return {"due": due, "month": month}
