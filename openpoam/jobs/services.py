"""Starting, running and reading background jobs (the one path for the web, the API and the CLI).

Each job calls the tracker's own services (imports.import_file, imports.apply_kept,
exports): no second write path. Its files (the upload, a dry run's kept digest and preview,
an export's output) live in ``EVIDENCE_DIR/.jobs/<uuid>/``, beside the evidence, on the
storage that every app server and worker shares.

Exactly once: an import's changes are one transaction (tracker.services.imports), and the
job marks itself committed inside that same transaction (``_mark_committed``). A worker
killed after the commit leaves a committed job, which the next worker only finishes; one
killed before leaves nothing, and the next worker runs the import again.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from openpoam.domain.findings import Severity
from openpoam.formats import registry
from openpoam.formats.base import FormatError
from openpoam.jobs.models import Job
from openpoam.tracker.models import PoamItem, System
from openpoam.tracker.services import exports, imports
from openpoam.tracker.services.actors import (Actor, ServiceError, require,
                                              visible_organizations)


log = logging.getLogger("openpoam.jobs")

PREVIEW_SECTIONS = ("create", "close", "reopen")
PREVIEW_PAGE = 50
PROGRESS_EVERY = 0.5  # seconds between two progress writes


class JobNotFound(ServiceError):
    pass


# ---- files ---------------------------------------------------------------------------------

def jobs_root() -> Path:
    return Path(settings.EVIDENCE_DIR) / ".jobs"


def job_dir(job: Job) -> Path:
    path = jobs_root() / str(job.uuid)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _jsonable(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


# ---- starting ------------------------------------------------------------------------------

def start_import(actor: Actor, system: System, path: Path, *, file_name: str,
                 dry_run: bool = False, format_key: str | None = None, asset: str = "",
                 min_severity: Severity = Severity.LOW, fields: str | None = None,
                 move: bool = False) -> Job:
    """Queue an import (or its dry run) of the file; returns the job. The file is copied
    (or moved, ``move``) into the job's folder first, so any worker can read it."""
    require(actor, system.organization, "poam.import")
    size = Path(path).stat().st_size
    if size > settings.IMPORT_MAX_BYTES:
        raise FormatError(f"the file is {size:,} bytes, over the import limit of "
                          f"{settings.IMPORT_MAX_BYTES:,} (OPENPOAM_IMPORT_MAX_BYTES)",
                          source=file_name)
    job = _new_job(actor, Job.DRY_RUN if dry_run else Job.IMPORT, system,
                   {"file_name": Path(file_name).name, "format": format_key, "asset": asset,
                    "min_severity": min_severity.value, "fields": fields, "size": size})
    target = job_dir(job) / "upload"
    if move:
        shutil.move(str(path), target)
    else:
        shutil.copyfile(path, target)
    os.chmod(target, 0o600)
    job.progress = {"bytes": 0, "total_bytes": size, "hosts": 0, "findings": 0, "items": 0}
    job.save(update_fields=["progress"])
    return _enqueue(job)


def confirm(actor: Actor, job_id, system: System | None = None) -> Job:
    """Import for real what the dry run ``job_id`` showed: a new job applying the kept result."""
    dry = get_job(actor, job_id)
    if dry.kind != Job.DRY_RUN or (system is not None and dry.system_id != system.pk):
        raise JobNotFound("no such dry run")
    if dry.state != Job.SUCCEEDED:
        raise ServiceError("the dry run has not finished; wait for it, then confirm")
    if (dry.result or {}).get("already_imported_at"):
        raise ServiceError("this file was already imported; there is nothing to confirm")
    require(actor, dry.system.organization, "poam.import")
    if Job.objects.filter(source=dry, kind=Job.CONFIRM).exclude(state=Job.FAILED).exists():
        raise ServiceError("this dry run was already confirmed; see its import")
    if not (job_dir(dry) / "upload").is_file():
        raise ServiceError("this dry run is too old (its file was removed); upload the "
                           "file again")
    job = _new_job(actor, Job.CONFIRM, dry.system, dict(dry.params), source=dry)
    job.progress = {**dry.progress}
    job.save(update_fields=["progress"])
    return _enqueue(job)


