"""Billing: plans and usage."""
