"""The layers hold: import-linter's contracts (pyproject.toml, [tool.importlinter]) pass, and
no import of the product's own code hides inside a function to dodge a circle.

docs/architecture.md explains the layers and where new code goes. To see the same report by
hand: `lint-imports` in the checkout (with the checkout on PYTHONPATH).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "openpoam"

# Where an import of openpoam code may sit inside a function, and why (docs/architecture.md):
# - the command line: commands import what they use after Django is set up, and `openpoam
#   --help` stays fast (the formats load lxml and openpyxl); never one CLI module another.
# - AppConfig.ready(): Django's hook for code that needs the app registry.
# - migrations: RunPython functions read the code of their time.
# - admin_site.py: named in INSTALLED_APPS, so Django imports it before the models exist.
LAZY_ALLOWED = ("openpoam/cli/", "/migrations/", "openpoam/accounts/admin_site.py")


def _lint_imports() -> subprocess.CompletedProcess:
    code = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, "--config", str(ROOT / "pyproject.toml"),
                           "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_it_keeps_every_import_linter_contract():
    result = _lint_imports()
    report = result.stdout + result.stderr
    broken = [line for line in report.splitlines() if line.rstrip().endswith("BROKEN")]
    assert result.returncode == 0, ("broken contracts:\n" + "\n".join(broken) + "\n\n"
                                    + report[report.find("Broken contracts"):])


def test_the_contracts_name_the_layers_and_the_sibling_interfaces():
    """Deleting or loosening a contract is a change of architecture, not a fix: say so here."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}
    assert contracts["layers"]["layers"] == [
        "openpoam.cli | openpoam.web | openpoam.api",
        "(openpoam.jobs)",
        "openpoam.accounts",
        "openpoam.reviews",
        "openpoam.tracker",
        "openpoam.formats",
        "openpoam.domain",
    ]
    assert contracts["interfaces"]["type"] == "independence"
    assert set(contracts["interfaces"]["modules"]) == {"openpoam.cli", "openpoam.web",
                                                       "openpoam.api"}
    assert contracts["no-circles"]["type"] == "acyclic_siblings"
    assert not any(c.get("ignore_imports") for c in contracts.values())


def _function_imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("openpoam"):
                yield func.name, node.lineno, node.module
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("openpoam"):
                        yield func.name, node.lineno, alias.name


def test_no_import_of_openpoam_hides_inside_a_function():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        lazy = any(allowed in f"/{where}" for allowed in LAZY_ALLOWED)
        for function, line, module in _function_imports(path):
            if lazy and not module.startswith("openpoam.cli"):
                continue
            if path.name == "apps.py" and function == "ready":
                continue
            offenders.append(f"{where}:{line} {function}() imports {module}")
    assert offenders == [], "move these to the top of the module (break a circle by moving " \
                            "the shared part down):\n" + "\n".join(offenders)
