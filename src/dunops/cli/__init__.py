"""Command-line edge: `dunops`."""
