# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE ?= .rawi
# Debian packages the tests need; none yet (the browser tests of the chat will add chromium).
APT_PACKAGES :=

.PHONY: run test install install-dev system-deps ingest serve eval bench clean

run: install ingest serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The stamp files make reinstalling free when pyproject.toml has not changed.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev system-deps

system-deps:
	@if [ -z "$(APT_PACKAGES)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	else echo "note: install $(APT_PACKAGES) (Debian packages) for the full test suite"; fi

# Ingest the sample corpus; a no-op when nothing changed (rawi ingest is idempotent).
ingest: install
	$(BIN)/rawi ingest data/corpus --store $(STORE)

serve: install
	$(BIN)/rawi serve --store $(STORE)

test: install-dev
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache test-artifacts
