"""Signed checkpoints of the audit trail: the file format, its Ed25519 signature, and how
to find the checkpoint an export carries. No database here: ``openpoam history
verify-export`` runs on a machine that has none (the spec is docs/audit-chain.md).

A checkpoint is one JSON object::

    {"format": "openpoam-checkpoint/1", "created": "2026-12-07T02:00:00.000000+00:00",
     "scope": "...", "public-key": "<base64 of the 32-byte Ed25519 public key>",
     "chains": [{"chain": "org:3", "organization": "acme", "sequence": 120,
                 "hash": "<hex>", "at": "<time of record #120>",
                 "marks": [[1, "<hex>"], [2, "<hex>"], ...]}],
     "signature": "<base64 Ed25519 signature>"}

The signature covers every other member, serialised canonically: keys sorted, no spaces,
UTF-8 (``canonical``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = "openpoam-checkpoint/1"
MEDIA_TYPE = "application/vnd.openpoam.checkpoint+json"
# Hashes of at most this many records per chain besides the head: enough to name the exact
# record that differs in a chain of that size, and the stretch it lies in for longer ones.
MAX_MARKS = 1000
MAX_BYTES = 2 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class CheckpointError(ValueError):
    """A file that is no valid, genuinely signed checkpoint."""


@dataclass(frozen=True)
class ChainMark:
    chain: str
    organization: str | None
    sequence: int
    hash: str
    at: str
    marks: tuple[tuple[int, str], ...]

    def pinned(self) -> dict[int, str]:
        """Every sequence number the checkpoint pins, with its hash (the head included)."""
        pins = dict(self.marks)
        if self.sequence:
            pins[self.sequence] = self.hash
        return pins


@dataclass(frozen=True)
class Checkpoint:
    created: str
    scope: str
    public_key: bytes
    chains: tuple[ChainMark, ...]
    text: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def chain(self, key: str) -> ChainMark | None:
        return next((c for c in self.chains if c.chain == key), None)


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def fingerprint(public_raw: bytes) -> str:
    """SHA-256 of the raw public key, as 8 groups of 4 hex digits (first 128 bits)."""
    digest = hashlib.sha256(public_raw).hexdigest()[:32]
    return ":".join(digest[i:i + 4] for i in range(0, 32, 4))


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(public: bytes) -> str:
    key = Ed25519PublicKey.from_public_bytes(public)
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def read_public_pem(data: bytes, source: str) -> bytes:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{source}: not a PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError(f"{source}: not an Ed25519 public key")
    return public_raw(key)


def sign(private: Ed25519PrivateKey, created: str, scope: str, chains: list[dict]) -> str:
    """The signed checkpoint as JSON text."""
    payload = {"format": FORMAT, "created": created, "scope": scope,
               "public-key": base64.b64encode(public_raw(private)).decode("ascii"),
               "chains": chains}
    payload["signature"] = base64.b64encode(private.sign(canonical(payload))).decode("ascii")
    return json.dumps(payload, ensure_ascii=False) + "\n"


def parse(text: str | bytes, source: str) -> Checkpoint:
    """Read a checkpoint and check its signature against the key it names. Whose key that
    is, is the caller's question (``require_key``)."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{source}: not a checkpoint (not JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{source}: not a checkpoint (format is not {FORMAT!r})")
    try:
        public = base64.b64decode(data["public-key"], validate=True)
        signature = base64.b64decode(data["signature"], validate=True)
        payload = {k: v for k, v in data.items() if k != "signature"}
        Ed25519PublicKey.from_public_bytes(public).verify(signature, canonical(payload))
    except InvalidSignature:
        raise CheckpointError(f"{source}: the signature does not match the checkpoint's "
                              "content: it was altered after it was signed") from None
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise CheckpointError(f"{source}: not a checkpoint (bad key or signature: "
                              f"{exc})") from None
    return Checkpoint(created=str(data.get("created", "")), scope=str(data.get("scope", "")),
                      public_key=public, chains=tuple(_chains(data.get("chains"), source)),
                      text=text if isinstance(text, str) else text.decode("utf-8"))


def _chains(entries, source: str):
    if not isinstance(entries, list):
        raise CheckpointError(f"{source}: 'chains' is not a list")
    for number, entry in enumerate(entries, 1):
        try:
            marks = tuple((int(s), str(h)) for s, h in entry.get("marks", []))
            mark = ChainMark(chain=str(entry["chain"]), organization=entry.get("organization"),
                             sequence=int(entry["sequence"]), hash=str(entry["hash"]),
                             at=str(entry.get("at", "")), marks=marks)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CheckpointError(f"{source}: chain {number} lacks chain, sequence or hash, "
                                  "or has malformed marks") from None
        if mark.sequence < 0 or not all(_HEX64.match(h) for _, h in marks) or (
                mark.sequence and not _HEX64.match(mark.hash)):
            raise CheckpointError(f"{source}: chain {mark.chain}: a hash is not 64 hex digits")
        yield mark


