"""The one write path. Views, the API, the CLI and importers call these functions;
none of them saves a model directly. Each function validates with the domain,
checks the actor's permission, writes the rows and appends the history in one
transaction, so a failure leaves nothing half-written.
"""

from openpoam.tracker.services.actors import Actor, PermissionDenied, ServiceError

__all__ = ["Actor", "PermissionDenied", "ServiceError"]
