"""``{{ code|day_mark }}``: a stored day code as the paper 考勤表 writes it, with its meaning (√ 在村)."""

from django import template

from assignments.models.attendance import CODE_LABELS, MARKS

register = template.Library()


@register.filter
def day_mark(code):
    if not code:
        return ""
    label = CODE_LABELS.get(code)
    return f"{MARKS.get(code, code)} {label}" if label else code
