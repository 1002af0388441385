# Two commands for a fresh clone: `make demo` and `make test`. Both create .venv on first use, install
# torch==2.13.0 first (the CPU wheel; a bare `torch` would pull a multi-GB CUDA build), then the package.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint mutate clean-venv

$(STAMP): setup.cfg pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: run 'make PYTHON=python3 ...'"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[all,test]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/monai-refine demo --overwrite $(ARGS)

test: $(STAMP)
	$(PY) -m ruff check monai_refine tests benchmarks
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check monai_refine tests benchmarks

# Mutation check of the core (benchmarks/mutation.py): plants hand-made one-line bugs one at a time and prints
# caught/total. Not part of `make test` (a few minutes on 2 cores). MUTATE_ARGS="-k dual" selects mutants by name.
mutate: $(STAMP)
	$(PY) benchmarks/mutation.py $(MUTATE_ARGS)

clean-venv:
	rm -rf $(VENV)
