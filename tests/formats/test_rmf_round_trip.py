"""The RMF risk analysis and Army resource fields survive every POA&M format that carries
them: CSV (the rmf column), OSCAL JSON and XML (rmf-* props in the product's namespace)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from openpoam.formats import registry
from tests.formats.fedramp_xlsx.fixture import rich_document

RMF = {"rmf_raw_severity": "high", "likelihood": "very_high", "relevance_of_threat": "moderate",
       "threat_description": "Line one\nline two: =1+1", "mitigated_risk": "very_low",
       "cfo_audit": True, "personnel_funded_hours": Decimal("40.00"),
       "nonpersonnel_unfunded_amount": Decimal("1500.50"), "nonpersonnel_obstacle": "Funding"}


@pytest.mark.parametrize("key", ["csv", "oscal-json", "oscal-xml"])
def test_the_rmf_fields_come_back_exactly(key):
    document = rich_document()
    document.items[0].rmf = dict(RMF)
    buffer = io.BytesIO()
    formats = registry.default()
    formats.exporter(key).write(document, buffer)
    back = formats.importer(key).read(io.BytesIO(buffer.getvalue()), source=f"poam.{key}")
    by_id = {item.poam_id: item for item in back.items}
    assert by_id[document.items[0].poam_id].rmf == RMF
    assert by_id[document.items[1].poam_id].rmf == {}


def test_a_csv_rmf_cell_with_an_unknown_field_or_rating_is_refused_naming_it():
    from openpoam.formats.poam_csv.columns import CellError, decode

    with pytest.raises(CellError, match="'colour' is not an RMF field"):
        decode("rmf", '{"colour": "red"}')
    with pytest.raises(CellError, match="likelihood: 'Huge' is not a rating"):
        decode("rmf", '{"likelihood": "Huge"}')
    assert decode("rmf", '{"likelihood": "Very High"}') == {"likelihood": "very_high"}