def start_export(actor: Actor, system: System, format_key: str, *,
                 branch: str | None = None) -> Job:
    """Queue an export of the system's POA&M (or a CR26 report) in a registered format; the
    file is kept in the job's folder and downloaded by its starter when done."""
    require(actor, system.organization, "poam.export")
    known = registry.default()
    if format_key not in known.exporters and format_key not in known.report_exporters:
        raise ServiceError(f"format: no export format {format_key!r} (see /formats)")
    params = {"format": format_key, "file_name": f"{system.slug} {format_key} export"}
    if branch:
        params["branch"] = branch
    return _enqueue(_new_job(actor, Job.EXPORT, system, params))


def dry_run_again(actor: Actor, job: Job) -> Job:
    """A fresh dry run of the file a dry run (or the import confirming it) read."""
    dry = job.source if job.kind == Job.CONFIRM else job
    if dry is None or dry.kind != Job.DRY_RUN:
        raise ServiceError("only an import's dry run can be run again; upload the file again")
    upload = job_dir(dry) / "upload"
    if not upload.is_file():
        raise ServiceError("the file of that dry run was removed; upload the file again")
    params = dry.params
    return start_import(actor, dry.system, upload, file_name=params["file_name"], dry_run=True,
                        format_key=params.get("format"), asset=params.get("asset") or "",
                        min_severity=Severity(params.get("min_severity") or "low"),
                        fields=params.get("fields"))


def _new_job(actor: Actor, kind: str, system: System | None, params: dict, *,
             organization=None, source: Job | None = None) -> Job:
    return Job.objects.create(
        kind=kind, system=system, organization=organization or system.organization,
        started_by=actor.user, actor_name=actor.name[:150], actor_local=actor.local,
        params=_jsonable(params), source=source)


def _enqueue(job: Job) -> Job:
    result = run_job.enqueue(str(job.uuid))
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.task_id = str(result.id)
    return job


# ---- reading -------------------------------------------------------------------------------

def jobs_of(actor: Actor):
    """The jobs the actor may see: their own, in organizations they still belong to
    (the command line on the server and superusers: every job)."""
    if actor.is_superuser:
        return Job.objects.all()
    return Job.objects.filter(started_by=actor.user,
                              organization__in=visible_organizations(actor))


def get_job(actor: Actor, job_id) -> Job:
    try:
        found = jobs_of(actor).select_related("system", "organization").filter(
            uuid=str(job_id)).first()
    except Exception:  # not a UUID
        found = None
    if found is None:
        raise JobNotFound(f"no job {job_id} of yours")
    return found


def job_dict(job: Job) -> dict:
    """The one JSON shape of a job (the API's resource and `openpoam jobs --json`)."""
    return {"id": str(job.uuid), "kind": job.kind, "state": job.state,
            "organization": job.organization.slug if job.organization_id else None,
            "system": job.system.slug if job.system_id else None,
            "file_name": job.params.get("file_name", ""), "started_by": job.actor_name,
            "progress": job.progress, "result": job.result, "error": job.error,
            "import_id": job.import_record_id, "dry_run_id": str(job.source.uuid)
            if job.source_id else None,
            "created_at": job.created_at, "started_at": job.started_at,
            "finished_at": job.finished_at, "download": bool(job.params.get("output"))
            and job.state == Job.SUCCEEDED}


def preview_page(job: Job, section: str, page: int = 1, per_page: int = PREVIEW_PAGE) -> dict:
    """One page of what a dry run would do: the items it would create, close or reopen."""
    if section not in PREVIEW_SECTIONS:
        raise ServiceError(f"preview: choose one of {', '.join(PREVIEW_SECTIONS)}")
    path = job_dir(job) / "preview.json"
    rows = json.loads(path.read_text())[section] if path.is_file() else []
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return {"section": section, "page": page, "pages": pages, "total": len(rows),
            "rows": rows[start:start + per_page]}


def output_path(actor: Actor, job_id) -> tuple[Path, str, str]:
    """An export job's file, download name and media type; only for its starter (still
    allowed to export in that organization), once done."""
    job = get_job(actor, job_id)
    name = job.params.get("output")
    if job.kind != Job.EXPORT or job.state != Job.SUCCEEDED or not name:
        raise JobNotFound("no finished export with that id")
    require(actor, job.organization, "poam.export")
    path = job_dir(job) / "output"
    if not path.is_file():
        raise JobNotFound("that export's file was removed; export again")
    return path, name, job.params.get("media_type") or "application/octet-stream"


# ---- running -------------------------------------------------------------------------------

def actor_of(job: Job) -> Actor:
    if job.actor_local:
        return Actor.command_line(job.actor_name)
    if job.started_by is None:
        raise ServiceError("the person who started this job no longer has an account")
    return Actor.for_user(job.started_by)


