"""Agent metrics exported at ``/metrics``: chat turns by model backend and outcome, and the tokens they
used. The chat agent calls :func:`turn` once per answered turn."""

from __future__ import annotations

from prometheus_client import Counter

TURNS = Counter(
    "dunops_agent_turns", "Agent chat turns by model backend and outcome.", ["backend", "outcome"]
)
TOKENS = Counter(
    "dunops_agent_tokens", "Model tokens the agent used, by backend and direction.", ["backend", "direction"]
)


def turn(backend: str, outcome: str, *, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
    """Count one turn of the agent and the tokens its model reported."""
    TURNS.labels(backend=backend, outcome=outcome).inc()
    TOKENS.labels(backend=backend, direction="prompt").inc(max(0, prompt_tokens))
    TOKENS.labels(backend=backend, direction="completion").inc(max(0, completion_tokens))
