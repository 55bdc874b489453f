"""Dates as people type them: ISO 8601 calendar dates (YYYY-MM-DD).

One parser, so that every interface gives the same message: text in another form is "not a
date in YYYY-MM-DD form"; text in that form that names no day ("2026-02-30") is "not a real
date", which tells the user what is actually wrong.
"""

from __future__ import annotations

import re
from datetime import date

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DateError(ValueError):
    pass


def parse_iso_date(text: str) -> date:
    """``text`` (already stripped) as a date; DateError says which of the two faults it has."""
    if not _ISO.match(text or ""):
        raise DateError(f"{text!r} is not a date in YYYY-MM-DD form")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DateError(f"{text!r} is not a real date") from None


def check_not_future(value: date, today: date, what: str) -> None:
    """A date that records something that already happened cannot be after today."""
    if value > today:
        raise DateError(f"{what} {value.isoformat()} is in the future (today is "
                        f"{today.isoformat()})")
