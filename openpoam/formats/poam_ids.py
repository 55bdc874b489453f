"""One rule for a POA&M file that lists a POAM ID twice, for every POA&M importer.

An item is matched to the system's items by its POAM ID, so a second row with the same
ID would silently overwrite the first. The first row is kept; each later one is skipped
with a warning naming both places (row or line), so the user can fix the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from openpoam.domain.poam import PoamItemData


def first_of_each_id(placed: Iterable[tuple[PoamItemData, str]], *, source: str,
                     warnings: list[str]) -> list[PoamItemData]:
    """The items, each POAM ID once (the first); ``placed`` pairs an item with where it
    is in the file ("line 7", "'Open POA&M Items' row 9")."""
    return list(each_id_once(placed, source=source, warnings=warnings))


def each_id_once(placed: Iterable[tuple[PoamItemData, str]], *, source: str,
                 warnings: list[str]) -> Iterator[PoamItemData]:
    """``first_of_each_id`` as the items come: for a file read as a stream."""
    first_place: dict[str, str] = {}
    for item, place in placed:
        poam_id = item.poam_id.strip()
        if poam_id and poam_id in first_place:
            warnings.append(f"{source}: {place} repeats POAM ID {poam_id!r} of "
                            f"{first_place[poam_id]}; the first was kept, this one skipped")
            continue
        if poam_id:
            first_place[poam_id] = place
        yield item
