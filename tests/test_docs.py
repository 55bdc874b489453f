"""Every environment variable the settings read is documented in the README."""

import re

from tests.paths import REPO

# Read by the settings but set by a tool, never by a person: pytest sets PYTEST_VERSION
# while it runs, so a test run gets a data folder of its own.
NOT_SETTINGS = {"PYTEST_VERSION"}


def test_it_documents_every_setting():
    settings = (REPO / "openpoam" / "settings.py").read_text()
    names = set(re.findall(r'(?:environ(?:\.get)?\(|environ\[|_env_bool\()\s*"([A-Z_]+)"', settings))
    readme = (REPO / "README.md").read_text()
    assert names, "no settings found: the pattern is wrong"
    assert sorted(n for n in names - NOT_SETTINGS if f"`{n}`" not in readme) == []
