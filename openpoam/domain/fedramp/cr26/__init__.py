"""FedRAMP Consolidated Rules 2026: the vulnerability rules (VDR and VER) as pure functions.

See README.md beside this file for the rules, their citations and every interpretation.
"""

from openpoam.domain.fedramp.cr26.deadlines import (
    ClassChange, Cr26Error, Deadline, Disposition, EventKind, Incident, RatingEvent, Status,
    Vulnerability, accepted_from, check_rating, column, evaluation_due, group_detected_at,
    incident, incident_since, iso, kev_deadline, kev_due_at, rating_established, reduction_due,
    reduction_timeframe, status, utc,
)
from openpoam.domain.fedramp.cr26.payload import deadlines_payload, read_vulnerability
from openpoam.domain.fedramp.cr26.proposal import (Proposal, cvss_score, internet_reachable,
                                                   network_vector, propose)
from openpoam.domain.fedramp.cr26.tables import (EVU, IRI, LEGACY_CLASS, MAV, MRH, NRI,
                                                 PVR, RATINGS, REV5_CLASSES, CertClass,
                                                 Column, Force, Timeframe, report_cadence)

__all__ = ["EVU", "IRI", "LEGACY_CLASS", "MAV", "MRH", "NRI", "PVR", "RATINGS",
           "REV5_CLASSES", "CertClass", "ClassChange", "Column", "Cr26Error", "Deadline",
           "Disposition", "EventKind", "Force", "Incident", "Proposal", "RatingEvent", "Status",
           "Timeframe", "Vulnerability", "accepted_from", "check_rating", "column", "cvss_score",
           "deadlines_payload", "evaluation_due", "group_detected_at", "incident",
           "incident_since", "internet_reachable", "iso", "kev_deadline", "kev_due_at",
           "network_vector", "propose", "rating_established", "read_vulnerability",
           "reduction_due", "reduction_timeframe", "report_cadence", "status", "utc"]
