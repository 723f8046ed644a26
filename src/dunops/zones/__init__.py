"""Zones and their versions: import, records, export."""
