"""Validating CR26 reports against FedRAMP's schemas, offline, on every export.

Validator: ``jsonschema-rs`` (already used for OSCAL): it checks ``format`` (date-time, uri)
without extra packages and takes a registry of resources, so nothing is fetched over the
network. The schema release is chosen by version (``SCHEMA_VERSIONS``; the product's setting
``OPENPOAM_CR26_SCHEMA_VERSION``); each release is vendored byte for byte in its own folder
under ``schemas/``. Release 0.1.1 fixed the cross-file ``$ref``s (``…json#/$defs/…``), so the
alias resources the 0.1.0 drafts needed are gone.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import jsonschema_rs

from openpoam.formats.base import FormatError
from openpoam.formats.oscal.validation import json_path

COMMON = "fedramp-common-definitions-schema-2026-06-24.json"
SCHEMA_FILES = {
    "vdt": "fedramp-vulnerability-detail-report-schema-2026-06-24.json",
    "avi": "fedramp-accepted-vulnerability-info-schema-2026-06-24.json",
    "mrh": "fedramp-historical-ver-activity-schema-2026-06-24.json",
}
# Report schema release -> (package folder, common definitions release). FedRAMP/schemas
# CHANGELOG: reports 0.1.1 (2026-08-11, `$ref` fix), common 0.2.1 (2026-08-14, overdueStatus).
# Common 0.3.0 (2026-09-01) gets its own folder once its bytes are vendored.
SCHEMA_VERSIONS = {"0.1.1": ("v0_1_1", "0.2.1")}
DEFAULT_VERSION = "0.1.1"
MAX_ERRORS = 50


def check_version(version: str) -> str:
    if version not in SCHEMA_VERSIONS:
        raise FormatError(f"OPENPOAM_CR26_SCHEMA_VERSION {version!r} is not a shipped FedRAMP "
                          f"schema release (shipped: {', '.join(SCHEMA_VERSIONS)})")
    return version


@cache
def load(name: str, version: str = DEFAULT_VERSION) -> dict:
    folder = SCHEMA_VERSIONS[check_version(version)][0]
    text = (resources.files("openpoam.formats.cr26.schemas").joinpath(folder, name)
            .read_text(encoding="utf-8"))
    return json.loads(text)


def _no_network(uri: str):
    raise ValueError(f"{uri} is not a vendored FedRAMP schema; nothing is fetched")


@cache
def registry(version: str = DEFAULT_VERSION) -> jsonschema_rs.Registry:
    common = load(COMMON, version)
    return jsonschema_rs.Registry([(common["$id"], common)], retriever=_no_network)


@cache
def _validator(kind: str, version: str):
    return jsonschema_rs.validator_for(load(SCHEMA_FILES[kind], version),
                                       registry=registry(version), validate_formats=True,
                                       retriever=_no_network)


def dispositions(version: str = DEFAULT_VERSION) -> tuple[str, ...]:
    """The ``finalDisposition`` values the release allows ("Remediated" from common 0.3.0)."""
    detail = load(COMMON, version)["$defs"]["vulnerabilityDetail"]["properties"]
    return tuple(detail["finalDisposition"]["enum"])


def official_reductions(version: str = DEFAULT_VERSION) -> bool:
    """Whether the release wires ``painReductionEvents`` into ``vulnerabilityDetail`` (0.3.0)."""
    detail = load(COMMON, version)["$defs"]["vulnerabilityDetail"]["properties"]
    return "painReductionEvents" in detail


@cache
def _extension_validator(version: str):
    """Before 0.3.0, ``painReductionEvents`` is validated here against the release's own
    ``$defs/painReductionEvent`` (defined, not yet wired in), so it has the official shape."""
    base = load(COMMON, version)["$id"]
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array",
              "items": {"$ref": f"{base}#/$defs/painReductionEvent"}}
    return jsonschema_rs.validator_for(schema, registry=registry(version),
                                       validate_formats=True, retriever=_no_network)


def validate(kind: str, document: dict, version: str = DEFAULT_VERSION) -> list[str]:
    """Schema errors as "<JSON path>: <message>", at most MAX_ERRORS; [] when valid."""
    errors = _errors(_validator(kind, version), document, [])
    if not official_reductions(version):
        for path, events in _reduction_lists(document):
            errors += _errors(_extension_validator(version), events, path)
    return errors[:MAX_ERRORS]


def _errors(validator, instance, prefix: list) -> list[str]:
    if validator.is_valid(instance):
        return []
    return [f"{json_path([*prefix, *e.instance_path])}: {e.message}"
            for _, e in zip(range(MAX_ERRORS), validator.iter_errors(instance))]


def _reduction_lists(document: dict):
    for key in ("vulnerabilities", "activeVulnerabilities"):
        for n, detail in enumerate(document.get(key) or []):
            if isinstance(detail, dict) and "painReductionEvents" in detail:
                yield [key, n, "painReductionEvents"], detail["painReductionEvents"]
    for n, info in enumerate(document.get("acceptedVulnerabilities") or []):
        detail = info.get("vulnerabilityDetail") if isinstance(info, dict) else None
        if isinstance(detail, dict) and "painReductionEvents" in detail:
            yield (["acceptedVulnerabilities", n, "vulnerabilityDetail", "painReductionEvents"],
                   detail["painReductionEvents"])
