"""The chat agent: reads records on demand and proposes changes through the workflow.

It never approves or applies. :func:`turns.run` runs one turn of a conversation (:mod:`conversations`)
with a model backend (:mod:`backends`: offline planner, OpenAI-compatible, Anthropic) and the member's
own tools (:mod:`tools`).
"""

from dunops.agent import conversations, turns
from dunops.agent.backends import Backend, ModelUnavailable, backend_for
from dunops.agent.turns import Agent, Event

__all__ = ["Agent", "Backend", "Event", "ModelUnavailable", "backend_for", "conversations", "turns"]
