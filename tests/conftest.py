import os
import tempfile

import pytest

from tests.paths import SHARED_ABSENT, shared_present

# Tests never touch a user's real data folder.
os.environ.setdefault("OPENPOAM_DATA_DIR", tempfile.mkdtemp(prefix="openpoam-test-"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "shared: reads the sample corpus or reference files in ../shared")


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Raised here, every such skip is reported on one line, wherever the test is.
    if item.get_closest_marker("shared") and not shared_present():
        pytest.skip(SHARED_ABSENT)
