# Two commands set everything up on a fresh machine with Python 3.11: `make run` and `make test`.
# Both are safe to run again: each step is skipped when its result is already there.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed

.PHONY: run test install model index lint format bench clean

run: install model index
	$(PY) -m bot run

test: install model
	$(PY) -m ruff check bot tests scripts
	$(PY) -m ruff format --check bot tests scripts
	$(PY) -m pytest -q

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 $(PYTHON)（Python 3.11）"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# torch first, in a pip call of its own: this exact version is the CPU build here.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

model: install
	$(PY) -m bot model build

index: install model
	$(PY) -m bot index build --if-needed

lint:
	$(PY) -m ruff check bot tests scripts

format:
	$(PY) -m ruff format bot tests scripts
	$(PY) -m ruff check --fix bot tests scripts

bench: install model index
	$(PY) scripts/bench_latency.py

clean:
	rm -rf $(VENV) models index/current index/v* index/.build-* index/embedding-cache.npz index/jieba.cache data
