"""The RMF risk analysis of a POA&M item and the Army's resource columns, as eMASS names them.

One list (``RMF_FIELDS``) names every field: the tracker's model, the item service, the
form, the API, the CSV and OSCAL exports and the eMASS workbook all read it, so a field
is added here once.

Sources: the ratings are NIST SP 800-30 Rev. 1, Appendix G-I (Very Low, Low, Moderate,
High, Very High), as each eMASS POA&M template's Instructions sheet lists them (rules 18
and 19 of "Situational Awareness"); the field names are the templates' column headers
(Navy layout of 2026-06-01 columns U-AG, Army layout columns AE-AO). The eMASS field
limits are those of the eMASS REST API POA&M fields (mitre/emasser,
lib/emasser/help/poam_post_mapper.md): 2,000 characters for descriptions, comments,
mitigations and milestones; 100 for the point of contact; 250 for resources.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Rating(StrEnum):
    """NIST SP 800-30 Rev. 1 qualitative scale, as eMASS spells it."""

    VERY_LOW = "very_low"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    VERY_HIGH = "very_high"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").title()


def rating_label(value: str) -> str:
    """The eMASS word for a stored rating ('' stays '')."""
    return Rating(value).label if value else ""


def parse_rating(text: str) -> str | None:
    """The stored value of 'Very High', 'very_high', 'VH'...; None when it is no rating."""
    wanted = (text or "").strip().lower().replace("-", " ").replace("_", " ")
    if not wanted:
        return ""
    for member in Rating:
        short = "".join(word[0] for word in member.label.lower().split())
        if wanted in (member.label.lower(), short) or (short == "m" and wanted == "mod"):
            return member.value
    return None


RATING, TEXT, DECIMAL, BOOL = "rating", "text", "decimal", "bool"
TEXT_LIMIT, POC_LIMIT, RESOURCES_LIMIT = 2000, 100, 250


@dataclass(frozen=True)
class RmfField:
    name: str  # the item's field
    label: str  # as the form and the CSV header show it
    kind: str  # RATING | TEXT | DECIMAL | BOOL
    limit: int = 0  # eMASS field limit in characters (text only), 0 for none
    army: bool = False  # one of the Army layout's resource columns


RMF_FIELDS: tuple[RmfField, ...] = (
    RmfField("rmf_raw_severity", "Raw Severity", RATING),
    RmfField("rmf_severity", "Severity", RATING),
    RmfField("relevance_of_threat", "Relevance of Threat", RATING),
    RmfField("threat_description", "Threat Description", TEXT, TEXT_LIMIT),
    RmfField("likelihood", "Likelihood", RATING),
    RmfField("impact", "Impact", RATING),
    RmfField("impact_description", "Impact Description", TEXT, TEXT_LIMIT),
    RmfField("residual_risk_level", "Residual Risk Level", RATING),
    RmfField("recommendations", "Recommendations", TEXT, TEXT_LIMIT),
    RmfField("mitigations", "Mitigations", TEXT, TEXT_LIMIT),
    RmfField("predisposing_conditions", "Predisposing Conditions", TEXT, TEXT_LIMIT),
    RmfField("mitigated_risk", "Resulting Residual Risk after Proposed Mitigations", RATING),
    RmfField("cfo_audit", "Identified in CFO Audit or other review", BOOL, army=True),
    RmfField("personnel_cost_code", "Personnel Resources: Cost Code", TEXT, RESOURCES_LIMIT,
             army=True),
    RmfField("personnel_funded_hours", "Personnel Resources: Funded Base Hours", DECIMAL,
             army=True),
    RmfField("personnel_unfunded_hours", "Personnel Resources: Unfunded Base Hours", DECIMAL,
             army=True),
    RmfField("personnel_obstacle", "Personnel Resources: Non-Funding Obstacle", TEXT,
             RESOURCES_LIMIT, army=True),
    RmfField("personnel_obstacle_other", "Personnel Resources: Non-Funded Obstacle Other Reason",
             TEXT, TEXT_LIMIT, army=True),
    RmfField("nonpersonnel_cost_code", "Non-Personnel Resources: Cost Code", TEXT,
             RESOURCES_LIMIT, army=True),
    RmfField("nonpersonnel_funded_amount", "Non-Personnel Resources: Funded Amount", DECIMAL,
             army=True),
    RmfField("nonpersonnel_unfunded_amount", "Non-Personnel Resources: Unfunded Amount",
             DECIMAL, army=True),
    RmfField("nonpersonnel_obstacle", "Non-Personnel Resources: Non-Funding Obstacle", TEXT,
             RESOURCES_LIMIT, army=True),
    RmfField("nonpersonnel_obstacle_other",
             "Non-Personnel Resources: Non-Funding Obstacle Other Reason", TEXT, TEXT_LIMIT,
             army=True),
)
RMF_NAMES = tuple(f.name for f in RMF_FIELDS)
BY_NAME = {f.name: f for f in RMF_FIELDS}
