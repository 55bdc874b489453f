"""The three CR26 JSON reports as export formats. Each one is validated against FedRAMP's
schema release ``report.schema_version`` before a byte is written; an invalid report is
refused, never written half-right."""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from openpoam.formats.base import FormatError
from openpoam.formats.cr26 import validation
from openpoam.formats.cr26.details import accepted_info, detail, instant
from openpoam.formats.cr26.document import Cr26Report


def _period(report: Cr26Report) -> dict[str, Any]:
    return {"from": instant(report.period_from), "to": instant(report.period_to)}


def vdt(report: Cr26Report) -> dict[str, Any]:
    """VER-RPT-VDT: every non-accepted vulnerability with activity in the period."""
    return {"certificationPackageOverviewUri": report.package_uri,
            "reportPeriod": _period(report),
            "vulnerabilities": [detail(r, report.schema_version) for r in report.active]}


def avi(report: Cr26Report) -> dict[str, Any]:
    """VER-RPT-AVI: every accepted vulnerability."""
    return {"certificationPackageOverviewUri": report.package_uri,
            "reportPeriod": _period(report),
            "acceptedVulnerabilities": [accepted_info(r, report.schema_version)
                                        for r in report.accepted]}


def mrh(report: Cr26Report) -> dict[str, Any]:
    """VER-TFR-MRH: the historical feed; ``reportPeriod`` is an extra property saying which
    activity since the previous feed (VER-RPT-PER) it covers."""
    return {"certificationPackageOverviewUri": report.package_uri,
            "generatedAt": instant(report.generated_at),
            "reportPeriod": _period(report),
            "activeVulnerabilities": [detail(r, report.schema_version) for r in report.active],
            "acceptedVulnerabilities": [accepted_info(r, report.schema_version)
                                        for r in report.accepted]}


class JsonReportExporter:
    media_type = "application/json"
    extension = ".json"

    def __init__(self, key: str, kind: str, label: str, build) -> None:
        self.key, self.kind, self.label, self._build = key, kind, label, build

    def __repr__(self) -> str:
        return f"<CR26 report exporter {self.key}>"

    def build(self, report: Cr26Report) -> dict[str, Any]:
        version = validation.check_version(report.schema_version)
        document = self._build(report)
        if report.checkpoint:  # an extra property: the schemas allow them
            document["auditCheckpoint"] = report.checkpoint
        errors = validation.validate(self.kind, document, version)
        if errors:
            raise FormatError(f"the report does not validate against FedRAMP's schema: "
                              f"{errors[0]}" + (f" (+{len(errors) - 1} more)"
                                                if len(errors) > 1 else ""),
                              source=validation.SCHEMA_FILES[self.kind])
        return document

    def write_report(self, report: Cr26Report, stream: BinaryIO) -> list[str]:
        document = self.build(report)
        stream.write(json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8"))
        stream.write(b"\n")
        return []


EXPORTERS = [
    JsonReportExporter("cr26-vdt", "vdt", "FedRAMP CR26 Vulnerability Detail Report "
                       "(VER-RPT-VDT, JSON)", vdt),
    JsonReportExporter("cr26-avi", "avi", "FedRAMP CR26 Accepted Vulnerability Info "
                       "(VER-RPT-AVI, JSON)", avi),
    JsonReportExporter("cr26-mrh", "mrh", "FedRAMP CR26 historical activity "
                       "(VER-TFR-MRH, JSON)", mrh),
]
