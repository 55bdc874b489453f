"""The OSCAL JSON reader's entry stores: what they keep in memory, and that they behave as
the dict and list they stand for."""

from __future__ import annotations

import tracemalloc
import uuid

from openpoam.formats.oscal.jsonread import Entries, EntryList

COUNT = 20_000


def _entry(n: int) -> dict:
    return {"uuid": str(uuid.uuid4()), "title": f"Asset {n}",
            "props": [{"name": "asset-id", "value": f"host-{n}"}]}


def _kept_bytes(store) -> int:
    """Python memory still held once COUNT entries made on the fly are added."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for n in range(COUNT):
            store.add(_entry(n))
        store.flush()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return after - before


def test_entries_by_uuid_keep_no_python_object_per_entry():
    # A POA&M has several entries an item (observation, risk, an inventory item per
    # asset); a dict of places by uuid held about 190 bytes for each (3.9 MB here).
    assert _kept_bytes(Entries()) < 400_000


def test_entries_in_file_order_keep_eight_bytes_per_entry():
    # A list of (offset, length) tuples held about 90 bytes for each (1.8 MB here).
    assert _kept_bytes(EntryList()) < 400_000


def test_entries_by_uuid_are_found_as_in_a_dict():
    entries = Entries()
    first, second = _entry(1), _entry(2)
    for entry in (first, second):
        entries.add(entry)
    replaced = {**first, "title": "Asset 1, again"}
    entries.add(replaced)  # a uuid met again: the later entry, in the first one's place
    assert len(entries) == 2
    assert list(entries) == [first["uuid"], second["uuid"]]
    assert list(entries.values()) == [replaced, second]
    assert entries[second["uuid"]] == second
    assert entries.get(first["uuid"]) == replaced
    assert first["uuid"] in entries
    assert "not-a-uuid" not in entries
    assert entries.get("not-a-uuid") is None
    try:
        entries["not-a-uuid"]
    except KeyError:
        pass
    else:
        raise AssertionError("a missing uuid must raise KeyError")


def test_entries_over_several_batches_are_all_found():
    entries = Entries()
    made = [_entry(n) for n in range(Entries.BATCH * 2 + 3)]
    for entry in made:
        entries.add(entry)
    assert len(entries) == len(made)
    assert entries[made[-1]["uuid"]] == made[-1]  # still waiting for its batch: stored
    assert list(entries.values()) == made


def test_entries_in_file_order_are_walked_in_order_again_and_again():
    entries = EntryList()
    made = [_entry(n) for n in range(5)]
    for entry in made:
        entries.add(entry)
    assert len(entries) == 5
    assert list(entries) == made
    assert list(entries) == made
