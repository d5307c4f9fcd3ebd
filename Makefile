# `make demo` and `make test` do all set-up: a virtual environment in .venv with a CPU build of torch.
# GPU users choose their build: `make demo TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"`.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: demo results calibration test lint bench clean-venv

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The main job: the default method (JUMPS + fusion) and the baselines on the protocol's test-bench, on
# exact inputs and on a simulated detector's output with and without confident failures, with one
# example window drawn; the same numbers as the README's table. About 7 minutes on a 2-core CPU (the
# paper's JUMPS row, completion and ood-test: `make results`).
DEMO_ROWS = 'evaluate.rows=["JUMPS + fusion",ridge,ridge+savgol,ridge+gaussian,ridge+one-euro,continuity+ridge+savgol,masked-conv-ae]' \
	'evaluate.tasks=[upsampling,hpe,hpe-confident]'
demo: $(VENV)/.installed
	$(BIN)/jumps evaluate --overwrite --out demo/evaluation.json --table demo/table.md --plot demo/pckh-upsampling.png \
		--render demo/example.png $(DEMO_ROWS)

# The README's results: every row, ablations included, on both evaluation sets: test-bench (about an
# hour on a 2-core CPU) and the out-of-distribution ood-test (about 20 minutes).
results: $(VENV)/.installed
	$(BIN)/jumps evaluate --overwrite --out docs/results/evaluation.json --table docs/results/table.md \
		--plot docs/results/pckh-upsampling.png --render docs/results/example.png
	$(BIN)/jumps evaluate --overwrite data.split=ood-test --out docs/results/ood-test/evaluation.json \
		--table docs/results/ood-test/table.md --plot docs/results/ood-test/pckh-upsampling.png
	$(BIN)/python -m jumps_pl.evaluation.report test-bench=docs/results/evaluation.json \
		ood-test=docs/results/ood-test/evaluation.json > docs/results/headline.md

test: $(VENV)/.installed
	WANDB_MODE=offline $(BIN)/python -m pytest -q

lint: $(VENV)/.installed
	$(BIN)/ruff check jumps_pl tests benchmarks experiments data
	$(BIN)/lint-imports

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_infer.py
	$(BIN)/python benchmarks/bench_upsample.py
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_streaming.py

# Fit the per-joint uncertainty of every evaluated method on the validation split and check it on
# test-bench (the shipped jumps_pl/pretrained/calibration.yaml and the README's calibration figures).
calibration: $(VENV)/.installed
	$(BIN)/jumps calibrate --overwrite --out jumps_pl/pretrained/calibration.yaml --windows 128 --check test-bench \
		--methods 'JUMPS + fusion,JUMPS,ridge,ridge+savgol,ridge+gaussian,ridge+one-euro,continuity+ridge+savgol,masked-conv-ae' \
		--report docs/results/calibration --plot docs/results/calibration.png

clean-venv:
	rm -rf $(VENV)
