"""`item list --json` carries each item's history, read in one query for the whole list."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext


def _add(run, n: int) -> None:
    for _ in range(n):
        poam_id = run("item", "add", "--title", "No MFA", "--detected", "2026-10-01").out.strip()
        run("milestone", "add", poam_id, "Buy tokens", "--due", "2026-11-01")
        run("milestone", "reschedule", poam_id, "1", "--due", "2026-12-01", "--why", "backorder")


def _listed(run, *args: str) -> tuple[list[dict], int]:
    with CaptureQueriesContext(connection) as queries:
        result = run("item", "list", "--json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)["items"], len(queries)


def test_each_listed_item_carries_the_history_item_show_gives(enclave):
    _add(enclave, 2)
    items, _ = _listed(enclave)
    for item in items:
        shown = json.loads(enclave("item", "show", item["poam_id"], "--json").out)
        assert item["history"] and item["history"] == shown["history"]
        assert any(h["justification"] == "backorder" for h in item["history"])
        assert item["milestones"][0]["changes"][0]["justification"] == "backorder"


def test_the_history_costs_the_same_queries_for_two_items_or_six(enclave):
    _add(enclave, 2)
    _, for_two = _listed(enclave)
    _add(enclave, 4)
    items, for_six = _listed(enclave)
    assert len(items) == 6 and all(item["history"] for item in items)
    assert for_six == for_two


def test_a_filtered_list_carries_only_its_items_history(enclave):
    _add(enclave, 2)
    enclave("item", "set-status", "POAM-2026-0002", "in_progress")
    items, _ = _listed(enclave, "--status", "in_progress")
    assert [i["poam_id"] for i in items] == ["POAM-2026-0002"]
    assert {h["new"] for h in items[0]["history"]} >= {"in_progress"}

