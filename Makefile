# The two commands of the README. Both bootstrap .venv when it is missing or pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SEED := documents/notices/shenfuban-2007-129.txt

.PHONY: run test lint bench clean wheelhouse

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# The main job on the embedded defaults: read the seed notice, show its reviewed catalogue, ingest it into the
# embedded database, then run the stack (`banfa up`: local Prefect server, deployment, worker) until Ctrl-C.
run: $(STAMP)
	$(BIN)/banfa intake $(SEED)
	$(BIN)/banfa catalogue check
	$(BIN)/banfa catalogue show sfb2007-129
	$(BIN)/banfa init --dept maogong
	$(BIN)/banfa ingest --as admin sfb2007-129
	$(BIN)/banfa up

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/workflow.py
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/views.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/portal.py
	$(BIN)/python bench/scale.py  # PostgreSQL at BANFA_BENCH_DATABASE_URL or 127.0.0.1:5432; about 10 min

# Every wheel Banfa needs (Banfa's own and its runtime dependencies) in one folder, for a machine with no
# network: copy the folder over and `pip install --no-index --find-links wheelhouse banfa` (README, "Offline").
wheelhouse: $(STAMP)
	rm -rf wheelhouse
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --wheel-dir wheelhouse .
	@ls wheelhouse | wc -l | xargs echo "wheels in ./wheelhouse:"

clean:
	rm -rf $(VENV) var build *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis
