"""File formats: one sub-package per format, all listed in ``registry``."""
