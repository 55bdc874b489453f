"""The one error family of the CMMC rules engine.

Everything bad about an input (unknown ID, a result that does not apply, a wrong
level/assessment-type pair) raises ``CmmcInputError`` or a subclass, with a
one-line message that names the offending value. It is a ``ValueError`` so
callers that only know ``ValueError`` still catch it.
"""

from __future__ import annotations


class CmmcInputError(ValueError):
    """Bad input to the CMMC engine; the message is one line and names the value."""


class UnknownRequirementError(CmmcInputError):
    """An ID that is not a requirement of the level being assessed."""

    def __init__(self, raw_id: str, level: int, hint: str = "") -> None:
        self.raw_id = raw_id
        self.level = level
        message = f"unknown CMMC Level {level} requirement ID {raw_id!r}"
        super().__init__(f"{message}: {hint}" if hint else message)


class InvalidResultError(CmmcInputError):
    """A result value that is not allowed for that requirement (e.g. partial on 3.1.1)."""
