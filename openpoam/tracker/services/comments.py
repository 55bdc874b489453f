"""Comments on an item: a running discussion, each with its author and time.

(The item's ``comments`` field is the POA&M column of that name, exported with
the item; these are the team's notes around it.)
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from openpoam.tracker.models import Comment, PoamItem, Role
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.history import Recorder

MAX_LENGTH = 10_000


@transaction.atomic
def add_comment(actor: Actor, item: PoamItem, text: str) -> Comment:
    require(actor, item.organization, "item.comment")
    text = (text or "").strip()
    if not text:
        raise ServiceError("comment: write something first")
    if len(text) > MAX_LENGTH:
        raise ServiceError(f"comment: at most {MAX_LENGTH:,} characters")
    comment = Comment.objects.create(item=item, author=actor.user, author_name=actor.name,
                                     text=text, created_at=timezone.now())
    recorder = Recorder(actor)
    recorder.add(item, "create", entity="comment", field_name="comment", new=text[:200])
    recorder.save()
    return comment
