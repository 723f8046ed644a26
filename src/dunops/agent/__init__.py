"""The chat agent: reads records on demand and proposes changes through the workflow; never approves or applies."""
