"""Background jobs as people see them, workers' heartbeats and the scheduler's lease.

The task queue itself is django-tasks-db's table (DBTaskResult): it says which worker runs
what. A Job is the product's own row for one piece of work somebody started: whose it is
(organization, system, user), how far it got, its outcome, and, for an import, whether its
changes committed (set inside the import's own transaction, so a retry after a crash
sees it and only finishes).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Job(models.Model):
    QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
    STATES = [(QUEUED, "Queued"), (RUNNING, "Running"), (SUCCEEDED, "Succeeded"),
              (FAILED, "Failed")]
    DRY_RUN, IMPORT, CONFIRM, EXPORT, SCHEDULED = ("dry-run", "import", "confirm", "export",
                                                   "scheduled")
    KINDS = [(DRY_RUN, "Import dry run"), (IMPORT, "Import"), (CONFIRM, "Import (confirmed)"),
             (EXPORT, "Export"), (SCHEDULED, "Scheduled work")]

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=KINDS)
    organization = models.ForeignKey("tracker.Organization", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    system = models.ForeignKey("tracker.System", null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150)
    actor_local = models.BooleanField(default=False)  # the command line on the server
    state = models.CharField(max_length=10, choices=STATES, default=QUEUED)
    task_id = models.CharField(max_length=64, blank=True)  # DBTaskResult.id
    params = models.JSONField(default=dict)  # file name, options
    progress = models.JSONField(default=dict)  # {"bytes", "total_bytes", "hosts", "findings", "items"}
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)  # one line, for the starter
    committed = models.BooleanField(default=False)  # set in the import's own transaction
    import_record = models.ForeignKey("tracker.ImportRecord", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    source = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")  # a confirm job: the dry run it applies
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "started_by", "-created_at"]),
                   models.Index(fields=["state", "finished_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uuid}"

    @property
    def finished(self) -> bool:
        return self.state in (self.SUCCEEDED, self.FAILED)


class WorkerBeat(models.Model):
    """A worker process says it is alive every few seconds (healthz, stale-job reclaim)."""

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    scheduler = models.BooleanField(default=False)


class Lease(models.Model):
    """Who holds a named lease until when (the scheduler: one among several workers).
    Taken with one conditional UPDATE, so two processes cannot both hold it."""

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)


class ScheduledRun(models.Model):
    """The last run of each periodic job: when, its outcome, and when it runs next."""

    name = models.CharField(max_length=50, unique=True)
    last_started = models.DateTimeField(null=True, blank=True)
    last_finished = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=500, blank=True)
    ok = models.BooleanField(default=True)
    next_run = models.DateTimeField(null=True, blank=True)
