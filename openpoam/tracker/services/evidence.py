"""Evidence: files kept outside the database by SHA-256, or links.

Files are stored content-addressed under EVIDENCE_DIR, written to a temporary
file while hashed and size-checked, so an oversized upload never lands. They
are only ever served as downloads (see views), never inline.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction

from openpoam.tracker.models import Evidence, Milestone, PoamItem, Role
from openpoam.tracker.services.actors import Actor, ServiceError, require
from openpoam.tracker.services.filetypes import media_type_of
from openpoam.tracker.services.history import Recorder

CHUNK = 1024 * 1024


@transaction.atomic
def add_file(actor: Actor, item: PoamItem, name: str, stream: BinaryIO, *,
             milestone: Milestone | None = None, description: str = "") -> Evidence:
    require(actor, item.organization, Role.EDITOR)
    _check_milestone(item, milestone)
    safe_name = Path(name).name.strip() or "evidence"
    digest, size, storage_name = store(stream, safe_name)
    media_type = media_type_of(Path(settings.EVIDENCE_DIR) / storage_name)
    evidence = Evidence.objects.create(
        item=item, milestone=milestone, kind=Evidence.FILE, name=safe_name, sha256=digest,
        size=size, media_type=media_type, storage_name=storage_name, description=description,
        uploaded_by=actor.name, uploader=actor.user)
    _record(actor, item, evidence, f"{safe_name} (sha256 {digest[:12]}…, {size:,} bytes)")
    return evidence


@transaction.atomic
def add_link(actor: Actor, item: PoamItem, url: str, *, name: str = "",
             milestone: Milestone | None = None, description: str = "") -> Evidence:
    require(actor, item.organization, Role.EDITOR)
    _check_milestone(item, milestone)
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ServiceError(f"evidence link: {url!r} is not an http(s) address")
    evidence = Evidence.objects.create(
        item=item, milestone=milestone, kind=Evidence.LINK, name=name.strip() or url.strip(),
        url=url.strip(), description=description, uploaded_by=actor.name, uploader=actor.user)
    _record(actor, item, evidence, url.strip())
    return evidence


def store(stream: BinaryIO, name: str) -> tuple[str, int, str]:
    """Hash and copy the stream into the evidence folder; refuse it past the size limit."""
    limit = settings.EVIDENCE_MAX_BYTES
    root = Path(settings.EVIDENCE_DIR)
    root.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ServiceError(f"evidence {name!r} is larger than the limit of "
                                       f"{limit:,} bytes")
                digest.update(chunk)
                out.write(chunk)
        hexdigest = digest.hexdigest()
        storage_name = f"{hexdigest[:2]}/{hexdigest}"
        target = root / storage_name
        target.parent.mkdir(exist_ok=True)
        os.replace(tmp, target)
        os.chmod(target, 0o600)
        return hexdigest, size, storage_name
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def path_of(evidence: Evidence) -> Path:
    return Path(settings.EVIDENCE_DIR) / evidence.storage_name


def _check_milestone(item: PoamItem, milestone: Milestone | None) -> None:
    if milestone is not None and milestone.item_id != item.pk:
        raise ServiceError("evidence: that milestone belongs to another item")


def _record(actor: Actor, item: PoamItem, evidence: Evidence, text: str) -> None:
    recorder = Recorder(actor)
    target = f"milestone {evidence.milestone.sequence}" if evidence.milestone else "item"
    recorder.add(item, "create", entity="evidence", entity_uuid=evidence.uuid,
                 field_name=f"evidence on {target}", new=text)
    recorder.save()
