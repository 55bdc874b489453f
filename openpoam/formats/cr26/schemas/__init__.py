"""FedRAMP CR26 JSON schemas, vendored unmodified (see README.md here)."""
