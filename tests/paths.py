"""Where the tests find their files.

Each format's own small test files sit beside its tests (``tests/formats/<fmt>/fixtures``) and
always run. The real sample corpus and the reference files sit in ``../shared`` beside the
clone; a fresh clone has no ``../shared``, so tests over it are marked ``shared`` and skip.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "samples"
REFERENCE = SHARED / "reference"
SHARED_ABSENT = "../shared is absent: the shared sample corpus tests are skipped"


def shared_present() -> bool:
    return SAMPLES.is_dir() and REFERENCE.is_dir()


def shared_files(folder: Path, pattern: str = "*") -> list[Path]:
    """The files of a ``../shared`` folder, sorted; with ``../shared`` absent, one stand-in.

    The stand-in keeps a parametrized test collected, so it skips with the plain reason
    instead of pytest's "got empty parameter set".
    """
    if not shared_present():
        return [folder / "absent"]
    return sorted(p for p in folder.glob(pattern) if p.is_file())
