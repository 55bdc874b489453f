"""Every command shown in the README's code blocks, run in order as a user types them, by the
installed `openpoam` in a subprocess, against a fresh data folder (and a fresh database on
PostgreSQL). The commands are read from README.md, so the two cannot drift apart.

How a README line becomes what runs (the same rules for every line):
- ``.venv/bin/openpoam`` is the installed entry point; each block runs as one bash script
  with ``set -euo pipefail``, so any command that fails fails the test, naming the line;
- an optional part ``[--json]`` runs both ways, first without it, then with it (a flag
  in WITH_ONLY, which would record the same event twice, only with it);
- alternatives ``a|b`` in one word, or ``cmd | cmd`` after an ``openpoam``, run each in turn;
- a synopsis (``group track|plan ...``) runs ``--help`` of each subcommand named;
- a command whose comment documents ``exit 1`` (a gate) may answer 0 or 1;
- ``FILE`` is a file in the working folder; the files a user would already have (a scan, a
  KEV catalog, an assessment) are written there first;
- ``http://127.0.0.1:8000`` is `openpoam serve` started on a free port in the same data folder.
What a block needs that the README leaves to the reader is given in GIVEN, keyed by the
block's first line, with the reason.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
import shutil
import subprocess

import pytest

from tests.cli.process import REPO, Server, entry_point, fresh_env, new_env, run  # noqa: F401

TESTS = REPO / "tests"

PROMPT = ".venv/bin/openpoam"
# Commands the README shows that are not the product's: the suite itself, and the set-up
# script, which `test_start_serves_the_demo` covers as `openpoam start`.
NOT_RUN = {"./scripts/start", "./scripts/test",
           # PostgreSQL only, run as the tables' owner with a role made first:
           # tests/accounts/test_runtime_role.py runs it there.
           ".venv/bin/openpoam setup --runtime-role openpoam_app",
           # Need a configured OpenID provider: tests/sso/test_cli_sso.py runs them with one.
           ".venv/bin/openpoam user add erik --oidc-subject 3f2a9c1e-..."}

ASSESSMENT = {"level": 2, "assessment_type": "C3PAO",
              "results": {"3.1.3": "not_met", "SC.L2-3.13.11": "partial",
                          "3.1.12": "not_applicable"},
              "status_date": "2026-03-02"}
VULN = {"class": "B", "rating": 4, "lev": True, "irv": False, "kev_due": "2026-12-13",
        "detected_at": "2026-12-10T14:00:00Z", "evaluated_at": "2026-12-12T09:30:00Z"}

# Optional flags that make a second record of the same event (a second reduction), run only
# with the flag given.
WITH_ONLY = {"--nirv"}

# Two findings on one host: with the README's own item they are the POAM-2026-0001..0003
# that its monthly review confirms and escalates.
SCAN = """<?xml version="1.0" ?>
<NessusClientData_v2><Report name="November">
<ReportHost name="10.20.0.5"><HostProperties>
<tag name="HOST_START">Mon Nov  2 08:00:00 2026</tag><tag name="host-ip">10.20.0.5</tag>
</HostProperties>
<ReportItem port="443" svc_name="www" protocol="tcp" severity="3" pluginID="142960"
 pluginName="Directory listing at [/admin] endpoint" pluginFamily="Web Servers">
<description>Browsing /admin shows every file.</description><solution>Turn it off.</solution>
<risk_factor>High</risk_factor><cvss3_base_score>7.5</cvss3_base_score>
<cve>CVE-2026-10001</cve></ReportItem>
<ReportItem port="22" svc_name="ssh" protocol="tcp" severity="2" pluginID="70658"
 pluginName="SSH Server CBC Mode Ciphers Enabled" pluginFamily="Misc.">