def require_key(checkpoint: Checkpoint, trusted: bytes, source: str) -> None:
    if checkpoint.public_key != trusted:
        raise CheckpointError(
            f"{source}: refused: signed by key {checkpoint.fingerprint}, not by this "
            f"organization's key {fingerprint(trusted)}")


# ---- finding the checkpoint an export carries ------------------------------------------------

NOT_CARRIED = ("carries no audit trail checkpoint (checkpoint files, OSCAL JSON and XML "
               "exports, FedRAMP workbooks, CR26 reports and snapshot exports carry one)")
HTML_ID = "audit-checkpoint"  # <pre id=...> of an HTML report, the checkpoint escaped
XLSX_SHEET = "Audit Checkpoint"
XLSX_CELL = "A8"  # the signed checkpoint's JSON text, one cell
# The eMASS workbook may not gain a sheet (its Instructions): a custom document property.
XLSX_PROPERTY = "OpenPOAM Audit Checkpoint"


def find_in_file(path: Path) -> str:
    """The checkpoint text in a checkpoint file or an export (OSCAL JSON or XML, FedRAMP
    workbook, CR26 report). Raises CheckpointError naming the file when there is none."""
    head = path.open("rb").read(4)
    if head.startswith(b"PK"):
        return _from_xlsx(path)
    if path.stat().st_size > 512 * 1024 * 1024:
        raise CheckpointError(f"{path}: too large to read for a checkpoint")
    data = path.read_bytes()
    if data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return _from_html(data, path)
    if data.lstrip().startswith(b"<"):
        return _from_xml(data, path)
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: {NOT_CARRIED} (not JSON: {exc})") from None
    if isinstance(document, dict) and document.get("format") == FORMAT:
        return data.decode("utf-8")
    if isinstance(document, dict) and isinstance(document.get("auditCheckpoint"), str):
        return document["auditCheckpoint"]  # CR26 reports
    for resource in _oscal_resources(document):
        if resource.get("media-type") == MEDIA_TYPE or (
                resource.get("base64", {}).get("media-type") == MEDIA_TYPE):
            return base64.b64decode(resource["base64"]["value"]).decode("utf-8")
    raise CheckpointError(f"{path}: {NOT_CARRIED}")


def _oscal_resources(document) -> list[dict]:
    if not isinstance(document, dict):
        return []
    root = document.get("plan-of-action-and-milestones") or {}
    return [r for r in root.get("back-matter", {}).get("resources", []) if isinstance(r, dict)]


def _from_html(data: bytes, path: Path) -> str:
    found = re.search(rb'<pre id="' + HTML_ID.encode() + rb'">(.*?)</pre>', data, re.S)
    if not found:
        raise CheckpointError(f"{path}: {NOT_CARRIED}")
    return html.unescape(found.group(1).decode("utf-8"))


def _from_xml(data: bytes, path: Path) -> str:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise CheckpointError(f"{path}: not well-formed XML ({exc})") from None
    for node in root.iter("{*}base64"):
        if node.get("media-type") == MEDIA_TYPE:
            return base64.b64decode("".join(node.itertext())).decode("utf-8")
    raise CheckpointError(f"{path}: {NOT_CARRIED}")


def _from_xlsx(path: Path) -> str:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    stream = path.open("rb")  # a stream: openpyxl then does not insist on an .xlsx name
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFileException) as exc:
        stream.close()
        raise CheckpointError(f"{path}: not a readable workbook ({exc})") from None
    try:
        if XLSX_SHEET not in book.sheetnames:
            return _from_properties(book, path)
        sheet = book[XLSX_SHEET]
        value = next(sheet.iter_rows(min_row=8, max_row=8, max_col=1, values_only=True))[0]
    finally:
        book.close()
        stream.close()
    if not isinstance(value, str):
        raise CheckpointError(f"{path}: the {XLSX_SHEET!r} sheet holds no checkpoint in "
                              f"{XLSX_CELL}")
    return value


def _from_properties(book, path: Path) -> str:
    for prop in getattr(book, "custom_doc_props", None) or []:
        if prop.name == XLSX_PROPERTY and isinstance(prop.value, str):
            return prop.value
    raise CheckpointError(f"{path}: {NOT_CARRIED} (no sheet {XLSX_SHEET!r} and no document "
                          f"property {XLSX_PROPERTY!r})")
