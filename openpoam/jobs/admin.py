"""The administrator's view of background work (staff with a second factor, as the whole
admin site): each periodic job with its last run, outcome and next run; the workers heard
from; the jobs. Read-only: jobs are started by the pages, the API and the command line."""

from django.contrib import admin

from openpoam.jobs import schedule
from openpoam.jobs.models import Job, Lease, ScheduledRun, WorkerBeat
from openpoam.tracker.admin import ReadOnlyAdmin


@admin.register(ScheduledRun)
class ScheduledRunAdmin(ReadOnlyAdmin):
    list_display = ["label", "last_started", "last_finished", "ok", "last_outcome", "next_run"]
    ordering = ["name"]

    @admin.display(description="Scheduled job")
    def label(self, run: ScheduledRun) -> str:
        known = schedule.BY_NAME.get(run.name)
        return known.label if known else run.name


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin):
    list_display = ["name", "holder", "expires_at"]


@admin.register(WorkerBeat)
class WorkerBeatAdmin(ReadOnlyAdmin):
    list_display = ["worker_id", "host", "pid", "scheduler", "started_at", "seen_at"]
    ordering = ["-seen_at"]


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ["uuid", "kind", "state", "organization", "system", "actor_name",
                    "created_at", "finished_at", "error"]
    list_filter = ["kind", "state"]
    search_fields = ["uuid", "actor_name"]
    exclude = ["params", "result"]