<description>CBC ciphers.</description><solution>Disable them.</solution>
<risk_factor>Medium</risk_factor></ReportItem>
</ReportHost></Report></NessusClientData_v2>
"""

# Steps the README leaves to the reader, run before the block whose first line starts so.
GIVEN = {
    # The FedRAMP section is a cloud provider's: one organization with one FedRAMP system
    # named `cloud` (so --org and --system may be left out), which the README does not create.
    # It runs in a data folder of its own.
    f"{PROMPT} fedramp deadlines": [
        ["org", "create", "cloudco", "--name", "Cloud Co"],
        ["system", "create", "cloud", "--name", "Cloud", "--framework", "fedramp-moderate"]],
    # `snapshot compare 3 4` compares the month's snapshot (4, taken by `review finish`)
    # with an earlier one: three snapshots taken before the month's review.
    f"{PROMPT} check --org acme": [["snapshot", "take", "--org", "acme", "--system",
                                    "enclave"]] * 3,
}


def readme_blocks() -> list[list[str]]:
    """The README's shell blocks, each a list of logical lines (continuations joined)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = []
    for body in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", "", body)
        lines = [line.strip() for line in joined.splitlines() if line.strip()]
        blocks.append([line for line in lines if line.split("#")[0].strip() not in NOT_RUN])
    return [block for block in blocks if block]


def _strip_comment(line: str) -> str:
    return re.sub(r"\s+#\s.*$", "", line)


def expand(line: str) -> list[str]:
    """One README line as the commands it stands for (see the module's rules)."""
    line = _strip_comment(line)
    if not line.startswith(PROMPT):
        return [line]
    words = shlex.split(line[len(PROMPT):])
    if "..." in words:  # a synopsis: each subcommand named has its help
        head = words[:words.index("...")]
        return [_command(head[:-1] + [name, "--help"]) for name in head[-1].split("|")]
    if "|" in words:  # `user list | user unlock dana`: alternatives, each run
        parts = [list(group) for is_bar, group in itertools.groupby(words, lambda w: w == "|")
                 if not is_bar]
        first = parts[0]
        prefix = first[:1] if first and first[0] == "fedramp" else []
        return [cmd for part in parts for cmd in
                _optionals((part if part[:len(prefix)] == prefix else prefix + part))]
    return _optionals(words)


def _optionals(words: list[str]) -> list[str]:
    """Without the optional parts, then with all of them; each alternative of a word."""
    plain = [w for w in words if not (w.startswith("[") or w.endswith("]"))]
    full = [w.strip("[]") for w in words]
    variants = [plain] + ([full] if full != plain else [])
    if any(w.strip("[]") in WITH_ONLY for w in words if w.startswith("[")):
        variants = [full]
    commands = []
    for variant in variants:
        alternatives = [w.split("|") if "|" in w and not w.startswith("http") else [w]
                        for w in variant]
        commands += [_command(list(choice)) for choice in itertools.product(*alternatives)]
    return commands


def _command(words: list[str]) -> str:
    return " ".join(["openpoam", *(shlex.quote(w) for w in words)])


def _files(folder) -> None:
    """What a user has at hand before following the README."""
    fixtures = TESTS / "formats"
    for name in ("scan-2026-11.nessus", "scan.nessus"):
        (folder / name).write_text(SCAN, encoding="utf-8")
    shutil.copy(fixtures / "kev" / "known_exploited_vulnerabilities.json", folder)
    (folder / "vpn-config.pdf").write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    (folder / "assessment.json").write_text(json.dumps(ASSESSMENT))
    (folder / "costs.json").write_text(json.dumps({"3.1.3": 1000}))
    (folder / "vuln.json").write_text(json.dumps(VULN))
    (folder / "worm").mkdir()  # the daily checkpoints' folder (write-once storage in the README)


