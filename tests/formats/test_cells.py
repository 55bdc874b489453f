import io
import itertools
from datetime import date

import openpyxl
import pytest

from openpoam.formats.cells import excel_serial, from_excel_serial, guard, set_text, unguard, xml_text

HOSTILE = ["=cmd|' /C calc'!A0", "@SUM(1)", "+1+1", "-2+3", "\t=1", "\r=1", "=HYPERLINK(\"x\")"]


@pytest.mark.parametrize("text", HOSTILE)
def test_it_quotes_text_a_spreadsheet_would_evaluate(text):
    assert guard(text) == "'" + text


@pytest.mark.parametrize("text", ["plain", "", "a=b", "'quoted", "CVE-2026-1", " =1"])
def test_it_leaves_harmless_text_alone(text):
    assert guard(text) == text


def test_it_round_trips_every_short_string_exactly():
    for length in range(5):
        for letters in itertools.product("'=a-\t", repeat=length):
            text = "".join(letters)
            assert unguard(guard(text)) == text, repr(text)
            assert not guard(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_it_keeps_a_users_own_leading_quote():
    assert guard("'=x") == "''=x"
    assert unguard("''=x") == "'=x"
    assert unguard("'plain") == "'plain"


def test_it_drops_characters_xml_cannot_hold():
    assert xml_text("a\x00b\x1fc\td") == "abc\td"


def test_it_converts_excel_serial_dates():
    assert excel_serial(date(2014, 5, 5)) == 41764  # the template's example row
    assert from_excel_serial(41764) == date(2014, 5, 5)


def test_it_stores_hostile_text_as_a_string_cell_with_openpyxl():
    workbook = openpyxl.Workbook()
    set_text(workbook.active["A1"], HOSTILE[0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    cell = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active["A1"]
    assert cell.data_type == "s"
    assert cell.value == "'" + HOSTILE[0]
