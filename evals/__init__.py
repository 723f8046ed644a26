"""Evaluation suites run with ``make eval-agent`` (and, for the offline backend, by the test suite)."""
