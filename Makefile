# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STORE ?= .rawi
# Debian packages rawi uses when they are there: the FreeDict English-Arabic dictionary, which lets
# the claim checker read English claims against Arabic sources (core/dictionary.py).
RUNTIME_APT := dict-freedict-eng-ara
# Debian packages the tests need: headless Chromium and its driver for the chat's browser tests
# (tests/test_ui_app.py), also printing the Arabic PDFs of tests/test_pdf_and_word.py, and a font
# with Arabic glyphs for their screenshots and PDFs.
APT_PACKAGES := $(RUNTIME_APT) chromium chromium-driver fonts-dejavu-core

# Install the Debian packages given that are missing (as root with apt-get), else say which to install.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "note: install$$missing (Debian packages) for $(2)"; fi
endef

.PHONY: run test install install-dev system-deps runtime-deps ingest serve eval eval-archive bench clean load lock

run: install ingest serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Every version comes from requirements.lock: `install` takes rawi's own dependencies from it (the
# lock as constraints), `install-dev` all of it (the dev and bench extras too). The stamp files make
# reinstalling free when neither pyproject.toml nor the lock has changed.
LOCK := requirements.lock

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -c $(LOCK) -e .
	touch $@

# llama-cpp-python (the tests' real model server) compiles llama.cpp from source. Its default build
# targets the build machine's CPU (-march=native), and on a CPU with AMX and AVX-512 that build died
# with a general protection fault in libggml-cpu on its first request (2026-12-02); built for AVX2,
# which the x86-64 machines the tests run on all have, it serves. (pip keeps the wheel it built: a
# machine that cached a native build needs `pip cache remove llama_cpp_python` once.)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

$(VENV)/.installed-dev: pyproject.toml $(LOCK) | $(BIN)/python
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet --disable-pip-version-check -r $(LOCK)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(VENV)/.installed $@

install: $(VENV)/.installed runtime-deps

install-dev: $(VENV)/.installed-dev system-deps

system-deps:
	$(call apt_install,$(APT_PACKAGES),the full test suite; the browser tests skip without them)

runtime-deps:
	$(call apt_install,$(RUNTIME_APT),English claims checked word by word against Arabic sources)

# Ingest the sample corpus; a no-op when nothing changed (rawi ingest is idempotent).
ingest: install
	$(BIN)/rawi ingest data/corpus --store $(STORE)

# The offline evaluation: the development questions against the sample store, then XQuAD-ar
# (its contexts become a cached store under $(STORE)/eval-cache; the first run embeds them, ~3 min).
XQUAD ?= ../shared/benchmarks/xquad_ar/xquad.ar.json
EVAL_REPORTS ?= $(STORE)/eval-reports
RETRIEVERS ?= bm25,dense,hybrid

eval: ingest
	$(BIN)/rawi eval --questions eval/questions/dev.jsonl --store $(STORE) --retrievers $(RETRIEVERS) --report $(EVAL_REPORTS)/dev
	@if [ -f "$(XQUAD)" ]; then \
		$(BIN)/rawi eval --squad $(XQUAD) --store $(STORE) --retrievers $(RETRIEVERS) --report $(EVAL_REPORTS)/xquad-ar; \
	else echo "note: $(XQUAD) not found; skipping XQuAD-ar (set XQUAD=path/to/xquad.ar.json)"; fi

# The archive questions (eval/questions/archive.jsonl) against the SaudiNewsNet development archive
# (2,000 articles, kept in shared/ next to the repository, never in it). The archive is ingested once
# into its own store, $(ARCHIVE_STORE); the first ingest embeds every article (long on 2 cores),
# a rerun finds nothing changed and takes seconds.
ARCHIVE ?= ../shared/corpora/saudinewsnet_dev/articles
ARCHIVE_STORE ?= $(STORE)/archive

eval-archive: install
	@if [ -d "$(ARCHIVE)" ]; then \
		$(BIN)/rawi ingest $(ARCHIVE) --store $(ARCHIVE_STORE) --quiet && \
		$(BIN)/rawi eval --questions eval/questions/archive.jsonl --store $(ARCHIVE_STORE) --retrievers $(RETRIEVERS) --report $(EVAL_REPORTS)/archive; \
	else echo "note: $(ARCHIVE) not found; skipping the archive evaluation (set ARCHIVE=path/to/saudinewsnet_dev/articles)"; fi

# The benchmarks (bench/): each prints its figures and writes bench/results/<name>.json, then
# bench/RESULTS.md is rewritten from them. The first run builds the synthetic 1k/10k/100k-chunk
# stores under $(STORE)/bench (about 10 min for 100k on 2 cores); later runs reuse them.
BENCH_SIZES ?= 1000,10000,100000

bench: $(VENV)/.installed-dev
	XQUAD=$(XQUAD) $(BIN)/python -m bench.ingest_bench
	XQUAD=$(XQUAD) $(BIN)/python -m bench.query_bench --sizes $(BENCH_SIZES)
	XQUAD=$(XQUAD) $(BIN)/python -m bench.startup_bench --sizes $(BENCH_SIZES)
	$(BIN)/python -m bench.report

serve: install
	$(BIN)/rawi serve --store $(STORE)

test: install-dev
	$(BIN)/python -m pytest

# Load test: `rawi serve` on a free port of 127.0.0.1 over the sample corpus, 20 chat sessions for 5 minutes through
# the page's API and the OpenAI-compatible one
# (bench/load.py --help for options, e.g. LOAD_ARGS="--sessions 40 --seconds 120"); writes bench/results/load.json.
LOAD_ARGS ?=
load: install
	$(BIN)/python -m bench.load $(LOAD_ARGS)

# Regenerate requirements.lock after changing the dependencies in pyproject.toml: every version
# already in the lock is kept where it still fits (LOCK_ARGS=--upgrade moves all to the newest
# allowed). One lock for every platform and Python >= 3.10, made with uv in a venv of its own.
LOCK_TOOLS := .venv-lock
LOCK_ARGS ?=
lock:
	@[ -x $(LOCK_TOOLS)/bin/uv ] || { $(PYTHON) -m venv $(LOCK_TOOLS) && \
		$(LOCK_TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv>=0.5"; }
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --extra dev --extra bench --universal --python-version 3.10 \
		--no-python-downloads --quiet --custom-compile-command "make lock" $(LOCK_ARGS) -o $(LOCK)

clean:
	rm -rf $(VENV) $(STORE) .pytest_cache test-artifacts
