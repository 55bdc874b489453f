"""`openpoam jobs --schedule` as a user types it: after a worker with the scheduler ran the
periodic jobs once, every job shows its outcome and next run, and the lease its last holder
(the worker let go of it when it stopped); a user
who is not an administrator is refused."""

from __future__ import annotations

from tests.process import Openpoam, environment, fresh_database

EXPECTED = {"reminders", "digests", "sessions", "old-jobs", "kev", "checkpoint", "cr26-overdue"}


def test_the_schedule_after_one_scheduler_pass(tmp_path):
    with fresh_database() as url:
        env = environment(tmp_path / "data", url)
        env["OPENPOAM_KEV_SOURCE"] = str(tmp_path / "no-such-kev.json")
        run = Openpoam(env)
        assert run("setup").code == 0
        before = run("jobs", "--schedule", "--json").json()
        assert {row["state"] for row in before["jobs"]} == {"never run"}
        assert before["scheduler"]["holder"] == ""
        ran = run("worker", "--scheduler", "--batch")
        assert ran.code == 0, ran.err
        after = run("jobs", "--schedule", "--json").json()
        rows = {row["name"]: row for row in after["jobs"]}
        assert set(rows) == EXPECTED
        assert rows["kev"]["state"] == "failed" and "no-such-kev.json" in rows["kev"]["outcome"]
        assert rows["cr26-overdue"]["state"] == "ok" and rows["cr26-overdue"]["every"] == "hourly"
        assert all(rows[name]["state"] == "ok" for name in EXPECTED - {"kev"})
        assert all(row["next_run"] for row in rows.values())
        # The worker stopped: it let go of the lease, which names it as the last holder.
        assert after["scheduler"]["holder"] == "" and after["scheduler"]["last_holder"]
        table = run("jobs", "--schedule")
        assert table.code == 0 and "cr26-overdue" in table.out and "failed" in table.out
        assert run("user", "add", "alice", "--email", "alice@example.test").code == 0
        refused = run("--as", "alice", "jobs", "--schedule")
        assert refused.code != 0 and "administrators" in refused.err, refused
        assert "Traceback" not in refused.err
