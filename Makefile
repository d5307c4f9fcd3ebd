# `make demo` and `make test` do all set-up: a virtual environment in .venv with a CPU build of torch.
# GPU users choose their build: `make demo TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"`.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean-venv

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/jumps data-stats

test: $(VENV)/.installed
	WANDB_MODE=offline $(BIN)/python -m pytest -q

lint: $(VENV)/.installed
	$(BIN)/ruff check jumps_pl tests benchmarks

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_data.py

clean-venv:
	rm -rf $(VENV)
