#!/usr/bin/env bash
# Checks that an OpenAPI spec is a contract clients in other languages can be
# generated from: it validates, it lints clean, and the Python and TypeScript
# clients generated from it build and keep the types in contract.py and
# contract.ts. `make check-spec` runs it once the tools are installed.
#
# Usage: check-spec.sh SPEC GENERATOR_CONFIG VENV_BIN
#
# Quiet on success: one line. A failing step prints its whole output and stops,
# leaving what it generated in spec-check/.spec-build/ to look at.
set -euo pipefail

spec=$(realpath "$1")
generator_config=$(realpath "$2")
venv_bin=$(realpath "$3")
here=$(cd "$(dirname "$0")" && pwd)
build="$here/.spec-build"
node_bin="$here/node_modules/.bin"

run_step() {
	local name=$1
	shift
	if ! "$@" >"$build/step.log" 2>&1; then
		echo "check-spec: $name failed on $spec:" >&2
		cat "$build/step.log" >&2
		exit 1
	fi
}

rm -rf "$build"
mkdir -p "$build"

run_step "openapi-spec-validator" "$venv_bin/openapi-spec-validator" "$spec"

# The notice that Node 20 support is ending goes to the log, not the terminal.
run_step "redocly lint" env REDOCLY_SUPPRESS_NOTIFICATIONS=true \
	"$node_bin/redocly" lint --config "$here/redocly.yaml" --lint-config error \
	"$spec"

# The generator's formatting hooks call ruff, so the venv's bin goes first.
run_step "openapi-python-client (warnings fail)" env PATH="$venv_bin:$PATH" \
	"$venv_bin/openapi-python-client" generate --path "$spec" \
	--config "$generator_config" --meta none --fail-on-warning \
	--output-path "$build/python/konstantly_openapi"
run_step "Python contract (contract.py)" \
	"$venv_bin/python" "$here/contract.py" "$build/python"

run_step "openapi-generator typescript-fetch" \
	"$venv_bin/openapi-generator-cli" generate --input-spec "$spec" \
	--generator-name typescript-fetch --output "$build/typescript-fetch"
run_step "tsc --strict (generated client and contract.ts)" \
	"$node_bin/tsc" --strict --noEmit --project "$here/tsconfig.json"

rm -rf "$build"
echo "$1 checked: valid, lint-clean, Python and TypeScript clients build"
