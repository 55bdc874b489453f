"""NIST SP 800-53 Rev 5 controls behind DISA Control Correlation Identifiers (CCIs).

STIG checklists (.ckl, .cklb) and XCCDF results name CCIs ("CCI-000366"), not the
SP 800-53 controls a POA&M item must list. DISA's CCI List (U_CCI_List.xml,
public.cyber.mil/stigs/cci) maps each CCI to SP 800-53 references per revision;
``data/cci_nist_800_53r5.json`` keeps the Revision 5 references only, each reduced
to its control or control enhancement ("AC-1 a. (1) a." -> "AC-1", "AC-17 (4) a."
-> "AC-17(4)"). A CCI with no Revision 5 reference (its control was withdrawn or
it was only ever mapped to an older revision) is absent and maps to nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

DATA_FILE = "cci_nist_800_53r5.json"

_CONTROL = re.compile(r"^([A-Z]{2})-(\d+)(?:\((\d+)\))?$")


@lru_cache(maxsize=1)
def mapping() -> dict[str, tuple[str, ...]]:
    """CCI -> SP 800-53 Rev 5 control ids, read once from the package data."""
    text = resources.files("openpoam.formats").joinpath("data", DATA_FILE).read_text(
        encoding="utf-8")
    return {cci: tuple(controls) for cci, controls in json.loads(text)["mappings"].items()}


def control_sort_key(control: str) -> tuple[str, int, int, str]:
    """Catalog order: AC-2 before AC-2(1) before AC-17; unknown shapes sort last."""
    match = _CONTROL.match(control)
    if not match:
        return ("~", 0, 0, control)
    family, number, enhancement = match.groups()
    return (family, int(number), int(enhancement or 0), "")


def sorted_controls(controls: Iterable[str]) -> tuple[str, ...]:
    """Unique control ids in catalog order."""
    return tuple(sorted(set(controls), key=control_sort_key))


def controls_for(ccis: Iterable[str]) -> tuple[str, ...]:
    """The SP 800-53 Rev 5 controls of these CCIs, unique, in catalog order.

    CCIs are expected in the ``CCI-000366`` spelling (stig_common.ccis() writes it);
    unknown CCIs, and CCIs without a Revision 5 mapping, add nothing.
    """
    table = mapping()
    found: set[str] = set()
    for cci in ccis:
        found.update(table.get((cci or "").strip().upper(), ()))
    return sorted_controls(found)
