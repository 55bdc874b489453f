"""Signed checkpoints of the audit trail, kept outside the database.

A checkpoint pins the head of each chain (and the hashes of records spread along it) with
an Ed25519 signature whose private key lives in a file (``settings.SIGNING_KEY_FILE``),
never in the database. Whoever can rewrite the database can recompute every hash, but not
sign: a later ``verify`` against a checkpoint taken before the rewrite names the first
record that no longer matches, the record that is gone, or the chain that went back.

    text = checkpoints.make(actor, organization)          # signed JSON
    problems = checkpoints.verify(actor, text, organization)
    path = checkpoints.write_checkpoints(folder)          # the scheduler's daily call
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from openpoam.formats import checkpoint as fmt
from openpoam.tracker.models import ChainHead, ChangeEvent, Organization
from openpoam.tracker.services import audit, chain
from openpoam.tracker.services.actors import Actor, ServiceError, require

# Exports carry fewer marks than a checkpoint file: a workbook cell holds 32,767 characters.
EXPORT_MARKS = 250


# ---- the signing key -------------------------------------------------------------------------

def key_path() -> Path:
    return Path(settings.SIGNING_KEY_FILE)


def ensure_key() -> tuple[Ed25519PrivateKey, bool]:
    """The installation's signing key, created (mode 0600) when there is none yet; returns
    it and whether it was created. Processes racing here all end with the same key."""
    path = key_path()
    if path.exists():
        return _load(path), False
    try:
        return _create(path), True
    except FileExistsError:  # another process made the key first: use theirs
        return _load(path), False
    except OSError as exc:
        raise ServiceError(f"cannot create the checkpoint signing key {path}: "
                           f"{exc.strerror or exc}") from None


def _create(path: Path) -> Ed25519PrivateKey:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(pem)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(tmp, path)  # FileExistsError if another process made the key first
    finally:
        os.unlink(tmp)
    return key


def _load(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ServiceError(f"cannot read the checkpoint signing key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ServiceError(f"{path} is not an Ed25519 private key")
    return key


def key_warning() -> str:
    """Why the signing key file is not private enough, or ""."""
    path = key_path()
    if path.exists() and path.stat().st_mode & 0o077:
        return (f"the checkpoint signing key {path} can be read by other users (mode "
                f"{path.stat().st_mode & 0o777:o}): chmod 600 it")
    return ""


def trusted_public_key() -> bytes:
    """The public half of the installation's key: the one checkpoints must be signed by."""
    path = key_path()
    if not path.exists():
        raise ServiceError(f"no checkpoint signing key at {path}: nothing was ever signed "
                           "here (run `openpoam setup`, or set OPENPOAM_SIGNING_KEY_FILE)")
    return fmt.public_raw(_load(path))


def public_key_info() -> dict:
    """For display and export: PEM, fingerprint and where the private half lives."""
    public = fmt.public_raw(ensure_key()[0])
    return {"pem": fmt.public_pem(public), "fingerprint": fmt.fingerprint(public),
            "algorithm": "Ed25519"}


# ---- making a checkpoint ---------------------------------------------------------------------

def make(actor: Actor, organization: Organization | None, *, scope: str = "",
         max_marks: int = fmt.MAX_MARKS) -> str:
    """A signed checkpoint of one organization's chain, or of every chain (administrators)."""
    if organization is None:
        if not actor.is_superuser:
            raise ServiceError("only an administrator can checkpoint every organization")
    else:
        require(actor, organization, "audit.view")
    return _signed(organization, scope or (f"organization {organization.slug}"
                                           if organization else "all chains"), max_marks)


def _signed(organization: Organization | None, scope: str, max_marks: int) -> str:
    key, _created = ensure_key()
    with transaction.atomic():  # one consistent view of heads and records
        chains = [_chain_entry(k, max_marks) for k in audit.chains(organization)]
    created = timezone.now().astimezone(dt_timezone.utc).isoformat(timespec="microseconds")
    return fmt.sign(key, created, scope, chains)


def _chain_entry(key: str, max_marks: int) -> dict:
    head = ChainHead.objects.filter(key=key).first()
    sequence, head_hash = (head.sequence, head.hash) if head else (0, "")
    step = max(1, math.ceil(sequence / max_marks)) if max_marks else 0
    wanted = list(range(step, sequence, step)) if step else []
    rows = dict(_records(key).filter(sequence__in=[*wanted, sequence])
                .values_list("sequence", "hash")) if sequence else {}
    last = _records(key).filter(sequence=sequence).values_list("at", flat=True).first()
    org = None if key == chain.ACCOUNTS_CHAIN else _org_slug(key)
    return {"chain": key, "organization": org, "sequence": sequence, "hash": head_hash,
            "at": last.astimezone(dt_timezone.utc).isoformat() if last else "",
            "marks": [[s, rows[s]] for s in wanted if s in rows]}


def _org_slug(key: str) -> str | None:
    return Organization.objects.filter(pk=int(key.partition(":")[2])).values_list(
        "slug", flat=True).first()


