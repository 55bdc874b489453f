"""The tasks the workers run (Django tasks API). Thin: the work is in jobs.services."""

from __future__ import annotations

from django_tasks import task


@task()
def run_job(job_uuid: str) -> dict:
    from openpoam.jobs import services

    return services.execute(job_uuid)


@task()
def run_scheduled(name: str) -> dict:
    from openpoam.jobs import schedule

    return schedule.run(name)
