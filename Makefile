# The commands a person runs. `make run` and `make test` work on a fresh machine with Python >= 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup run test lint bench eval-agent clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.runtime

$(VENV)/.bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.dev $(VENV)/.runtime

setup: $(VENV)/.dev

run: $(VENV)/.runtime
	$(BIN)/dunops serve

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench evals
	$(BIN)/ruff format --check src tests bench evals
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: $(VENV)/.bench
	$(BIN)/python -m bench

# The agent's evaluation suite; BACKEND=openai|anthropic uses the DUNOPS_AGENT_* settings for the model.
BACKEND ?= offline
eval-agent: $(VENV)/.runtime
	$(BIN)/python -m evals.agent --backend $(BACKEND)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
