# The venv is created on first use, so `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check lint typecheck bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/python -m bot

# Bytecode is compiled once up front and cached even where the environment turns that off
# (PYTHONDONTWRITEBYTECODE): every test worker and every bot process the tests start would
# compile the code again.
test: $(BIN)/.installed
	$(BIN)/python -m compileall -q bot handlers storage playbooks sandbox tests
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check bot handlers storage playbooks sandbox tests

# Settings in pyproject.toml ([tool.mypy]): migrations excluded, bot/domain and bot/blocks strict.
typecheck: $(BIN)/.installed
	$(BIN)/mypy bot handlers storage playbooks sandbox

check: lint typecheck test

clean:
	rm -rf $(VENV) *.egg-info
