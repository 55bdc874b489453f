"""VER-TFR-MHR: the human-readable monthly activity report, as one self-contained HTML page.

HTML because a person reads it in a browser, prints it or saves it as PDF from there, and it
needs no extra library. Every stored text is escaped (it is data, never markup).
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import BinaryIO

from openpoam.formats.checkpoint import HTML_ID as CHECKPOINT_ID
from openpoam.formats.cr26.document import Cr26Report, VulnerabilityRecord

STYLE = ("body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24}"
         "table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}"
         "th,td{border:1px solid #c9ced6;padding:.3rem .5rem;text-align:left;vertical-align:top}"
         "th{background:#eef1f5}.num{text-align:right}.late{color:#a40000;font-weight:600}"
         "td.id{white-space:nowrap}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}"
         ".muted{color:#5b6470}")

COUNTS = (("detected", "Vulnerabilities detected"), ("evaluated", "Evaluations completed"),
          ("evaluated_late", "Evaluations completed after the VER-TFR-EVU deadline"),
          ("reductions", "Reductions completed (VDR-TFR-PVR)"),
          ("closed", "Fully mitigated, remediated or false positive"),
          ("newly_accepted", "Newly accepted (VER-TFR-MAV / FRD-ACV)"),
          ("awaiting", "Awaiting evaluation at period end"),
          ("overdue", "Evaluations and reductions overdue at period end (FRD-ODV)"),
          ("accepted", "Accepted at period end"))


def _t(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _cell(value: object, css: str = "") -> str:
    attr = f' class="{css}"' if css else ""
    return f"<td{attr}>{escape(str(value))}</td>"


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _rating(record: VulnerabilityRecord) -> str:
    return f"N{record.rating}" if record.rating is not None else "not evaluated"


def _active_rows(records: list[VulnerabilityRecord]) -> list[list[str]]:
    return [[_cell(r.tracking_id, "id"), _cell(r.description[:200]), _cell(_rating(r)),
             _cell(_t(r.evaluation_due), "late" if r.evaluation_late else ""),
             _cell(f"{_t(r.reduction_due)} ({r.reduction_rule})" if r.reduction_due else "—",
                   "late" if r.overdue else ""),
             _cell(r.overdue_explanation if r.overdue else "")] for r in records]


def _reduction_rows(report: Cr26Report) -> list[list[str]]:
    rows = []
    for record in [*report.active, *report.accepted]:
        for entry in record.reductions:
            if report.period_from <= entry.at <= report.period_to:
                rows.append([_cell(record.tracking_id), _cell(_t(entry.at)),
                             _cell(f"N{entry.rating}"), _cell(entry.note), _cell(entry.actor)])
    return rows


def _accepted_rows(records: list[VulnerabilityRecord]) -> list[list[str]]:
    return [[_cell(r.tracking_id, "id"), _cell(r.description[:200]), _cell(_rating(r)),
             _cell(_t(r.accepted_at)), _cell(r.acceptance_rationale)] for r in records]


def render(report: Cr26Report) -> str:
    counts = "".join(f"<tr><th>{escape(label)}</th>{_cell(report.counts.get(key, 0), 'num')}"
                     f"</tr>" for key, label in COUNTS)
    overdue = [r for r in report.active
               if r.overdue or (r.evaluation_late and r.evaluated_at is None)]
    awaiting = [r for r in report.active if r.evaluated_at is None]
    incidents = [r for r in report.active if r.incident]
    active_head = ["ID", "Vulnerability", "Rating", "Evaluation due", "Next reduction due",
                   "Explanation"]
    return "".join([
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>Monthly vulnerability activity — {escape(report.system_name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Monthly vulnerability activity (VER-TFR-MHR): {escape(report.system_name)}</h1>",
        f"<p>FedRAMP Class {escape(report.cert_class)} · period {_t(report.period_from)} to "
        f"{_t(report.period_to)} · generated {_t(report.generated_at)}</p>",
        f"<h2>Summary</h2><table><tbody>{counts}</tbody></table>",
        "<h2>Overdue evaluations and reductions</h2>",
        _table(active_head, _active_rows(overdue), "Nothing overdue."),
        "<h2>Treat as incidents (VER-TFR-IRI / VER-TFR-NRI)</h2>",
        _table(["ID", "Vulnerability", "Rule"],
               [[_cell(r.tracking_id), _cell(r.description[:200]), _cell(r.incident)]
                for r in incidents], "None."),
        "<h2>Awaiting evaluation</h2>",
        _table(active_head, _active_rows(awaiting), "Every detected vulnerability is evaluated."),
        "<h2>Reductions completed in the period</h2>",
        _table(["ID", "Completed", "New rating", "What was done", "By"],
               _reduction_rows(report), "No reductions in the period."),
        "<h2>Accepted vulnerabilities</h2>",
        _table(["ID", "Vulnerability", "Rating", "Accepted", "Why"],
               _accepted_rows(report.accepted), "No accepted vulnerabilities."),
        "<h2>All active vulnerabilities</h2>",
        _table(active_head, _active_rows(report.active), "None."),
        _checkpoint(report),
        "</body></html>\n",
    ])


def _checkpoint(report: Cr26Report) -> str:
    """The audit trail's signed checkpoint, verbatim (`openpoam history verify-export`)."""
    if not report.checkpoint:
        return ""
    return ("<h2>Audit trail checkpoint</h2><p>The organization's audit trail as of this "
            "report, signed with its Ed25519 key; check it with <code>openpoam history "
            f"verify-export</code>.</p><pre id=\"{CHECKPOINT_ID}\">{escape(report.checkpoint)}"
            "</pre>")


class MonthlySummaryExporter:
    key = "cr26-mhr"
    kind = "mhr"
    label = "FedRAMP CR26 monthly activity report (VER-TFR-MHR, HTML)"
    media_type = "text/html; charset=utf-8"
    extension = ".html"

    def __repr__(self) -> str:
        return "<CR26 report exporter cr26-mhr>"

    def write_report(self, report: Cr26Report, stream: BinaryIO) -> list[str]:
        stream.write(render(report).encode("utf-8"))
        return []
