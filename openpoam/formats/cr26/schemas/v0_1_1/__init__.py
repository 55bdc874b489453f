"""FedRAMP CR26 report schemas 0.1.1 with common definitions 0.2.1 (data files)."""
