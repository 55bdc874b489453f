"""The REST API for scripts, pipelines and other tools (django-ninja, under /api/v1/).

Thin over the tracker services and the shared list filters: no rule and no model
write lives here. Every request is authenticated with a per-user, per-organization
token (``Authorization: Bearer <token>``).
"""
