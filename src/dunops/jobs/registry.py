"""The job registry: plain functions declared as jobs (or periodic jobs) by the package that owns them.

A job is registered once, at import time of its module, and bound to every queue built afterwards
(see :mod:`dunops.jobs.queue`). Job functions take a :class:`JobContext` first, then keyword
arguments that huey can pickle; they are looked up by their stable ``name``, never by import path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dunops.config import Settings
from dunops.storage.database import make_engine, make_session_factory, transaction

JobFunction = Callable[..., None]


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a running job knows: the settings of the queue that runs it, and its way to the database."""

    settings: Settings

    @contextmanager
    def sessions(self) -> Iterator[sessionmaker[Session]]:
        """Sessions on the job's database for the length of the job; its connections close after it."""
        engine = make_engine(self.settings.sqlalchemy_url, self.settings.database_options)
        try:
            yield make_session_factory(engine)
        finally:
            engine.dispose()

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction on the job's database: committed when the block ends, rolled back on error."""
        with self.sessions() as factory, transaction(factory) as session:
            yield session


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One registered job: its stable name, the function and its retry policy."""

    name: str
    function: JobFunction
    retries: int = 0
    retry_delay: int = 0
    schedule: Callable[[datetime], bool] | None = None


_JOBS: dict[str, JobSpec] = {}


def job(name: str, *, retries: int = 0, retry_delay: int = 0) -> Callable[[JobFunction], JobFunction]:
    """Register ``function(context, **kwargs)`` as the job ``name``; enqueue it with ``enqueue(...)``."""

    def register(function: JobFunction) -> JobFunction:
        _add(JobSpec(name, function, retries, retry_delay))
        return function

    return register


def periodic(
    name: str, schedule: Callable[[datetime], bool], *, retries: int = 0, retry_delay: int = 0
) -> Callable[[JobFunction], JobFunction]:
    """Register ``function(context)`` to run whenever ``schedule(now)`` is true (e.g. huey's ``crontab``)."""

    def register(function: JobFunction) -> JobFunction:
        _add(JobSpec(name, function, retries, retry_delay, schedule))
        return function

    return register


def _add(spec: JobSpec) -> None:
    existing = _JOBS.get(spec.name)
    if existing is not None and existing.function is not spec.function:
        raise ValueError(f"job {spec.name!r} is already registered")
    _JOBS[spec.name] = spec


def registered() -> dict[str, JobSpec]:
    """Every job registered so far, by name."""
    return dict(_JOBS)


def lookup(name: str) -> JobSpec:
    try:
        return _JOBS[name]
    except KeyError:
        raise LookupError(f"no job named {name!r} is registered") from None


def call(spec: JobSpec, context: JobContext, kwargs: dict[str, Any]) -> None:
    spec.function(context, **kwargs)
