# Quickstart: `make repro` runs the pipeline on the embedded sample, `make test` runs the tests.
# Both create the virtual environment in .venv on first use (pinned by constraints.txt).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Stage commands in dvc.yaml call `python`: make it the environment's.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install repro lint test bench bench-store tune apply-best lock clean

install: $(BIN)/.installed

# uv fetches and unpacks the pinned wheels in parallel (PyTorch's CUDA libraries are gigabytes): on a
# 2-core machine with empty caches, 31-32 s against pip's 193-246 s (round 56, benchmarks/make-repro.md).
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[test]'
	touch $@

repro: install
	dvc repro

# Lint (ruff, configured in pyproject.toml) and check that dvc.yaml's code deps match the imports.
lint: install
	ruff check .
	ruff format --check .
	python -m ssv2.deps --check

test: install
	python -m pytest

bench: install
	python benchmarks/loader.py

# The clip store at SSv2's scale (codecs, materialisation, loader, extrapolation); needs the bench extra.
bench-store: install
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[test,bench]'
	# torchcodec loads the system's FFmpeg libraries (Debian's; root, as in CI)
	ldconfig -p | grep -q libavdevice || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libavdevice59; }
	python benchmarks/store.py

# Optuna search over train.lr, train.frames and model.depth (params.yaml's tune section), tracked in
# MLflow; rerunning resumes the study. Copies started elsewhere with a PostgreSQL storage join it.
tune: install
	dvc repro materialise
	python -m ssv2.tune

# Write the best params that `make tune` found into params.yaml: `make repro` then trains them.
apply-best: install
	python -m ssv2.tune apply

# Re-pin every dependency after changing pyproject.toml.
lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^pip==' > constraints.txt

clean:
	rm -rf $(VENV)
