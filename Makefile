# Set-up and checks for konstantly. Needs only Python 3.11+ and make;
# every other tool is installed into .venv by the first target that needs it.

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SPEC := openapi/konstantly.yaml
GENERATOR_CONFIG := openapi/generator-config.yaml
GENERATED := generated/konstantly_openapi

.PHONY: install demo test lint typecheck pytest regen check-generated check-spec clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $@

# The generator's formatting hook calls ruff, so the venv's bin goes first.
define generate
	PATH="$(BIN):$$PATH" $(BIN)/openapi-python-client generate \
		--path $(SPEC) --config $(GENERATOR_CONFIG) --meta none \
		--output-path $(1) --overwrite >/dev/null
endef

regen: $(INSTALLED)
	$(call generate,$(GENERATED))

check-generated: $(INSTALLED)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(call generate,$$tmp/konstantly_openapi) && \
	if diff -r $(GENERATED) $$tmp/konstantly_openapi; then \
		echo "generated/ matches $(SPEC)"; \
	else \
		echo "generated/ is out of date with $(SPEC): run 'make regen'" >&2; exit 1; \
	fi

# The spec checks also need Node 20.19+ with npm, and Java 17+ for the generator's
# jar. Their Node tools (spec-check/package-lock.json) are installed once;
# `npm ci` empties node_modules first, so the stamp inside it goes too.
SPEC_CHECK := spec-check
SPEC_TOOLS := $(SPEC_CHECK)/node_modules/.installed

$(SPEC_TOOLS): $(SPEC_CHECK)/package.json $(SPEC_CHECK)/package-lock.json
	@cd $(SPEC_CHECK) && out=$$(npm ci --ignore-scripts --no-audit --no-fund 2>&1) \
		|| { printf '%s\n' "$$out" >&2; exit 1; }
	@touch $@

# Validate, lint and generate Python and TypeScript clients from the spec:
# see openapi/README.md.
check-spec: $(INSTALLED) $(SPEC_TOOLS)
	@$(SPEC_CHECK)/check-spec.sh $(SPEC) $(GENERATOR_CONFIG) $(BIN)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

pytest: $(INSTALLED)
	$(BIN)/pytest

test: lint typecheck check-generated check-spec pytest

demo: $(INSTALLED)
	$(BIN)/python scripts/demo.py

# Times and memory against clients written by hand, each scenario in a process
# of its own; prints a table and writes benchmarks/results.json. Not part of
# `make test`: the figures depend on the machine (see benchmarks/README.md).
.PHONY: bench
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
