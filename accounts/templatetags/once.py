"""``{% submission_key %}``: the hidden one-time key of a form that creates something (accounts/once.py)."""

from django import template
from django.utils.html import format_html

from accounts.once import FIELD, new_key

register = template.Library()


@register.simple_tag
def submission_key():
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_key())
