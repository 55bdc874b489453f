import os
import tempfile

import pytest
from pathlib import Path

from tests.paths import SHARED_ABSENT, shared_present

# Tests never touch a user's real data folder.
os.environ.setdefault("OPENPOAM_DATA_DIR", tempfile.mkdtemp(prefix="openpoam-test-"))


def _sqlite_test_files() -> list[Path]:
    from django.conf import settings

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("sqlite3"):
        return []
    name = Path(database["TEST"]["NAME"])
    return [name.with_name(name.name + suffix) for suffix in ("", "-wal", "-shm")]


def _remove_sqlite_test_files() -> None:
    # Django removes the test database file but not SQLite's -wal and -shm beside it; left
    # behind, a later run that meets them (the same process id) fails with "disk I/O error".
    for path in _sqlite_test_files():
        path.unlink(missing_ok=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    _remove_sqlite_test_files()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _remove_sqlite_test_files()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "shared: reads the sample corpus or reference files in ../shared")


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Raised here, every such skip is reported on one line, wherever the test is.
    if item.get_closest_marker("shared") and not shared_present():
        pytest.skip(SHARED_ABSENT)
# ---- alice, bob and charlie: the three users of every permission test ------------------------
# alice owns organization A, bob is a viewer of A, charlie belongs to organization B only.
# (tests/tracker has its own fixtures of the same names, with the same meaning.)

import io  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import date  # noqa: E402

import pytest  # noqa: E402

PASSWORD = "a-long-test-password-42"


@pytest.fixture
def fast_hashing(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EVIDENCE_DIR = tmp_path / "evidence"
    return settings


def _user(django_user_model, name: str):
    return django_user_model.objects.create_user(name, email=f"{name}@example.com",
                                                 password=PASSWORD)


def administrator_client(django_user_model, password: str = "x" * 20):
    """A superuser "root" signed in with a confirmed second factor (as the admin site and
    the scheduled work page need): a Django test client holding that session."""
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = django_user_model.objects.create_superuser("root", "root@example.com", password)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id  # signed in with the second factor
    session.save()
    return client


@pytest.fixture
def alice(django_user_model, fast_hashing):
    return _user(django_user_model, "alice")


@pytest.fixture
def bob(django_user_model, fast_hashing):
    return _user(django_user_model, "bob")


@pytest.fixture
def charlie(django_user_model, fast_hashing):
    return _user(django_user_model, "charlie")


@dataclass
class Tenant:
    org: object
    system: object
    item: object
    evidence: object


@pytest.fixture
def org_a(alice, bob) -> Tenant:
    """Organization A ("org-a"): alice owner, bob viewer; one system with an item and a file."""
    from openpoam.tracker.services import Actor, setup
    from openpoam.tracker.services import evidence as evidence_services
    from openpoam.tracker.services import items as item_services
    from openpoam.tracker.services import milestones as milestone_services

    admin = Actor.command_line("admin")
    org = setup.create_organization(admin, "org-a", "Organization A")
    setup.add_member(admin, org, alice, "owner")
    setup.add_member(admin, org, bob, "viewer")
    system = setup.create_system(admin, org, slug="sys-a", name="System A", framework="cmmc-l2")
    item = item_services.create_item(admin, system, title="No MFA on VPN",
                                     detected_on=date(2026, 1, 5))
    evidence = evidence_services.add_file(admin, item, "plan.txt", io.BytesIO(b"plan\n"))
    milestone_services.add_milestone(admin, item, "Buy tokens", date(2026, 3, 1))
    return Tenant(org, system, item, evidence)


@pytest.fixture
def org_b(charlie) -> Tenant:
    """Organization B ("org-b"): charlie is its owner, and belongs nowhere else."""
    from openpoam.tracker.services import Actor, setup
    from openpoam.tracker.services import items as item_services

    admin = Actor.command_line("admin")
    org = setup.create_organization(admin, "org-b", "Organization B")
    setup.add_member(admin, org, charlie, "owner")
    system = setup.create_system(admin, org, slug="sys-b", name="System B", framework="rmf")
    item = item_services.create_item(admin, system, title="Old TLS", detected_on=date(2026, 2, 1))
    return Tenant(org, system, item, None)
