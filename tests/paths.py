"""Where the shared reference files and samples sit: ``../shared`` beside the clone."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "samples"
REFERENCE = SHARED / "reference"
