"""The review queue's counts on the admin index (kb/templates/admin/kb_index.html)."""

from django import template

from curation.review_queue import may_see_queue, parts_with_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def waiting_for_review(context) -> list[tuple[str, str, int]] | None:
    """Each part of the review queue with its count, for those who may see the queue (None for others)."""
    user = context["request"].user
    return parts_with_counts(user) if may_see_queue(user) else None


@register.simple_tag(takes_context=True)
def may_see_review_queue(context) -> bool:
    """Whether to link the queue (the sidebar, on every admin page, links it without counting)."""
    return may_see_queue(context["request"].user)
