#!/usr/bin/env bash
# Lints infra/template.yaml (or the template given as $1) offline; exits non-zero on any finding.
#
#   1. cfn-lint            errors and warnings fail (informational hints do not)
#   2. sam validate --lint the SAM transform plus cfn-lint, as `sam deploy` sees it (INFRA_LINT_SAM=0 skips)
#   3. checkov             any failed check fails; suppressions live in the template, each with its reason.
#                          Also on two renderings (infra/render.py: conditions decided, Fn::If resolved),
#                          the defaults and Credential=federation, because checkov skips statements behind
#                          an Fn::If; cfn-lint needs none, it checks every combination of conditions itself
#   4. the Glue tables     match `entra-archive datasets --glue`, when ENTRA_ARCHIVE_BIN names a built binary
#
# The tools are installed from infra/requirements.txt on first use (and again when it changes) into
# two venvs under .venv/, made with $PYTHON (default .venv/bin/python, else python3): .venv/infra
# (cfn-lint, checkov) and .venv/infra-sam (aws-sam-cli). Their pins conflict, see requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPLATE=${1:-infra/template.yaml}
REQUIREMENTS=infra/requirements.txt
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
TOOLS=${INFRA_VENV:-.venv/infra}
SAM_TOOLS=${INFRA_SAM_VENV:-.venv/infra-sam}

export SAM_CLI_TELEMETRY=0 CKV_SKIP_PACKAGE_UPDATE_CHECK=true

# venv DIR REQUIREMENT... : (re)creates DIR with exactly these requirements unless it already has them.
venv() {
  local dir=$1; shift
  local want; want=$(printf '%s\n' "$@")
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.requirements" 2>/dev/null)" = "$want" ]; then
    return
  fi
  echo "== installing $* into $dir"
  "$PYTHON" -m venv --clear "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
  printf '%s\n' "$want" > "$dir/.requirements"
}

mapfile -t pins < <(grep -Ev '^[[:space:]]*(#|$)' "$REQUIREMENTS")
linters=() sam=()
for pin in "${pins[@]}"; do
  case $pin in aws-sam-cli*) sam+=("$pin") ;; *) linters+=("$pin") ;; esac
done
venv "$TOOLS" "${linters[@]}"
run_sam=${INFRA_LINT_SAM:-1}
[ "$run_sam" = 0 ] || venv "$SAM_TOOLS" "${sam[@]}"

status=0
step() { echo "== $*"; }

step "cfn-lint $TEMPLATE"
if "$TOOLS/bin/cfn-lint" --regions us-east-1 eu-west-1 us-gov-west-1 -- "$TEMPLATE"; then
  echo "cfn-lint: no errors or warnings"
else
  status=1
fi

if [ "$run_sam" != 0 ]; then
  step "sam validate --lint -t $TEMPLATE --region us-east-1"
  "$SAM_TOOLS/bin/sam" validate --lint -t "$TEMPLATE" --region us-east-1 || status=1
fi

step "checkov -f $TEMPLATE --framework cloudformation"
"$TOOLS/bin/checkov" -f "$TEMPLATE" --framework cloudformation --skip-download --compact --quiet || status=1

# The renderings: the defaults (Credential=secret), and federation with sample values.
rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
renderings=(
  "defaults"
  "federation Credential=federation TenantId=00000000-0000-4000-8000-000000000001 ClientId=00000000-0000-4000-8000-000000000002 FederationIssuer=https://00000000-0000-4000-8000-000000000003.tokens.sts.global.api.aws"
)
for rendering in "${renderings[@]}"; do
  read -r -a values <<<"$rendering"
  name=${values[0]}
  with="${values[*]:1}"
  step "checkov on $TEMPLATE rendered with ${with:-its defaults}"
  if "$TOOLS/bin/python" infra/render.py "$TEMPLATE" "${values[@]:1}" >"$rendered/$name.json"; then
    "$TOOLS/bin/checkov" -f "$rendered/$name.json" --framework cloudformation --skip-download --compact --quiet || status=1
  else
    status=1
  fi
done

if [ -n "${ENTRA_ARCHIVE_BIN:-}" ]; then
  step "Glue tables vs $ENTRA_ARCHIVE_BIN datasets --glue"
  "$ENTRA_ARCHIVE_BIN" datasets --glue | "$PYTHON" infra/glue.py --check || status=1
fi

if [ "$status" = 0 ]; then echo "infra/lint.sh: clean"; else echo "infra/lint.sh: FAILED" >&2; fi
exit "$status"
