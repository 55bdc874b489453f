"""First run on SQLite, as a newcomer gets it: a private data folder, a secret key kept
with mode 0600, and a database in WAL mode with a busy timeout."""

import os
import sqlite3
import stat
import subprocess
import sys

SCRIPT = """
from openpoam.cli import main
import sys
sys.argv = ["openpoam", "setup"]
try:
    main()
except SystemExit as exit:
    assert exit.code == 0, exit.code
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA busy_timeout")
    print("busy_timeout", cursor.fetchone()[0])
"""


def _first_run(data_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env["OPENPOAM_DATA_DIR"] = str(data_dir)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_it_keeps_a_private_secret_key_and_a_wal_database(tmp_path):
    data = tmp_path / "data"
    output = _first_run(data)
    key = data / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    first = key.read_text()
    assert len(first) > 40
    with sqlite3.connect(data / "openpoam.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "busy_timeout 20000" in output
    _first_run(data)
    assert key.read_text() == first  # kept, not regenerated: sessions survive a restart
