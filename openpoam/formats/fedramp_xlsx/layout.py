"""Where things sit in the FedRAMP POA&M template (v2.1, 2024-03-29; see data/SOURCES.md).

Columns are found by their header text (row 5 in the template), never by letter,
so a template that moves a column still works. Only the facts a header cannot
tell are kept here.
"""

from __future__ import annotations

import re
from importlib.resources import files

TEMPLATE = files("openpoam.formats.fedramp_xlsx") / "data" / "FedRAMP-POAM-Template.xlsx"

OPEN_SHEET = "Open POA&M Items"
CLOSED_SHEET = "Closed POA&M Items"

# Rows between the header row and the first item: the Open sheet carries a
# description row and a format-hint row (rows 6 and 7); the Closed sheet none.
GUIDANCE_ROWS = {OPEN_SHEET: 2, CLOSED_SHEET: 0}
# The Open sheet's first item row is the template's example ("V-1Example"):
# an export replaces it, its cell styles give the look of every item row.
EXAMPLE_ROWS = {OPEN_SHEET: 1, CLOSED_SHEET: 0}
EXAMPLE_POAM_ID = "V-1Example"

# The header-row search stops here: the template has it on row 5.
HEADER_SEARCH_ROWS = 20

# Header block labels (row 2) and the cell under each (row 3): Table 1 of the
# completion guide. "Designation" is OpenPOAM's addition, in the next free column.
CSP = "CSP"
SYSTEM_NAME = "System Name"
IMPACT_LEVEL = "Impact Level"
POAM_DATE = "POAM Date"
DESIGNATION = "Designation"
# The template's own placeholders in the header block, read as "empty".
PLACEHOLDERS = {"text", "date"}

# Item columns (row 5 header text), from the template and Table 2 of the guide.
POAM_ID = "POAM ID"
CONTROLS = "Controls"
WEAKNESS_NAME = "Weakness Name"
WEAKNESS_DESCRIPTION = "Weakness Description"
DETECTOR_SOURCE = "Weakness Detector Source"
SOURCE_IDENTIFIER = "Weakness Source Identifier"
ASSET_IDENTIFIER = "Asset Identifier"
POINT_OF_CONTACT = "Point of Contact"
RESOURCES_REQUIRED = "Resources Required"
REMEDIATION_PLAN = "Overall Remediation Plan"
DETECTION_DATE = "Original Detection Date"
SCHEDULED_COMPLETION = "Scheduled Completion Date"
PLANNED_MILESTONES = "Planned Milestones"
MILESTONE_CHANGES = "Milestone Changes"
STATUS_DATE = "Status Date"
VENDOR_DEPENDENCY = "Vendor Dependency"
VENDOR_CHECKIN = "Last Vendor Check-in Date"
VENDOR_PRODUCT = "Vendor Dependent Product Name"
ORIGINAL_RISK = "Original Risk Rating"
ADJUSTED_RISK = "Adjusted Risk Rating"
RISK_ADJUSTMENT = "Risk Adjustment"
FALSE_POSITIVE = "False Positive"
OPERATIONAL_REQUIREMENT = "Operational Requirement"
DEVIATION_RATIONALE = "Deviation Rationale"
SUPPORTING_DOCUMENTS = "Supporting Documents"
COMMENTS = "Comments"
AUTO_APPROVE = "Auto-Approve"
BOD_TRACKING = "Binding Operational Directive 22-01 tracking"
BOD_DUE_DATE = "Binding Operational Directive 22-01 Due Date"
CVE = "CVE"
SERVICE_NAME = "Service Name"

DATE_COLUMNS = (DETECTION_DATE, SCHEDULED_COMPLETION, STATUS_DATE, VENDOR_CHECKIN, BOD_DUE_DATE)
REQUIRED_COLUMNS = (POAM_ID, WEAKNESS_NAME)

# Guidance rows of the Open sheet, recognised by their POAM ID cell on import.
GUIDANCE_IDS = {"uniqueidentifierforeachpoamitem", "uniqueidentifier"}


def normal(text: object) -> str:
    """Header text compared loosely: "POA&M ID", "POAM ID" and "poam id" are one."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())
