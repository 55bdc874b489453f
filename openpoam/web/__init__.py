"""The HTML interface: views grouped by page, forms, templates and static files.

Views look things up through ``views.access`` (404 for anything outside the user's
organizations) and change things only by calling ``openpoam.tracker.services``.
"""
