# entra-archive — developer commands. `make help` lists them.

SHELL := /bin/bash
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.installed

.PHONY: help build release test unit lint infra-lint fmt demo bench package venv clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

build: ## Build entra-archive and graph-sim (debug)
	$(CARGO) build --workspace --bins

release: ## Build optimised binaries
	$(CARGO) build --workspace --bins --release

# The Python tools the tests use (DuckDB, pyarrow, pyspark, polars, pandas, moto, sqlglot,
# shellcheck, the AWS CLI, and the template linters), in a venv inside the
# repo. The current DuckDB release goes beside the venv's (which is pinned
# for its offline S3 extension), in $(VENV)/duckdb2: PYTHONPATH picks it.
REQUIREMENTS := tests/python/requirements.txt queries/requirements.txt infra/entra/requirements.txt
DUCKDB_CURRENT := tests/python/duckdb-current.txt
$(VENV_STAMP): $(REQUIREMENTS) $(DUCKDB_CURRENT)
	$(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check $(addprefix -r ,$(REQUIREMENTS))
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check --no-warn-conflicts --upgrade --target $(VENV)/duckdb2 -r $(DUCKDB_CURRENT)
	touch $@

venv: $(VENV_STAMP) ## Create the Python venv with DuckDB, pyarrow and moto

# Packaging tools (cargo-lambda with zig for the arm64 cross build).
TOOLS_STAMP := $(VENV)/.tools
$(TOOLS_STAMP): tests/python/tools.txt $(VENV_STAMP)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r tests/python/tools.txt
	touch $@

LAMBDA_ZIP := target/lambda/entra-archive/bootstrap.zip

package: $(TOOLS_STAMP) ## Build the arm64 Lambda zip (provided.al2023): target/lambda/entra-archive/bootstrap.zip
	rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) lambda build --release --arm64 --bin entra-archive --output-format zip
	@ls -l $(LAMBDA_ZIP) | awk '{printf "%s: %.1f MiB\n", $$NF, $$5/1048576}'

test: $(VENV_STAMP) ## Run every test: unit, end-to-end (graph-sim, moto, Lambda runtime API), DuckDB, queries, Entra script, fault injection
	ENTRA_ARCHIVE_PYTHON=$(CURDIR)/$(VENV_PY) $(CARGO) test --workspace
	$(VENV_PY) tests/python/check_athena.py
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" infra/entra/test-register-app.sh
	@cat target/tmp/fault-injection-report.txt

unit: ## Unit tests only (no servers, no Python)
	$(CARGO) test --workspace --lib

lint: $(VENV_STAMP) ## rustfmt, clippy (warnings are errors), the module graph (no cycles), shellcheck
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(PYTHON) scripts/module-graph.py
	$(VENV)/bin/shellcheck infra/*.sh infra/entra/*.sh scripts/*.sh .ci/run

# Builds the binary as the tests build it (dev-dependency features unified),
# so a following `make test` compiles nothing again.
infra-lint: $(VENV_STAMP) ## Lint infra/template.yaml: cfn-lint, sam validate --lint, checkov, Glue tables vs the code
	$(CARGO) test --workspace --no-run
	PYTHON=$(VENV_PY) ENTRA_ARCHIVE_BIN=target/debug/entra-archive infra/lint.sh

fmt: ## Format the code
	$(CARGO) fmt --all

demo: $(VENV_STAMP) ## Export from graph-sim on loopback into ./archive, then query it
	$(CARGO) build --workspace --bins
	PYTHON=$(VENV_PY) scripts/demo.sh

bench: $(VENV_STAMP) ## Benchmarks (release build): conversion vs DuckDB, import in order vs shuffled, export memory, speed at Graph's throttle bound, requests vs the minimum for three tenant shapes, compaction (+ upgrade with OLD_BIN=<previous release's binary>); report in target/bench-report.md
	$(CARGO) build --workspace --bins --release
	@{ echo "# entra-archive benchmarks, $$(date -u +%FT%TZ), $$(nproc) CPUs, $$(uname -m)"; \
	  echo; echo "## Conversion: import vs DuckDB"; echo; \
	  $(VENV_PY) bench/convert.py --records 100000 1000000 --rounds 3 --python $(VENV_PY); \
	  echo; echo "## Import: records in order vs shuffled"; echo; \
	  $(VENV_PY) bench/import_order.py --records 300000 --hours 48 744 --rounds 3; \
	  echo; echo "## Export through graph-sim (no throttling): memory"; echo; \
	  $(VENV_PY) bench/export.py --records 100000 1000000 --hours 48; \
	  echo; echo "## End to end at Graph's throttle bound (5 requests / 10 s)"; echo; \
	  $(VENV_PY) bench/throttle.py --records 60000 --latency-ms 300 1500; \
	  echo; echo "## Requests against the minimum: three tenant shapes, a 30-day first run and an hourly run"; echo; \
	  $(VENV_PY) bench/requests.py --real --latency-ms 300; \
	  echo; echo "## Compaction: files, bytes and DuckDB query times before and after"; echo; \
	  $(VENV_PY) bench/compact.py --python $(VENV_PY); \
	  if [ -n "$(OLD_BIN)" ]; then \
	    echo; echo "## Upgrade of an archive the previous release wrote (OLD_BIN=$(OLD_BIN))"; echo; \
	    $(VENV_PY) bench/upgrade.py --old-bin "$(OLD_BIN)" --records 100000 1000000; \
	  fi; \
	} | tee target/bench-report.md

clean: ## Remove build output and the venv (not ./archive)
	$(CARGO) clean
	rm -rf $(VENV)
