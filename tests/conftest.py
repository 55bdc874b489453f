import os
import tempfile

# Tests never touch a user's real data folder.
os.environ.setdefault("OPENPOAM_DATA_DIR", tempfile.mkdtemp(prefix="openpoam-test-"))
