"""Where every CR26 number comes from.

The rules are FedRAMP's Consolidated Rules 2026 (CR26), machine-readable file
``fedramp-consolidated-rules.json`` in the GitHub repository FedRAMP/rules, pinned at
``info.version`` 2026.10.08.01. The VDR/VER numbers were first taken from 2026.07.14.01 (commit
12fe1b60f578ab448c26d143baac99d16d8bfe14) and cross-checked against its rendered markdown
(FedRAMP/2026-markdown, commit beca3de6, 2026-08-13); the releases since changed, for these
rules: 2026.09.13.01/.02 (machine-readable timeframe fields on VDR-TFR-NMV, 3 months;
CCM-OCR-AVL "information (if applicable)"; the force words MUST / SHOULD / MAY defined: a SHOULD
may be departed from only after weighing it, with the decision documented), 2026.10.05.01 (N0 in
VER-EVA-EPA and "likely potential agency impact"; FRC-CSO-JSN asks public JSON to work with web
frameworks, CORS included). 2026.10.08.01 changes nothing in VDR, VER or FRD. Where the
sources are silent, OpenPOAM follows the readings marked "[interpretation]" in its compiled
rulebook; each one is named where it is used (see README.md in this package).

US Government works, not subject to copyright (17 U.S.C. 105).
"""

from __future__ import annotations

RULES = "FedRAMP CR26 rules 2026.10.08.01"


def cite(rule_id: str, path: str) -> str:
    """A citation: the rule ID and its JSON path in the rules file."""
    return f"{rule_id} ({RULES}, {path})"


EVU = cite("VER-TFR-EVU", "FRR.VER.data.all.TFR.VER-TFR-EVU.varies_by_class")
PVR = cite("VDR-TFR-PVR", "FRR.VDR.data.all.TFR.VDR-TFR-PVR.varies_by_class.*.pain_timeframes")
RMN = cite("VDR-TFR-RMN", "FRR.VDR.data.all.TFR.VDR-TFR-RMN: N1 has no timeframe, "
           "routine operations")
KEV = cite("VDR-TFR-KEV", "FRR.VDR.data.all.TFR.VDR-TFR-KEV: CISA KEV catalog due date, "
           "BOD 26-04")
MAV = cite("VER-TFR-MAV", "FRR.VER.data.all.TFR.VER-TFR-MAV: 192 days of evaluation")
IRI = cite("VER-TFR-IRI", "FRR.VER.data.all.TFR.VER-TFR-IRI.varies_by_class")
NRI = cite("VER-TFR-NRI", "FRR.VER.data.all.TFR.VER-TFR-NRI.varies_by_class")
MRH = cite("VER-TFR-MRH", "FRR.VER.data.all.TFR.VER-TFR-MRH.varies_by_class")
MHR = cite("VER-TFR-MHR", "FRR.VER.data.all.TFR.VER-TFR-MHR: human readable, at least monthly")
PER = cite("VER-RPT-PER", "FRR.VER.data.all.RPT.VER-RPT-PER: all activity since the previous "
           "report")
ODV = cite("FRD-ODV", "FRD.data.all.FRD-ODV: not done within the FedRAMP time frames")
ACV = cite("FRD-ACV", "FRD.data.all.FRD-ACV: no intent to fully mitigate or remediate, or not "
           "within the maximum overdue period")
GRV = cite("VER-EVA-GRV", "FRR.VER.data.all.EVA.VER-EVA-GRV: rules apply to consolidated "
           "groupings")
AIA = cite("VER-EVA-AIA", "FRR.VER.data.all.EVA.VER-EVA-AIA: assume automated exploitation "
           "unless proven otherwise")
DCE = cite("FRD-DCE", "FRD.data.all.FRD-DCE: an unknown customer effect is treated as "
           "debilitating")
CLA = cite("FRC-CLA", "FRR.FRC.info.subsets.CLA: Class A is 20x Program Certification only")
EPA = cite("VER-EVA-EPA", "FRR.VER.data.all.EVA.VER-EVA-EPA: PAIN N0 to N5; N0 since "
           "2026.10.05.01, \"extremely unlikely to have any adverse effects on agencies\"")
NOROW = cite("VDR-TFR-PVR", "FRR.VDR.data.all.TFR.VDR-TFR-PVR: no N0 row; N0 has no timeframe, "
             "like N1")
FMV = cite("FRD-FMV", "FRD.data.all.FRD-FMV: rating reduced from the original evaluation until "
           "negligible, still detected")
JSN = cite("FRC-CSO-JSN", "FRR.FRC.data.all.CSO.FRC-CSO-JSN: public JSON compatible with web "
           "frameworks, CORS (2026.10.05.01)")


def iec(rule_id: str) -> str:
    return cite(rule_id, f"FRR.IEC.data.all.CSO.{rule_id}.varies_by_class.*.pain_timeframes")


def cadence(rule_id: str) -> str:
    return cite(rule_id, f"FRR.VDR.data.all.TFR.{rule_id}")
