"""The domain package must stay free of Django and I/O frameworks."""

import ast
from pathlib import Path

import openpoam.domain

FORBIDDEN = ("django", "ninja", "openpoam.tracker", "openpoam.formats")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_it_imports_no_django_anywhere_in_domain():
    root = Path(openpoam.domain.__file__).parent
    offenders = [f"{path.relative_to(root)}: {name}"
                 for path in root.rglob("*.py")
                 for name in _imports(path)
                 if name.split(".")[0] in ("django", "ninja") or name.startswith(FORBIDDEN[2:])]
    assert offenders == []
