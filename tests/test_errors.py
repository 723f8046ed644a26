"""Problems and findings behave as read-only values: equal by their fields, usable in sets, bounded in
size, and unchanged through pickling (jobs) and copying."""

from __future__ import annotations

import copy
import pickle

import pytest

from dunops.dns.validation import Finding, Level
from dunops.errors import MAX_MESSAGE_CHARS, InvalidInput, Problem


def test_a_problem_is_a_value_compared_by_its_fields() -> None:
    problem = Problem("invalid A value '999.0.0.1'", "zone.db:5:7", "bind-record")
    same = Problem(message="invalid A value '999.0.0.1'", location="zone.db:5:7", code="bind-record")
    assert problem == same
    assert hash(problem) == hash(same)
    assert len({problem, same, Problem("other")}) == 2
    assert problem != Problem("invalid A value '999.0.0.1'", "zone.db:5:8", "bind-record")
    assert problem != ("invalid A value '999.0.0.1'", "zone.db:5:7", "bind-record")
    assert repr(problem) == (
        "Problem(message=\"invalid A value '999.0.0.1'\", location='zone.db:5:7', code='bind-record')"
    )
    assert str(problem) == "zone.db:5:7: invalid A value '999.0.0.1'"


def test_a_problem_cannot_be_changed_and_keeps_its_bounds_through_pickling() -> None:
    problem = Problem("x" * 10_000, "y" * 10_000)
    assert len(problem.message) == MAX_MESSAGE_CHARS
    assert problem.message.endswith("...")
    with pytest.raises(AttributeError, match="read-only"):
        problem.message = "changed"
    with pytest.raises(AttributeError, match="read-only"):
        del problem.code
    for copied in (pickle.loads(pickle.dumps(problem)), copy.deepcopy(problem), copy.copy(problem)):
        assert copied == problem
        assert copied.message == problem.message


def test_a_finding_is_a_value_and_becomes_a_problem() -> None:
    finding = Finding("cname-exclusive", Level.ERROR, "a CNAME cannot coexist with A", "z.db:1:1")
    assert finding == Finding("cname-exclusive", Level.ERROR, "a CNAME cannot coexist with A", "z.db:1:1")
    assert finding != Finding("cname-exclusive", Level.WARNING, "a CNAME cannot coexist with A", "z.db:1:1")
    assert pickle.loads(pickle.dumps(finding)) == finding
    assert str(finding) == "z.db:1:1: error: a CNAME cannot coexist with A [cname-exclusive]"
    assert finding.to_problem() == Problem("a CNAME cannot coexist with A", "z.db:1:1", "cname-exclusive")
    error = InvalidInput.collect([finding.to_problem()])
    assert error.problems == (finding.to_problem(),)
