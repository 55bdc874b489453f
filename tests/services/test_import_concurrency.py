"""Two `openpoam import` processes into one system at once (PostgreSQL).

Each process parses its file at the same time; the system's lock makes the second
read the system's items only after the first committed, so a weakness both files
report becomes one item, not two.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from openpoam.tracker.models import ImportRecord, PoamItem
from openpoam.tracker.services import setup

from .conftest import ROOT
from .test_imports import HOST, ITEM

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="concurrent imports are tested on PostgreSQL only (DATABASE_URL is not set to one)")

HOSTS = 60


def _scan(path: Path, network: int, plugins: range) -> Path:
    """HOSTS hosts on 10.0.<network>.x, each with every plugin of ``plugins``."""
    items = "".join(ITEM.format(plugin=p, port=443, sev=3) for p in plugins)
    body = "".join(HOST.format(host=f"10.0.{network}.{h}", when="Mon Jun  3 10:00:00 2024",
                               items=items) for h in range(HOSTS))
    path.write_text(f'<?xml version="1.0"?><NessusClientData_v2><Report name="monthly">'
                    f'{body}</Report></NessusClientData_v2>')
    return path


def _database_url() -> str:
    db = connection.settings_dict
    return (f"postgresql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


def _command() -> list[str]:
    installed = Path(sys.executable).with_name("openpoam")
    if installed.exists():
        return [str(installed)]
    return [sys.executable, "-c", "from openpoam.cli import main; main()"]


@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_create_each_weakness_once(tmp_path):
    org = setup.create_organization(ROOT, "acme", "Acme Precision")
    setup.create_system(ROOT, org, slug="cloud", name="Cloud", framework="fedramp-moderate",
                        impact_level="Moderate")
    first = _scan(tmp_path / "east.nessus", 1, range(1000, 1100))
    second = _scan(tmp_path / "west.nessus", 2, range(1050, 1150))  # 50 weaknesses in common
    env = {**os.environ, "DATABASE_URL": _database_url(),
           "OPENPOAM_DATA_DIR": str(tmp_path / "data")}
    runs = [subprocess.Popen([*_command(), "import", str(path), "--org", "acme", "--system",
                              "cloud", "--json"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for path in (first, second)]
    outcomes = [run.communicate(timeout=300) for run in runs]
    for run, (_, err) in zip(runs, outcomes):
        assert run.returncode == 0, err

    per_weakness = (PoamItem.objects.values("scan_scope", "scan_weakness_id")
                    .annotate(n=Count("pk")).filter(n__gt=1))
    assert not per_weakness.exists()
    assert PoamItem.objects.count() == 150
    common = PoamItem.objects.get(scan_weakness_id="1070")
    assert common.assets.count() == 2 * HOSTS
    earlier, later = ImportRecord.objects.order_by("imported_at", "pk")
    assert (earlier.new, earlier.findings) == (100, 100 * HOSTS)
    assert (later.new, later.updated, later.findings) == (50, 50, 100 * HOSTS)
