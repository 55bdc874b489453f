"""Validating CR26 reports against FedRAMP's draft schemas, offline, on every export.

Validator: ``jsonschema-rs`` (already used for OSCAL): it checks ``format`` (date-time, uri)
without extra packages and takes a registry of resources, so nothing is fetched over the
network. The report schemas' cross-file ``$ref``s lack a ``#``
(``…common-definitions-schema-2026-06-24.json/$defs/nRating``); each such address is
registered as a small alias resource pointing at ``…json#/$defs/nRating``. The vendored files
stay byte-for-byte as published.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import jsonschema_rs

from openpoam.formats.oscal.validation import json_path

DRAFT = "https://json-schema.org/draft/2020-12/schema"
COMMON = "fedramp-common-definitions-schema-2026-06-24.json"
SCHEMA_FILES = {
    "vdt": "fedramp-vulnerability-detail-report-schema-2026-06-24.json",
    "avi": "fedramp-accepted-vulnerability-info-schema-2026-06-24.json",
    "mrh": "fedramp-historical-ver-activity-schema-2026-06-24.json",
}
MAX_ERRORS = 50


@cache
def load(name: str) -> dict:
    text = resources.files("openpoam.formats.cr26").joinpath("schemas", name).read_text(
        encoding="utf-8")
    return json.loads(text)


def _no_network(uri: str):
    raise ValueError(f"{uri} is not a vendored FedRAMP schema; nothing is fetched")


@cache
def registry() -> jsonschema_rs.Registry:
    common = load(COMMON)
    base = common["$id"]
    aliases = [(f"{base}/$defs/{name}", {"$schema": DRAFT, "$ref": f"{base}#/$defs/{name}"})
               for name in common["$defs"]]
    return jsonschema_rs.Registry([(base, common), *aliases], retriever=_no_network)


@cache
def _validator(kind: str):
    return jsonschema_rs.validator_for(load(SCHEMA_FILES[kind]), registry=registry(),
                                       validate_formats=True, retriever=_no_network)


@cache
def _extension_validator():
    """OpenPOAM's extra fields (see README.md): reduction events use the schema's own
    ``painReductionEvent`` definition, which version 0.1.1 defines but does not wire in."""
    base = load(COMMON)["$id"]
    schema = {"$schema": DRAFT, "type": "array",
              "items": {"$ref": f"{base}#/$defs/painReductionEvent"}}
    return jsonschema_rs.validator_for(schema, registry=registry(), validate_formats=True,
                                       retriever=_no_network)


def validate(kind: str, document: dict) -> list[str]:
    """Schema errors as "<JSON path>: <message>", at most MAX_ERRORS; [] when valid."""
    errors = _errors(_validator(kind), document, [])
    for path, events in _reduction_lists(document):
        errors += _errors(_extension_validator(), events, path)
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
