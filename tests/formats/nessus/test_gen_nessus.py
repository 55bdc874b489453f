"""The benchmark generator writes files the importer reads, deterministically."""

import importlib.util
import sys

from openpoam.domain.findings import Finding, Target
from openpoam.formats.nessus import PLUGINS
from tests.paths import REPO


def generator():
    spec = importlib.util.spec_from_file_location("gen_nessus", REPO / "bench" / "gen_nessus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def identities(path):
    with path.open("rb") as stream:
        recs = list(PLUGINS[0].parse(stream, source=path.name))
    return ({f.identity for f in recs if isinstance(f, Finding)},
            {t.asset.key for t in recs if isinstance(t, Target)})


def test_it_writes_a_month_and_a_next_month_of_the_same_scope(tmp_path):
    first, second = tmp_path / "m1.nessus", tmp_path / "m2.nessus"
    args = ["--hosts", "40", "--findings-per-host", "50", "--seed", "5"]
    generator().main([*args, "--out", str(first), "--next-month", str(second)])
    month1, hosts1 = identities(first)
    month2, hosts2 = identities(second)
    assert len(month1) == 2000 and hosts1 == hosts2 and len(hosts1) == 40
    gone, new = len(month1 - month2) / len(month1), len(month2 - month1) / len(month1)
    assert 0.03 < gone < 0.07 and 0.03 < new < 0.07
    assert len({weakness for _, weakness, *_ in month1}) > 300  # several hundred plugins


def test_it_writes_the_same_bytes_for_the_same_seed(tmp_path):
    gen = generator()
    for name in ("a", "b"):
        gen.main(["--hosts", "5", "--findings-per-host", "20", "--seed", "9",
                  "--out", str(tmp_path / f"{name}.nessus")])
    assert (tmp_path / "a.nessus").read_bytes() == (tmp_path / "b.nessus").read_bytes()
