"""A month's generated scan, then the next month's, through the installed `openpoam import`:
the counts of new, closed, seen-again and remediated are exactly what the two files say.

The expectation is worked out here from the files with a plain lxml read (not the
product's parser): a weakness is a pluginID with severity above 0 (informational
findings are no items), an affected asset is (pluginID, host, port, protocol).
"""

from __future__ import annotations

import json
import subprocess
import sys

from lxml import etree

from tests.cli.process import fresh_env, new_env, run  # noqa: F401
from tests.paths import REPO


def _generate(tmp_path):
    first, second = tmp_path / "m1.nessus", tmp_path / "m2.nessus"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_nessus.py"), "--hosts", "40",
                    "--findings-per-host", "40", "--out", str(first), "--next-month",
                    str(second), "--fleet-changes", "--seed", "21"],
                   check=True, capture_output=True)
    return first, second


def _open_findings(path) -> set[tuple[str, str, str, str]]:
    found = set()
    for _, host in etree.iterparse(str(path), tag="ReportHost"):
        for item in host.iter("ReportItem"):
            if item.get("severity") != "0":
                port = "" if item.get("port") == "0" else item.get("port")
                found.add((item.get("pluginID"), host.get("name"), port, item.get("protocol")))
        host.clear()
    return found


def _import(path, env) -> dict:
    done = run(["import", str(path), "--org", "acme", "--system", "enclave", "--json"], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_next_months_scan_merges_exactly(tmp_path, fresh_env):
    first, second = _generate(tmp_path)
    month1, month2 = _open_findings(first), _open_findings(second)
    weaknesses1 = {plugin for plugin, *_ in month1}
    weaknesses2 = {plugin for plugin, *_ in month2}
    # The generated month really changes: weaknesses and assets come and go.
    assert weaknesses1 - weaknesses2 and weaknesses2 - weaknesses1 and month1 - month2
    for args in (["setup"], ["org", "create", "acme", "--name", "Acme"],
                 ["system", "create", "enclave", "--org", "acme", "--name", "Enclave",
                  "--framework", "cmmc-l2"]):
        assert run(args, fresh_env).returncode == 0

    counts = _import(first, fresh_env)["counts"]
    assert counts["new"] == len(weaknesses1)
    assert counts["closed"] == counts["updated"] == counts["remediated"] == 0

    result = _import(second, fresh_env)
    counts = result["counts"]
    assert result["findings"] == sum(1 for _ in etree.iterparse(str(second), tag="ReportItem"))
    assert counts["new"] == len(weaknesses2 - weaknesses1)
    assert counts["closed"] == len(weaknesses1 - weaknesses2)
    # Items kept: each has at least one asset seen again in month 2.
    assert counts["updated"] == len({plugin for plugin, *_ in month1 & month2})
    assert counts["remediated"] == len(month1 - month2)  # affected assets gone
    assert counts["recurred"] == counts["proposed"] == 0

    # The same file again changes nothing.
    again = _import(second, fresh_env)["counts"]
    assert again["new"] == again["closed"] == again["remediated"] == 0
