"""DISA STIG Viewer 3 checklist (.cklb, JSON) -> ScanInfo, Targets and Findings.

Layout (samples/FORMATS.md section 11)::

    { "title", "target_data": {host_name, ip_address, fqdn, mac_address,
                               is_web_database, web_db_site, web_db_instance, ...},
      "evaluate-stig": {"version"}                       Evaluate-STIG only
      "stigs": [ { "stig_id", "stig_name", "version", "release_info",
                   "evaluate-stig": {"time", "module"},  Evaluate-STIG only
                   "rules": [ { "group_id", "rule_id", "rule_version", "severity",
                                "rule_title", "discussion", "check_content", "fix_text",
                                "ccis", "legacy_ids", "status", "finding_details",
                                "comments", "overrides" } ] } ] }

Checklists are read whole: they are JSON without a natural record stream, and
a checklist is at most a few MB (one asset, a handful of STIGs).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from openpoam.domain.findings import Asset, Finding, Record, ScanInfo, Target
from openpoam.formats import stig_common as stig
from openpoam.formats.base import FormatError
from openpoam.formats.json_common import load_json

STIG_VIEWER = "DISA STIG Viewer"


def parse_cklb(stream: BinaryIO, *, source: str) -> Iterator[Record]:
    document = _load(stream, source)
    asset = _asset(document["target_data"], source)
    stigs = document["stigs"]
    tool, version = _tool(document)
    yield ScanInfo(scanner=tool, scanner_version=version,
                   scan_time=_stig_time(stigs[0], source, 0),
                   name=_text(document.get("title")) or _text(stigs[0].get("stig_name")))
    for index, entry in enumerate(stigs):
        yield from _stig_records(entry, index, asset, tool, version, source)


def _load(stream: BinaryIO, source: str) -> dict:
    document = load_json(stream, source=source)  # bounded in size and decoded memory
    if not isinstance(document, dict):
        raise FormatError("a checklist is a JSON object", source=source)
    if not isinstance(document.get("target_data"), dict):
        raise FormatError("the checklist has no target_data object", source=source,
                          field="target_data")
    stigs = document.get("stigs")
    if not isinstance(stigs, list) or not stigs:
        raise FormatError("the checklist holds no STIG", source=source, field="stigs")
    for index, entry in enumerate(stigs):
        if not isinstance(entry, dict) or not isinstance(entry.get("rules"), list):
            raise FormatError("a STIG without a rules list", source=source,
                              field=f"stigs[{index}].rules")
    return document


def _text(value: Any) -> str:
    """JSON strings, numbers (``"version": 1``) or null, as stripped text."""
    if value is None:
        return ""
    return str(value).strip()


def _tool(document: dict) -> tuple[str, str]:
    evaluate = document.get("evaluate-stig")
    if isinstance(evaluate, dict):
        return "Evaluate-STIG", _text(evaluate.get("version"))
    return STIG_VIEWER, ""


def _stig_time(entry: dict, source: str, index: int) -> datetime | None:
    evaluate = entry.get("evaluate-stig")
    if not isinstance(evaluate, dict):
        return None
    return stig.parse_time(_text(evaluate.get("time")), source=source,
                           field=f"stigs[{index}].evaluate-stig.time")


def _asset(target: dict, source: str) -> Asset:
    return stig.stig_asset(
        source=source, host_name=_text(target.get("host_name")),
        fqdn=_text(target.get("fqdn")), ip=_text(target.get("ip_address")),
        mac=_text(target.get("mac_address")),
        web_or_database=stig.is_true(target.get("is_web_database")),
        site=_text(target.get("web_db_site")), instance=_text(target.get("web_db_instance")))


def _stig_records(entry: dict, index: int, asset: Asset, tool: str, version: str,
                  source: str) -> Iterator[Record]:
    stig_id = _text(entry.get("stig_id"))
    if not stig_id:
        raise FormatError("the STIG has no stig_id, so its findings cannot be told apart "
                          "from another STIG's", source=source, field=f"stigs[{index}].stig_id")
    scope = stig.scope(stig_id)
    yield Target(scope=scope, asset=asset)
    when = _stig_time(entry, source, index)
    context = {
        "stig_id": stig_id,
        "stig_title": _text(entry.get("stig_name")),
        "stig_version": _text(entry.get("version")),
        "stig_release": _text(entry.get("release_info")),
    }
    for number, rule in enumerate(entry["rules"]):
        where = f"stigs[{index}].rules[{number}]"
        if not isinstance(rule, dict):
            raise FormatError("a rule is not an object", source=source, field=where)
        finding = _finding(rule, scope, asset, source, where)
        finding.scanner, finding.scanner_version, finding.last_seen = tool, version, when
        finding.extra.update({k: v for k, v in context.items() if v})
        yield finding


def _finding(rule: dict, scope: str, asset: Asset, source: str, where: str) -> Finding:
    weakness = stig.vuln_id(_text(rule.get("group_id")))
    if not weakness:
        raise FormatError("the rule has no group_id (V-number)", source=source,
                          field=f"{where}.group_id")
    raw_severity = _text(rule.get("severity"))
    override, justification = _override(rule.get("overrides"))
    comments = _text(rule.get("comments"))
    extra = {
        "rule_id": _rule_id(_text(rule.get("rule_id"))),
        "rule_version": _text(rule.get("rule_version")),
        "group_title": _group_title(rule),
        "legacy_ids": [_text(v) for v in rule.get("legacy_ids") or [] if _text(v)],
        "comments": comments,
        "severity_override": override,
        "severity_justification": justification,
    }
    return stig.with_cci_controls(Finding(
        scope=scope,
        weakness_id=weakness,
        asset=asset,
        title=_text(rule.get("rule_title")),
        status=stig.checklist_status(_text(rule.get("status")), source=source,
                                     field=f"{where}.status"),
        severity=stig.effective_severity(raw_severity, override),
        raw_severity=raw_severity,
        description=stig.join_text(("", stig.discussion(_text(rule.get("discussion")))),
                                   ("Check", _text(rule.get("check_content")))),
        solution=_text(rule.get("fix_text")),
        evidence=stig.join_text(("", _text(rule.get("finding_details"))),
                                ("Comments", comments)),
        ccis=stig.ccis(_text(v) for v in rule.get("ccis") or []),
        source_ref=_text(rule.get("uuid")),
        extra={key: value for key, value in extra.items() if value},
    ))


def _rule_id(rule_id: str) -> str:
    """CKLB drops the ``_rule`` suffix CKL and XCCDF keep; put it back so they compare."""
    if rule_id and not rule_id.endswith("_rule"):
        return f"{rule_id}_rule"
    return rule_id


def _group_title(rule: dict) -> str:
    """The SRG id: ``group_tree[0].title`` (``group_title`` holds the rule title in
    Evaluate-STIG files)."""
    tree = rule.get("group_tree")
    if isinstance(tree, list) and tree and isinstance(tree[0], dict):
        return _text(tree[0].get("title"))
    return _text(rule.get("group_title"))


def _override(overrides: Any) -> tuple[str, str]:
    """Severity override and its reason from ``overrides``.

    STIG Viewer 3 keeps overrides keyed by what they override; the severity one is
    either a word or an object with the new ``severity`` and a ``reason``.
    """
    if not isinstance(overrides, dict):
        return "", ""
    value = overrides.get("severity")
    if isinstance(value, dict):
        return _text(value.get("severity")), _text(value.get("reason"))
    return _text(value), ""
