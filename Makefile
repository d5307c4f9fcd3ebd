# `make demo` and `make test` do all set-up: a virtual environment in .venv with a CPU build of torch.
# GPU users choose their build: `make demo TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"`.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: demo evaluate results calibration test lint bench data sample clean-venv

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev,detect,live]'
	touch $@

# The main job, on the sample the repository ships (data/sample/, no corpus needed): the default method
# on ten seconds of a detector's output, written as 21 joints (demo/walk.npz), with a picture
# (demo/walk.png) and a video (demo/walk.mp4) of input against output. It prints the frame rate used and
# what was repaired.
demo: $(VENV)/.installed
	$(BIN)/jumps upsample data/sample/walk-detections.json --fps 30 --out demo/walk.npz --overwrite --quiet
	$(BIN)/jumps render demo/walk.npz --out demo/walk.png --repairs --overwrite
	$(BIN)/jumps render demo/walk.npz --out demo/walk.mp4 --repairs --width 640 --overwrite

# The default method and the baselines on the protocol's test-bench (needs the corpus: `make data`), on
# exact inputs and on a simulated detector's output with and without confident failures, with one example
# window drawn. The paper's JUMPS row, completion and ood-test: `make results`.
EVALUATE_ROWS = 'evaluate.rows=["JUMPS + fusion",ridge,ridge+savgol,ridge+gaussian,ridge+one-euro,continuity+ridge+savgol,masked-conv-ae]' \
	'evaluate.tasks=[upsampling,hpe,hpe-confident]'
evaluate: $(VENV)/.installed
	$(BIN)/jumps evaluate --overwrite --out evaluation/evaluation.json --table evaluation/table.md \
		--plot evaluation/pckh-upsampling.png --render evaluation/example.png $(EVALUATE_ROWS)

# The corpus, when ../shared is not beside the clone: the public source at the commit pinned in
# data/manifest.json, cut to the clips the project uses, into data/bandai-namco-motion (git-ignored).
data: $(VENV)/.installed
	$(BIN)/python data/fetch.py

# The shipped sample, made anew from the corpus (data/make_sample.py).
sample: $(VENV)/.installed
	$(BIN)/python data/make_sample.py

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
	WANDB_MODE=offline $(BIN)/python -m pytest -q -rs

lint: $(VENV)/.installed
	$(BIN)/ruff check jumps_pl tests benchmarks experiments data
	$(BIN)/lint-imports

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_infer.py
	$(BIN)/python benchmarks/bench_upsample.py
	$(BIN)/python benchmarks/bench_memory.py
	$(BIN)/python benchmarks/bench_streaming.py
	$(BIN)/python benchmarks/bench_live.py

# Fit the per-joint uncertainty of every evaluated method on the validation split and check it on
# test-bench (the shipped jumps_pl/pretrained/calibration.yaml and the README's calibration figures).
calibration: $(VENV)/.installed
	$(BIN)/jumps calibrate --overwrite --out jumps_pl/pretrained/calibration.yaml --windows 128 --check test-bench \
		--methods 'JUMPS + fusion,JUMPS,ridge,ridge+savgol,ridge+gaussian,ridge+one-euro,continuity+ridge+savgol,masked-conv-ae,masked-conv-ae (real)' \
		--report docs/results/calibration --plot docs/results/calibration.png

clean-venv:
	rm -rf $(VENV)
