"""Sync: reading providers, drift detection and schedules."""
