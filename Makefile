# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint clean

$(VENV)/.core: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP) -c requirements.lock -e .
	touch $@

$(VENV)/.test: $(VENV)/.core
	$(PIP) -c requirements.lock -e '.[test]'
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
		|| echo "warning: could not install Debian's chromium; the browser test needs it"
	touch $@

## demo: install and run the main job on the embedded default model
demo: $(VENV)/.core
	$(VENV)/bin/trillion report qwen3-max --html report.html

## test: install the test extras, lint and type-check, run the whole suite
## (pytest's exit code 5, "no tests collected", fails the target like any other failure)
test: lint
	$(PY) -m pytest -q

lint: $(VENV)/.test
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
