"""`{% may organization "members.manage" as allowed %}`: the permission table in templates,
so a page shows only the links the signed-in user's role can follow."""

from django import template

from openpoam.tracker.services.actors import Actor, may as actor_may

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context, organization, action: str) -> bool:
    user = context["request"].user
    return user.is_authenticated and actor_may(Actor.for_user(user), organization, action)