class _Progress:
    """Writes the job's progress counts now and then (not on every finding)."""

    def __init__(self, job: Job) -> None:
        self.job, self.last = job, 0.0

    def __call__(self, counts: dict) -> None:
        now = time.monotonic()
        done = counts.get("bytes", 0) >= self.job.progress.get("total_bytes", 0) > 0
        if now - self.last < PROGRESS_EVERY and not done:
            return
        self.last = now
        self.job.progress = {**self.job.progress, **counts}
        Job.objects.filter(pk=self.job.pk).update(progress=self.job.progress)


def execute(job_uuid: str) -> dict:
    """The body of every job (run by a worker): run it once, record its outcome."""
    job = Job.objects.select_related("system", "organization", "started_by").get(uuid=job_uuid)
    if job.finished:
        return {"state": job.state}
    if job.committed:  # a retry after a crash past the commit: the import is in, finish
        _finish(job, job.result)
        return {"state": job.state}
    Job.objects.filter(pk=job.pk).update(state=Job.RUNNING, started_at=timezone.now(),
                                         attempts=job.attempts + 1)
    job.state = Job.RUNNING
    try:
        result = RUNNERS[job.kind](job)
    except imports.SystemChanged as exc:
        _fail(job, str(exc), {"fresh_dry_run": True})
    except (ServiceError, FormatError) as exc:
        _fail(job, str(exc))
    except Exception:
        log.exception("job %s (%s) failed", job.uuid, job.kind)
        _fail(job, "the job failed unexpectedly; the details are in the server's log")
    else:
        _finish(job, result)
    return {"state": job.state}


def _finish(job: Job, result) -> None:
    job.state, job.result, job.finished_at = Job.SUCCEEDED, _jsonable(result), timezone.now()
    Job.objects.filter(pk=job.pk).update(state=job.state, result=job.result,
                                         finished_at=job.finished_at, progress=job.progress)


def _fail(job: Job, error: str, result: dict | None = None) -> None:
    line = " ".join(str(error).split())[:500]
    job.state, job.error, job.finished_at = Job.FAILED, line, timezone.now()
    Job.objects.filter(pk=job.pk).update(state=job.state, error=line, result=result,
                                         finished_at=job.finished_at)


def _mark_committed(job: Job):
    """Called inside the import's transaction: the job's outcome commits with the import."""
    def within(result: imports.ImportResult) -> None:
        job.result = _jsonable(result.to_dict())
        job.committed = True
        job.progress = {**job.progress, "items": _items_changed(result)}
        Job.objects.filter(pk=job.pk).update(committed=True, result=job.result,
                                             import_record=result.record,
                                             progress=job.progress)
        job.import_record = result.record
    return within


def _items_changed(result: imports.ImportResult) -> int:
    c = result.counts
    return c.new + c.recurred + c.updated + c.closed + c.proposed + result.created + result.updated


def _import_options(job: Job) -> dict:
    params = job.params
    return {"file_name": params["file_name"], "format_key": params.get("format") or None,
            "asset": params.get("asset") or "", "fields": params.get("fields"),
            "min_severity": Severity(params.get("min_severity") or Severity.LOW.value)}


def _run_import(job: Job) -> dict:
    progress = _Progress(job)
    result = imports.import_file(actor_of(job), job.system, job_dir(job) / "upload",
                                 report=progress, within=_mark_committed(job),
                                 **_import_options(job))
    return result.to_dict()


def _run_dry_run(job: Job) -> dict:
    progress = _Progress(job)
    kept: list[imports.Kept] = []
    result = imports.import_file(actor_of(job), job.system, job_dir(job) / "upload",
                                 dry_run=True, report=progress, keep=kept.append,
                                 **_import_options(job))
    data = result.to_dict()
    preview = _keep(job, kept[0]) if kept else None
    job.progress = {**job.progress, "items": _items_changed(result)}
    data["preview"] = {s: len(rows) for s, rows in preview.items()} if preview else None
    return data


def _run_confirm(job: Job) -> dict:
    dry = job.source
    if dry is None:
        raise ServiceError("the dry run this confirms was removed; upload the file again")
    upload = job_dir(dry) / "upload"
    kept_path = job_dir(dry) / "kept.pickle"
    if not kept_path.is_file():  # POA&M files and workbooks: quick to read again
        result = imports.import_file(actor_of(job), job.system, upload,
                                     within=_mark_committed(job), **_import_options(job))
        return result.to_dict()
    with kept_path.open("rb") as handle:
        kept = pickle.load(handle)  # noqa: S301 (written by this product in its own folder)
    result = imports.apply_kept(actor_of(job), job.system, kept, upload,
                                within=_mark_committed(job))
    return result.to_dict()


