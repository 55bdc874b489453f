"""The refusals every layer above the models raises and every interface shows as is.

Kept apart from the services so that the model-level guards (textguard) can raise them
without importing the services that import the models."""


class ServiceError(ValueError):
    """A refused change; the message is for people and is shown as is."""


class PermissionDenied(ServiceError):
    pass