def _records(key: str):
    if key == chain.ACCOUNTS_CHAIN:
        return ChangeEvent.objects.filter(organization__isnull=True)
    return ChangeEvent.objects.filter(organization_id=int(key.partition(":")[2]))


def for_export(organization: Organization, what: str) -> str:
    """The checkpoint an export, report or snapshot carries: its organization's chain (the
    caller has checked that the actor may export; hashes reveal no content)."""
    return _signed(organization, what, EXPORT_MARKS)


# ---- checking the database against a checkpoint ----------------------------------------------

@dataclass(frozen=True)
class Finding:
    chain: str
    sequence: int
    text: str

    def describe(self) -> str:
        return f"chain {self.chain}: {self.text}"


def load(text: str | bytes, source: str) -> fmt.Checkpoint:
    """Parse a checkpoint and refuse it unless this installation's key signed it."""
    try:
        found = fmt.parse(text, source)
        fmt.require_key(found, trusted_public_key(), source)
    except fmt.CheckpointError as exc:
        raise ServiceError(str(exc)) from None
    return found


def verify(actor: Actor, checkpoint: fmt.Checkpoint,
           organization: Organization | None) -> tuple[int, list[Finding]]:
    """Compare the chains now in the database with a (loaded) checkpoint: each record it
    pins must still be there with the same hash, and no chain may be shorter. Returns the
    number of pinned records checked and the first problem of each chain."""
    if organization is None and not actor.is_superuser:
        raise ServiceError("name the organization")
    if organization is not None:
        require(actor, organization, "audit.view")
        wanted = chain.chain_key(organization.pk)
        marks = [c for c in checkpoint.chains if c.chain == wanted]
        if not marks:
            raise ServiceError(f"the checkpoint holds no chain of {organization.slug} "
                               f"(it covers {checkpoint.scope})")
    else:
        marks = list(checkpoint.chains)
    checked, findings = 0, []
    for mark in marks:
        count, found = _compare(mark)
        checked += count
        findings.extend(found)
    return checked, findings


def _compare(mark: fmt.ChainMark) -> tuple[int, list[Finding]]:
    pins = mark.pinned()
    head = ChainHead.objects.filter(key=mark.chain).first()
    now_at = head.sequence if head else 0
    last_record = _records(mark.chain).order_by("-sequence").values_list(
        "sequence", flat=True).first() or 0
    rows: dict[int, tuple[int, str]] = {}
    for record_id, sequence, digest in _records(mark.chain).filter(
            sequence__in=list(pins)).order_by("sequence", "id").values_list(
            "id", "sequence", "hash"):
        rows.setdefault(sequence, (record_id, digest))
    findings, previous = [], 0
    for sequence in sorted(pins):
        found = rows.get(sequence)
        if found is None:
            findings.append(Finding(mark.chain, sequence, _missing(previous, sequence)))
            break
        if found[1] != pins[sequence]:
            findings.append(Finding(mark.chain, sequence, _differs(previous, sequence,
                                                                   found[0])))
            break
        previous = sequence
    if min(now_at, last_record) < mark.sequence:
        findings.append(Finding(mark.chain, mark.sequence, (
            f"went back: the chain now ends at record #{min(now_at, last_record)} (head "
            f"#{now_at}), the checkpoint of {mark.at or 'its time'} saw #{mark.sequence}")))
    return len(pins), findings


def _missing(previous: int, sequence: int) -> str:
    if sequence == previous + 1:
        return f"record #{sequence} is missing (the checkpoint has it)"
    return (f"record #{sequence} is missing (the checkpoint has it); records from "
            f"#{previous + 1} on may be missing too")


def _differs(previous: int, sequence: int, record_id: int) -> str:
    if sequence == previous + 1:
        return (f"record #{sequence} (id {record_id}) differs from the checkpoint: it was "
                "rewritten")
    return (f"a record among #{previous + 1}-#{sequence} differs from the checkpoint (record "
            f"#{sequence}, id {record_id}, no longer has the hash the checkpoint pins): "
            "records were rewritten")


# ---- the daily checkpoint --------------------------------------------------------------------

def write_checkpoints(folder: str | os.PathLike | None = None) -> Path:
    """Write a checkpoint of every chain into ``folder`` (default: the
    OPENPOAM_CHECKPOINT_DIR setting) as ``openpoam-checkpoint-<UTC time>.json``, never
    overwriting a file; returns its path. This is what the scheduler calls daily."""
    folder = Path(folder or settings.CHECKPOINT_DIR or "")
    if not str(folder) or str(folder) == ".":
        raise ServiceError("no checkpoint folder: set OPENPOAM_CHECKPOINT_DIR")
    if not folder.is_dir():
        raise ServiceError(f"checkpoint folder {folder} does not exist")
    text = make(Actor.command_line("scheduler"), None, scope="daily checkpoint")
    stamp = datetime.now(dt_timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    for attempt in range(100):
        path = folder / f"openpoam-checkpoint-{stamp}{f'-{attempt}' if attempt else ''}.json"
        try:
            with open(path, "x", encoding="utf-8") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
            return path
        except FileExistsError:
            continue
    raise ServiceError(f"could not name a new checkpoint file in {folder}")
