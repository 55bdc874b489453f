"""FedRAMP rules.

- ``classic``: the Rev5 POA&M (30/90/180 days, deviation requests), for systems that have
  not moved to the 2026 rules. Re-exported here so ``from openpoam.domain.fedramp import X``
  keeps working.
- ``cr26``: the Consolidated Rules 2026 vulnerability rules (VDR and VER), which replace the
  provider's POA&M with evaluation, reduction and acceptance timeframes.
"""

from openpoam.domain.fedramp.classic import *  # noqa: F401,F403
from openpoam.domain.fedramp.classic import (  # noqa: F401  (named for readers and linters)
    CITE_DEADLINES, GUIDE, Basis, DeadlineStatus, DeviationRequest, DeviationStatus,
    DeviationType, Issue, Level, check_deviation_request, check_vendor_dependency,
    deadline_risk, deadline_status, item_deadline_status, may_apply_deviation,
    remediation_deadline, required_on_poam, vendor_checkin_current, vendor_release_deadline,
)
