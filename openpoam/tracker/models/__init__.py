"""Models, one module per concept. Import from here."""

from openpoam.tracker.models.assessments import Assessment, AssessmentResult
from openpoam.tracker.models.checks import CheckBasis, ItemCheck
from openpoam.tracker.models.cr26 import (Cr26ClassChange, Cr26OverdueNotice, Cr26RatingEvent,
                                          Cr26Report, Cr26Vulnerability)
from openpoam.tracker.models.history import ChainHead, ChangeEvent, ImportRecord
from openpoam.tracker.models.items import (AffectedAsset, ControlReference, Evidence,
                                           ItemDependency, Milestone, PoamItem)
from openpoam.tracker.models.kev import KnownExploited
from openpoam.tracker.models.notifications import Notification, NotificationSetting
from openpoam.tracker.models.requests import ApprovalRequest, Comment
from openpoam.tracker.models.org import (Membership, Organization, Person, PoamIdCounter,
                                         Role, System)
from openpoam.tracker.models.views import SavedView

__all__ = ["AffectedAsset", "Assessment", "AssessmentResult", "ChainHead", "ChangeEvent", "ControlReference", "Evidence", "ImportRecord",
           "ItemDependency", "KnownExploited", "Membership", "Milestone", "Organization", "Person",
           "PoamIdCounter", "PoamItem", "Role", "System"]
__all__ += ["Cr26ClassChange", "Cr26OverdueNotice", "Cr26RatingEvent", "Cr26Report", "Cr26Vulnerability"]
__all__ += ["Notification", "NotificationSetting"]
__all__ += ["SavedView"]
__all__ += ["CheckBasis", "ItemCheck"]
