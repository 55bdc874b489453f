"""OSCAL Plan of Action and Milestones (POA&M), model version 1.2.1, JSON and XML.

``validate(document_dict)`` checks a POA&M in the OSCAL JSON shape against the official
schema and returns the errors; ``fedramp_violations`` checks FedRAMP's own POA&M rules.
"""

from openpoam.formats.oscal.plugins import (
    OscalJsonExporter,
    OscalJsonImporter,
    OscalXmlExporter,
    OscalXmlImporter,
)
from openpoam.formats.oscal.validation import fedramp_violations, validate

PLUGINS = [OscalJsonExporter(), OscalJsonImporter(), OscalXmlExporter(), OscalXmlImporter()]

__all__ = ["PLUGINS", "validate", "fedramp_violations"]
