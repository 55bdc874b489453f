"""The JSON reports are read whole, so what they decode to is bounded before it is built."""

from __future__ import annotations

import io
import json
import tracemalloc

import pytest

from openpoam.formats import json_common
from openpoam.formats.base import FormatError
from openpoam.formats.sarif.parser import SarifImporter

HOSTILE = {
    "tiny objects": b"[" + b",".join([b'{"a":1}'] * 20_000) + b"]",
    "short strings": b"[" + b",".join([b'"ab"'] * 20_000) + b"]",
    "floats": b"[" + b",".join([b"1.5"] * 20_000) + b"]",
    "nested lists": b"[" + b",".join([b"[[]]"] * 20_000) + b"]",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_the_estimate_is_never_below_what_decoding_takes(name):
    data = HOSTILE[name]
    tracemalloc.start()
    decoded = json.loads(data)
    taken, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert decoded and json_common.decoded_size(data) >= taken - len(data)


def test_a_report_of_countless_tiny_values_is_refused_before_it_is_built(monkeypatch):
    monkeypatch.setattr(json_common, "MAX_JSON_DECODED", 1_000_000)
    body = b",".join([b'{"a":1}'] * 50_000)
    stream = io.BytesIO(b'{"version":"2.1.0","runs":[],"junk":[' + body + b"]}")
    with pytest.raises(FormatError, match="junk.sarif: the JSON would take more than"):
        list(SarifImporter().parse(stream, source="junk.sarif"))


def test_an_ordinary_report_is_read(monkeypatch):
    monkeypatch.setattr(json_common, "MAX_JSON_DECODED", 1_000_000)
    stream = io.BytesIO(b'{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},'
                        b'"results":[]}]}')
    assert json_common.load_json(stream, source="ok.sarif")["version"] == "2.1.0"
