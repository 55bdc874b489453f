"""CMMC rules engine (filled in below)."""
