"""Stored text is data: every command prints it literally, never as Rich markup and never
as terminal control codes."""

import json

import pytest

TITLE = "Directory listing at [/admin] endpoint [bold]x[/bold] [link=http://e.test]y"
HOSTILE = "Title\x1b[2J with an escape\x9b2J and \u202eright-to-left"


@pytest.fixture
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # one table row per line, so text stays whole


@pytest.fixture
def item(enclave, wide):
    added = enclave("item", "add", "--title", TITLE, "--detected", "2026-10-01",
                    "--set", f"planned_remediation=Fix [/admin] [red]now[/red]")
    assert added.code == 0, added.err
    return enclave


def test_it_lists_a_title_with_brackets_literally(item):
    listed = item("item", "list")
    assert listed.code == 0 and listed.err == ""
    assert TITLE in listed.out


def test_it_shows_an_item_with_brackets_literally(item):
    shown = item("item", "show", "POAM-2026-0001")
    assert shown.code == 0 and shown.err == ""
    assert TITLE in shown.out and "Fix [/admin] [red]now[/red]" in shown.out


def test_its_history_shows_brackets_literally(item):
    history = item("history", "POAM-2026-0001")
    assert history.code == 0 and history.err == ""
    assert TITLE in history.out


def test_names_with_brackets_print_in_every_listing(enclave, wide):
    assert enclave("person", "add", "Dana [/b] Ortiz").code == 0
    assert "Dana [/b] Ortiz" in enclave("person", "list").out
    assert enclave("system", "create", "lab", "--name", "Lab [/x]", "--framework",
                   "fedramp-low").code == 0
    assert "Lab [/x]" in enclave("system", "list").out
    assert "Lab [/x]" in enclave("item", "list", "--system", "lab").out


def test_terminal_escape_sequences_are_shown_not_obeyed(enclave, wide):
    assert enclave("item", "add", "--title", HOSTILE, "--detected", "2026-10-01").code == 0
    for args in (("item", "list"), ("item", "show", "POAM-2026-0001"),
                 ("history", "POAM-2026-0001")):
        out = enclave(*args).out
        assert not {"\x1b", "\x9b", "\u202e"} & set(out)
        assert "Title\\x1b[2J with an escape\\x9b2J and \\u202eright-to-left" in out
    raw = enclave("item", "list", "--json").out
    assert not {"\x1b", "\x9b", "\u202e"} & set(raw)
    assert json.loads(raw)["items"][0]["title"] == HOSTILE  # JSON keeps the exact text


def test_an_error_quoting_stored_text_stays_one_line(enclave):
    result = enclave("item", "show", "POAM-[/x]\nSECOND-LINE")
    assert result.code == 1 and len(result.err_lines) == 1 and "[/x]" in result.err
