# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test lint clean lock

# Every install is hash-checked against a lock (pip-compile --generate-hashes, `make lock`); the
# build backend (setuptools) comes from the lock too, since the package builds without isolation.
# torch is pinned to the CPU wheel's hash, so no install can ever resolve a CUDA build.
$(VENV)/.core: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes --no-deps -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
	$(PY) -m pip check --disable-pip-version-check >/dev/null
	touch $@

$(VENV)/.test: $(VENV)/.core requirements-test.lock
	$(PIP) --require-hashes --no-deps -r requirements-test.lock
	$(PY) -m pip check --disable-pip-version-check >/dev/null
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

## lock: regenerate both hash-pinned locks after a deliberate change of dependencies (needs PyPI)
lock:
	$(PYTHON) -m venv /tmp/trillion-lock-tools
	/tmp/trillion-lock-tools/bin/pip install --quiet pip-tools==7.6.2
	/tmp/trillion-lock-tools/bin/pip-compile -q --generate-hashes --allow-unsafe --all-build-deps --strip-extras \
		-o requirements.lock pyproject.toml
	/tmp/trillion-lock-tools/bin/pip-compile -q --generate-hashes --allow-unsafe --all-build-deps --strip-extras \
		--extra test --extra nvml -o requirements-test.lock pyproject.toml

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
