"""Pure rules: no Django, no I/O, no clock. See README.md in this folder."""