def _script(block: list[str], port: int) -> str:
    lines = ["set -euo pipefail -x", f'openpoam() {{ "{entry_point()}" "$@"; }}']
    for line in block:
        line = line.replace("https://...", "https://example.gov/packages/cloud")
        line = line.replace("/mnt/worm/openpoam", "worm")  # a folder of the working folder
        line = line.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
        line = re.sub(r"\bFILE\b", "report-out.json", line)
        if line.startswith(("TOKEN=$(", "JOB=$(curl ", "curl ")):
            lines.append(line.replace(PROMPT, "openpoam").replace("curl ", "curl -fsS "))
        elif re.search(r"#.*\bexit 1\b", line):  # a gate: 1 is one of its documented answers
            lines += [f"{cmd} || test $? -eq 1" for cmd in expand(line)]
        else:
            lines += expand(line)
    return "\n".join(lines) + "\n"


def _first_cr26_item(env, folder) -> str:
    listed = run(["item", "list", "--json"], env, folder)
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)["items"][0]["poam_id"]


def test_every_readme_command_runs_in_order(fresh_env, new_env, tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    _files(folder)
    server = Server(["serve"], fresh_env, cwd=folder)
    try:
        for block in readme_blocks():
            cloud = any("--system cloud" in line for line in block)
            env = new_env() if cloud else fresh_env
            for args in next((steps for start, steps in GIVEN.items()
                              if block[0].startswith(start)), []):
                given = run(args, env, folder)
                assert given.returncode == 0, given.stderr
            if cloud:
                _cloud_block(block, env, folder, server.port)
            else:
                _run_block(block, env, folder, server.port)
        assert server.process.poll() is None, "the server ended during the README"
    finally:
        server.stop()
    for written in ("poam.csv", "poam.json", "poam.xlsx", "report.pdf", "2026-11-poam.xlsx"):
        assert (folder / written).stat().st_size > 0, written


def _run_block(block, env, folder, port) -> None:
    script = _script(block, port)
    done = subprocess.run(["bash", "-c", script], env=env, cwd=folder, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, (
        f"README block starting {block[0]!r} failed (exit {done.returncode}):\n"
        f"{done.stderr[-3000:]}")
    assert "Traceback" not in done.stderr


def _cloud_block(block, env, folder, port):
    """The FedRAMP block: its first lines set the system up and import into it; the item
    it then evaluates is the first one that import made (POAM-2026-0001 in a fresh folder)."""
    cut = next(i for i, line in enumerate(block) if "POAM-2026-0001" in line)
    _run_block(block[:cut], env, folder, port)
    first = _first_cr26_item(env, folder)
    _run_block([line.replace("POAM-2026-0001", first) for line in block[cut:]], env, folder,
               port)


def test_readme_rules_expand_as_documented():
    assert expand(f"{PROMPT} item list --org acme [--json]") == [
        "openpoam item list --org acme", "openpoam item list --org acme --json"]
    assert expand(f"{PROMPT} user list | user unlock dana") == [
        "openpoam user list", "openpoam user unlock dana"]
    assert expand(f"{PROMPT} fedramp overdue | accepted") == [
        "openpoam fedramp overdue", "openpoam fedramp accepted"]
    assert expand(f"{PROMPT} fedramp track|plan ...") == [
        "openpoam fedramp track --help", "openpoam fedramp plan --help"]
    assert expand(f"{PROMPT} fedramp report vdt|avi -o FILE  # why") == [
        "openpoam fedramp report vdt -o FILE", "openpoam fedramp report avi -o FILE"]


def test_start_serves_the_demo(fresh_env, tmp_path):
    """`./scripts/start` is `openpoam start`: set up, demo, admin password, serve."""
    server = Server(["start"], fresh_env, cwd=tmp_path)
    try:
        status, body = server.get("/login/")
        assert status == 200 and b"<form" in body
        status, body = server.get("/api/v1/openapi.json")
        assert status == 200 and json.loads(body)["info"]
    finally:
        server.stop()
    log = server.log.read_text()
    assert "Traceback" not in log
    assert "password" in log.lower()