def _keep(job: Job, kept: imports.Kept) -> dict:
    """The dry run's digest (for confirming without reading the file) and its preview."""
    folder = job_dir(job)
    draft = folder / "kept.pickle.part"
    with draft.open("wb") as handle:
        pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
    draft.rename(folder / "kept.pickle")
    preview = _preview(kept.changes)
    (folder / "preview.json").write_text(json.dumps(preview, cls=DjangoJSONEncoder))
    return preview


def _preview(changes) -> dict:
    refs = {c.ref for c in (*changes.closed, *changes.proposed, *changes.reopened)}
    refs |= {n.recurrence_of for n in changes.new_items if n.recurrence_of is not None}
    known = {}
    ordered = sorted(refs)
    for start in range(0, len(ordered), 900):
        known.update({pk: (poam_id, title) for pk, poam_id, title in PoamItem.objects.filter(
            pk__in=ordered[start:start + 900]).values_list("pk", "poam_id", "title")})
    create, reopen = [], []
    for new in changes.new_items:
        weakness = new.weakness
        row = {"title": weakness.title or weakness.weakness_id,
               "weakness": weakness.weakness_id, "severity": weakness.severity.name.title(),
               "assets": len(new.assets)}
        if new.recurrence_of is not None:
            poam_id, title = known.get(new.recurrence_of, ("", ""))
            reopen.append({**row, "poam_id": poam_id,
                           "how": f"came back after {poam_id} was closed: a new item"})
        else:
            create.append(row)
    assets_back: dict = {}
    for change in changes.reopened:
        assets_back[change.ref] = assets_back.get(change.ref, 0) + 1
    for ref, count in assets_back.items():
        poam_id, title = known.get(ref, ("", ""))
        reopen.append({"poam_id": poam_id, "title": title, "assets": count,
                       "how": "remediated asset(s) found again"})
    close = [{"poam_id": known.get(c.ref, ("", ""))[0], "title": known.get(c.ref, ("", ""))[1],
              "how": "closed: no longer found"} for c in changes.closed]
    close += [{"poam_id": known.get(c.ref, ("", ""))[0],
               "title": known.get(c.ref, ("", ""))[1],
               "how": "closure proposed (the system does not close automatically)"}
              for c in changes.proposed]
    return {"create": create, "close": close, "reopen": reopen}


def _run_export(job: Job) -> dict:
    format_key = job.params["format"]
    options = {"branch": job.params["branch"]} if job.params.get("branch") else {}
    result = exports.export_system(actor_of(job), job.system, format_key,
                                   job_dir(job) / "output", **options)
    known = registry.default()
    exporter = known.report_exporters.get(format_key) or known.exporter(format_key)
    name = exports.download_name(job.system, format_key, exporter.extension,
                                 timezone.localdate())
    job.params = {**job.params, "output": name, "media_type": exporter.media_type}
    Job.objects.filter(pk=job.pk).update(params=job.params)
    job.progress = {**job.progress, "items": result.items}
    return {"items": result.items, "format_label": result.format_label,
            "designation": result.designation, "warnings": result.warnings[:100],
            "file_name": name, "size": (job_dir(job) / "output").stat().st_size}


RUNNERS = {Job.DRY_RUN: _run_dry_run, Job.IMPORT: _run_import, Job.CONFIRM: _run_confirm,
           Job.EXPORT: _run_export}


# ---- in process (tests, `openpoam import` without --background) ----------------------------

def run_queued(limit: int | None = None) -> int:
    """Run the queued jobs here, in this process (the way a worker would); returns how many."""
    from django_tasks_db.models import DBTaskResult

    done = 0
    while limit is None or done < limit:
        with transaction.atomic():
            row = DBTaskResult.objects.ready().select_for_update(skip_locked=True).first()
            if row is None:
                return done
            row.claim("in-process")
        try:
            value = row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
            row.set_successful(value)
        except Exception as exc:
            row.set_failed(exc)
        done += 1
    return done


@task()
def run_job(job_uuid: str) -> dict:
    """What a worker runs for every job: the task records only the job's id."""
    return execute(job_uuid)
