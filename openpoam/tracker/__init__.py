"""The Django app: models, the one write path (services), views, API, templates."""
