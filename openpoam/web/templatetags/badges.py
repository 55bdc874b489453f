"""The risk and status badges, written in Python: a list page shows two per row, and an
``{% include %}`` per badge was a third of the page's rendering."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

DELAYED = mark_safe(' <span class="badge badge--delayed" title="Past its scheduled completion '
                    'or a milestone\'s due date">Delayed</span>')  # a constant: nothing to escape


@register.simple_tag
def risk_badge(risk, prefix: str = "", suffix: str = ""):
    """``prefix``: what a screen reader hears before the level (default "Risk")."""
    return format_html('<span class="badge risk risk--{}"><span class="visually-hidden">{}: '
                       '</span>{}{}</span>', risk.value, prefix or "Risk", risk.label,
                       format_html(" {}", suffix) if suffix else "")


@register.simple_tag
def status_badge(entry):
    """An item's status, and "Delayed" when it is past a date it was due."""
    return format_html('<span class="badge status status--{}">{}</span>{}', entry.status.value,
                       entry.status.label, DELAYED if entry.delayed else "")
