"""Benchmark: OSCAL POA&M export + validation, import, and compliance-trestle reading.

Builds a PoamDocument of 10,000 items with 3 milestones each (realistic text) and
measures, each phase in a fresh process so memory figures do not mix:

- our OSCAL JSON export including schema validation (jsonschema-rs) and FedRAMP rules;
- our OSCAL JSON import (parse, schema validation, mapping to a PoamDocument);
- compliance-trestle reading and validating the same file
  (``PlanOfActionAndMilestones.oscal_read``);
- the XML exporter and importer, and the alternative validator (Python ``jsonschema``
  with the ``\\p{..}`` classes rewritten for ``re``) for the choice of validator.

Wall time is the best of ``--repeat`` runs; peak memory is the growth of the process's
peak RSS during the phase (covers native allocations: Rust, lxml) and, from a separate
run, the tracemalloc peak of Python objects.

    .venv/bin/python bench/bench_oscal.py [--items 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpoam.domain.poam import (  # noqa: E402
    AffectedAsset,
    Catalog,
    ControlRef,
    Designation,
    DueDateChange,
    Framework,
    HistoryEntry,
    MilestoneData,
    PoamDocument,
    PoamItemData,
    Risk,
    Source,
    Status,
    SystemData,
)

WEAKNESSES = [
    ("TLS 1.0 and 1.1 enabled", "The service accepts deprecated TLS protocol versions, "
     "which allow downgrade attacks against clients that still negotiate them."),
    ("OpenSSH below 9.3p2", "The installed OpenSSH release is affected by a remote code "
     "execution flaw in the PKCS#11 provider forwarding of ssh-agent."),
    ("Missing MFA for privileged accounts", "Administrators can sign in to the management "
     "console with a password alone; phishing-resistant MFA is not enforced."),
    ("Audit log retention below 90 days", "Security event logs are rotated after 30 days, "
     "short of the retention the control requires for incident investigations."),
    ("Unpatched Apache HTTP Server", "Apache httpd 2.4.57 is affected by mod_proxy request "
     "smuggling; an attacker can reach internal endpoints behind the reverse proxy."),
    ("Default SNMP community string", "Network devices answer SNMPv2c queries with the "
     "community string 'public', exposing interface and routing details."),
]
PLANS = ["Apply the vendor patch during the monthly maintenance window, then rescan.",
         "Reconfigure the baseline image and redeploy the autoscaling group.",
         "Enforce the conditional access policy for the privileged role group."]
STEPS = ["Test the fix in staging and record the change request.",
         "Deploy to production in the approved change window.",
         "Rescan the affected assets and attach the clean report as evidence."]
PEOPLE = ["Dana Whitfield", "Priya Natarajan", "Marcus Oyelaran", "Hannah Kowalczyk",
          "Luis Ferreira"]
UTC = timezone.utc


def build_document(count: int, seed: int = 7) -> PoamDocument:
    rng = random.Random(seed)
    items = [_item(rng, n) for n in range(1, count + 1)]
    system = SystemData(name="Acme Cloud Suite", acronym="ACS", organization="Acme Corp",
                        framework=Framework.FEDRAMP_MODERATE, impact_level="Moderate",
                        designation=Designation.OFFICIAL,
                        uuid="0b6f7d2e-1c3a-4f58-8e9d-2a4c6b8d0e1f",
                        description="Multi-tenant SaaS hosted in a FedRAMP authorized IaaS.")
    return PoamDocument(system=system, items=items, version="12.0",
                        generated_at=datetime(2026, 3, 1, tzinfo=UTC),
                        uuid="3f8a1c52-6b7d-4e21-9c0a-5d2e8f4b7a10")


def _item(rng: random.Random, n: int) -> PoamItemData:
    title, text = rng.choice(WEAKNESSES)
    risk = rng.choice(list(Risk))
    detected = date(2025, 1, 1) + timedelta(days=rng.randrange(400))
    days = {Risk.CRITICAL: 30, Risk.HIGH: 30, Risk.MODERATE: 90, Risk.LOW: 180}[risk]
    owner = rng.choice(PEOPLE)
    host = f"web-{rng.randrange(1, 300):03d}"
    milestones = []
    for seq, step in enumerate(STEPS, start=1):
        due = detected + timedelta(days=days * seq // 3)
        changes = []
        if rng.random() < 0.2:
            changes.append(DueDateChange(
                changed_at=datetime.combine(due, datetime.min.time(), UTC),
                old_due=due - timedelta(days=7), new_due=due,
                justification="Vendor patch slipped one week.", actor=owner))
        milestones.append(MilestoneData(sequence=seq, description=step, original_due=due,
                                        current_due=due, owner=owner, changes=changes))
    return PoamItemData(
        poam_id=f"POAM-2025-{n:05d}", title=f"{title} on {host}",
        weakness_description=text, source=Source.VULNERABILITY_SCAN,
        source_identifier=str(100000 + rng.randrange(90000)),
        source_detail="Tenable Nessus 10.7.1",
        controls=[ControlRef(Catalog.NIST_800_53_R5, rng.choice(["SI-2", "SC-8(1)", "IA-2(1)",
                                                                 "AU-11", "CM-6"]))],
        assets=[AffectedAsset(name=host, ip=f"10.0.{rng.randrange(256)}.{rng.randrange(256)}",
                              fqdn=f"{host}.acme.example", port="443", protocol="tcp")],
        original_risk=risk, raw_severity=risk.label, planned_remediation=rng.choice(PLANS),
        owner=owner, owner_email=f"{owner.split()[0].lower()}@acme.example",
        resources_required="One engineer-day.", cost_estimate=Decimal("800.00"),
        detected_on=detected, scheduled_completion=detected + timedelta(days=days),
        status=rng.choice([Status.OPEN, Status.IN_PROGRESS, Status.COMPLETED]),
        status_date=detected + timedelta(days=3), cves=[f"CVE-2024-{rng.randrange(1000, 60000)}"],
        milestones=milestones,
        history=[HistoryEntry(at=datetime.combine(detected, datetime.min.time(), UTC),
                              actor=owner, action="create", entity="item")])


# -- measured phases (each runs in its own process) -------------------------------------

def _status_kib(field: str) -> int:
    for row in Path("/proc/self/status").read_text().splitlines():
        if row.startswith(field + ":"):
            return int(row.split()[1])
    return 0


def _reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark (Linux), so the phase's own peak shows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _measure(work, *, traced: bool) -> tuple[float, float, float]:
    """(seconds, peak RSS growth in MiB, 0) or, traced, (0, 0, tracemalloc peak in MiB).

    The traced run is separate because tracemalloc hooks every allocation and slows the
    work down several times.
    """
    gc.collect()
    if traced:
        tracemalloc.start()
        work()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return 0.0, 0.0, peak
    before = _status_kib("VmRSS")
    if not _reset_peak():  # fall back to the process-wide peak
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    peak = _status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return seconds, max(peak - before, 0) / 1024, 0.0


def phase_export(count: int, key: str, traced: bool) -> tuple[float, float, float]:
    from openpoam.formats.oscal import PLUGINS
    from openpoam.formats.oscal.validation import schema
    exporter = next(p for p in PLUGINS if p.key == key and hasattr(p, "write"))
    document = build_document(count)
    schema()  # load the schema file once, as importing trestle builds its models
    return _measure(lambda: exporter.write(document, io.BytesIO()), traced=traced)


def phase_import(path: str, key: str, traced: bool) -> tuple[float, float, float]:
    from openpoam.formats.oscal import PLUGINS
    importer = next(p for p in PLUGINS if p.key == key and hasattr(p, "read"))

    def work():
        with open(path, "rb") as stream:
            importer.read(stream, source=path)
    return _measure(work, traced=traced)


def phase_trestle(path: str, traced: bool) -> tuple[float, float, float]:
    from trestle.oscal.poam import PlanOfActionAndMilestones
    return _measure(lambda: PlanOfActionAndMilestones.oscal_read(Path(path)), traced=traced)


def phase_jsonschema(path: str, traced: bool) -> tuple[float, float, float]:
    """Python jsonschema with \\p{L}/\\p{N} rewritten so ``re`` compiles the patterns."""
    import jsonschema

    from openpoam.formats.oscal.validation import schema

    def rewrite(node):
        if isinstance(node, dict):
            return {k: (_re_pattern(v) if k == "pattern" and isinstance(v, str) else rewrite(v))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    validator = jsonschema.Draft7Validator(rewrite(schema()),
                                           format_checker=jsonschema.FormatChecker())
    data = json.loads(Path(path).read_bytes())
    return _measure(lambda: list(validator.iter_errors(data)), traced=False)


def phase_jsonschema_rs(path: str, traced: bool) -> tuple[float, float, float]:
    from openpoam.formats.oscal.validation import validate
    data = json.loads(Path(path).read_bytes())
    return _measure(lambda: validate(data), traced=False)


def _re_pattern(pattern: str) -> str:
    # Approximations good enough to time the validator: letters, then letters or digits.
    return pattern.replace(r"\p{L}", r"[^\W\d_]").replace(r"\p{N}", r"\d")


def _run(pool, function, *args, repeat: int = 1,
         traced: bool = True) -> tuple[float, float, float]:
    """Best time of ``repeat`` runs; the tracemalloc figure from one extra traced run."""
    runs = [pool.apply(function, (*args, False)) for _ in range(repeat)]
    traced_peak = pool.apply(function, (*args, True))[2] if traced else 0.0
    return min(r[0] for r in runs), min(r[1] for r in runs), traced_peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare-items", type=int, default=1_000,
                        help="items for the jsonschema vs jsonschema-rs comparison")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    from openpoam.formats.oscal import PLUGINS
    exporters = {p.key: p for p in PLUGINS if hasattr(p, "write")}
    with tempfile.TemporaryDirectory(prefix="bench-oscal-") as folder:
        document = build_document(args.items)
        paths = {}
        for key, ext in (("oscal-json", "json"), ("oscal-xml", "xml")):
            paths[key] = str(Path(folder) / f"poam.{ext}")
            with open(paths[key], "wb") as stream:
                warnings = exporters[key].write(document, stream)
        small = str(Path(folder) / "small.json")
        with open(small, "wb") as stream:
            exporters["oscal-json"].write(build_document(args.compare_items), stream)
        size = Path(paths["oscal-json"]).stat().st_size / 2**20
        print(f"{args.items:,} items x 3 milestones; OSCAL JSON {size:.1f} MiB, "
              f"{len(warnings)} FedRAMP warnings; best of {args.repeat}")
        rows = []
        with context.Pool(1, maxtasksperchild=1) as pool:
            rows.append(("our export + validation (JSON)",
                         _run(pool, phase_export, args.items, "oscal-json",
                              repeat=args.repeat)))
            rows.append(("our import (JSON)",
                         _run(pool, phase_import, paths["oscal-json"], "oscal-json",
                              repeat=args.repeat)))
            rows.append(("trestle oscal_read + validation",
                         _run(pool, phase_trestle, paths["oscal-json"], repeat=args.repeat)))
            rows.append(("our export + validation (XML)",
                         _run(pool, phase_export, args.items, "oscal-xml",
                              repeat=args.repeat)))
            rows.append(("our import (XML)",
                         _run(pool, phase_import, paths["oscal-xml"], "oscal-xml",
                              repeat=args.repeat)))
            compare = [
                (f"jsonschema-rs validate, {args.compare_items:,} items",
                 _run(pool, phase_jsonschema_rs, small, repeat=args.repeat, traced=False)),
                (f"jsonschema (Python) validate, {args.compare_items:,} items",
                 _run(pool, phase_jsonschema, small, repeat=1, traced=False)),
            ]
        print(f"{'phase':<44}{'seconds':>9}{'peak RSS +MiB':>15}{'tracemalloc MiB':>17}")
        for name, (seconds, rss, traced) in rows + compare:
            traced_text = f"{traced:17.1f}" if traced else f"{'-':>17}"
            print(f"{name:<44}{seconds:9.2f}{rss:15.1f}{traced_text}")
        ours, trestle = rows[0][1][0], rows[2][1][0]
        print(f"trestle read / our export+validation: {trestle / ours:.1f}x "
              f"(goal: at least 3x)")


if __name__ == "__main__":
    main()
