"""Background jobs: an import answers 202 with a job (its URL in Location); the job is
polled, its dry run's preview read a page at a time, confirmed, and an export's file
downloaded when done.

A job is its starter's: another user of the same organization gets 404, like another
organization's token (openpoam/jobs/services.py: jobs_of)."""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema, Status

from openpoam.api import lookups
from openpoam.api.schemas import ERRORS
from openpoam.jobs import services as jobs
from openpoam.jobs.models import Job

router = Router()


class JobOut(Schema):
    id: str
    kind: str
    state: str
    organization: str | None = None
    system: str | None = None
    file_name: str = ""
    started_by: str = ""
    progress: dict = {}
    result: dict | None = None
    error: str = ""
    import_id: int | None = None
    dry_run_id: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    download: bool = False


class JobList(Schema):
    jobs: list[JobOut]


class PreviewParams(Schema):
    section: str = "create"
    page: int = 1


class PreviewOut(Schema):
    section: str
    page: int
    pages: int
    total: int
    rows: list[dict]


def accepted(response: HttpResponse, job: Job) -> Status:
    """202 with the job resource, and its URL in Location for clients that follow it."""
    response["Location"] = reverse("api-v1:get_job", kwargs={"job_id": str(job.uuid)})
    return Status(202, jobs.job_dict(job))


def _job(request: HttpRequest, job_id: str) -> Job:
    found = jobs.jobs_of(lookups.actor(request)).filter(
        organization=lookups.access(request).organization)
    try:
        job = found.select_related("system", "organization", "source").filter(
            uuid=job_id).first()
    except Exception:  # not a UUID
        job = None
    if job is None:
        raise Http404("No such job.")
    return job


@router.get("/jobs", response={200: JobList, **ERRORS}, tags=["jobs"],
            summary="Your background jobs in this organization, newest first (100)")
def list_jobs(request: HttpRequest):
    found = (jobs.jobs_of(lookups.actor(request))
             .filter(organization=lookups.access(request).organization)
             .select_related("system", "organization", "source")[:100])
    return {"jobs": [jobs.job_dict(j) for j in found]}


@router.get("/jobs/{job_id}", response={200: JobOut, **ERRORS}, tags=["jobs"],
            summary="One job: state (queued, running, succeeded, failed), progress, result, error")
def get_job(request: HttpRequest, job_id: str):
    return jobs.job_dict(_job(request, job_id))


@router.get("/jobs/{job_id}/preview", response={200: PreviewOut, **ERRORS}, tags=["jobs"],
            summary="A dry run's items to create, close or reopen, a page (50) at a time")
def preview(request: HttpRequest, job_id: str, params: Query[PreviewParams]):
    job = _job(request, job_id)
    if job.kind != Job.DRY_RUN or job.state != Job.SUCCEEDED:
        raise Http404("No finished dry run with that id.")
    return jobs.preview_page(job, params.section, params.page)


@router.post("/jobs/{job_id}/confirm", response={202: JobOut, **ERRORS}, tags=["jobs"],
             summary="Import what a finished dry run showed, without reading the file again "
                     "(a new job; it fails, asking for a fresh dry run, if the system changed)")
def confirm(request: HttpRequest, job_id: str, response: HttpResponse):
    job = _job(request, job_id)
    try:
        started = jobs.confirm(lookups.actor(request), job.uuid)
    except jobs.JobNotFound:
        raise Http404("No such dry run.") from None
    return accepted(response, started)


@router.get("/jobs/{job_id}/download", response={200: None, **ERRORS}, tags=["jobs"],
            summary="A finished export job's file")
def download(request: HttpRequest, job_id: str):
    job = _job(request, job_id)
    try:
        path, name, media_type = jobs.output_path(lookups.actor(request), job.uuid)
    except jobs.JobNotFound:
        raise Http404("No finished export with that id.") from None
    return FileResponse(path.open("rb"), as_attachment=True, filename=name,
                        content_type=media_type)


@router.post("/orgs/{org}/systems/{system}/exports/{format_key}/jobs",
             response={202: JobOut, **ERRORS}, tags=["jobs", "exports"],
             summary="Export in the background (large POA&Ms): a job whose file is "
                     "downloaded from /jobs/{id}/download when done")
def start_export(request: HttpRequest, org: str, system: str, format_key: str,
                 response: HttpResponse, branch: str = ""):
    found = lookups.system(request, org, system)
    job = jobs.start_export(lookups.actor(request), found, format_key, branch=branch or None)
    return accepted(response, job)
