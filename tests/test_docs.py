"""Every environment variable the settings read is documented in the README."""

import re

from tests.paths import REPO


def test_it_documents_every_setting():
    settings = (REPO / "openpoam" / "settings.py").read_text()
    names = set(re.findall(r'(?:environ(?:\.get)?\(|environ\[|_env_bool\()\s*"([A-Z_]+)"', settings))
    readme = (REPO / "README.md").read_text()
    assert names, "no settings found: the pattern is wrong"
    assert sorted(n for n in names if f"`{n}`" not in readme) == []
