"""The chat agent: reads records on demand and proposes changes through the workflow.

It never approves or applies.
"""
