#!/usr/bin/env bash
# Offline test of register-app.sh, end to end except for Entra itself:
#
#   - `az` is a stand-in (written below) that keeps an imaginary tenant's app
#     registration, service principal, requested permissions, consent and
#     credentials in files, logs every call, and refuses what the real az
#     would refuse here (a reset without --append, a certificate with a key);
#   - `aws` is the real AWS CLI, against moto's Secrets Manager on loopback;
#   - the secret the script writes is then read by entra-archive itself, which
#     signs in to graph-sim with it (the certificate, then a client secret) and
#     archives directory audits.
#
# Checks: first run creates the app, service principal, the three permissions,
# consent, a certificate and the secret; a second run reuses all of it, falls
# back to granting roles directly when admin-consent fails, and rotates to a
# client secret; two apps of the same name are refused; no secret material
# reaches a command line, the az call log or the output.
#
# Needs: target/debug/{entra-archive,graph-sim} (make build), .venv with moto
# (make venv) and the AWS CLI (infra/entra/requirements.txt; else `aws` on
# PATH), openssl, jq.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${BIN:-target/debug}
VENV=${VENV:-.venv}
TENANT=6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5   # graph-sim's built-in tenant and client
CLIENT=0a1b2c3d-1111-4222-8333-444455556666
SECRET_NAME=entra-archive/test-register-app

for need in "$BIN/entra-archive" "$BIN/graph-sim" "$VENV/bin/moto_server"; do
    [ -x "$need" ] || { echo "test-register-app: $need is missing (make build, make venv)" >&2; exit 1; }
done
for tool in openssl jq; do
    command -v "$tool" >/dev/null || { echo "test-register-app: $tool is not installed" >&2; exit 1; }
done
# The AWS CLI: the venv's (infra/entra/requirements.txt), else the one on PATH.
aws_cli=$(command -v "$VENV/bin/aws" || command -v aws) \
    || { echo "test-register-app: no AWS CLI: pip install -r infra/entra/requirements.txt into $VENV" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "test-register-app: FAIL: $*" >&2; exit 1; }
check() { echo "  ok: $*"; }

# --- the stand-in az -------------------------------------------------------------
mkdir -p "$work/bin" "$work/tenant/certs" "$work/tenant/secrets"
cat >"$work/bin/az" <<'AZ'
#!/usr/bin/env bash
# A stand-in for the Azure CLI: the calls register-app.sh makes, against files.
set -euo pipefail
state=$AZ_STATE
printf '%s\n' "$*" >>"$state/calls"
arg() { # the value after flag $1 in the call
    local flag=$1; shift
    while [ $# -gt 0 ]; do [ "$1" = "$flag" ] && { echo "$2"; return; }; shift; done
    return 1
}
has() { local flag=$1; shift; for a in "$@"; do [ "$a" = "$flag" ] && return 0; done; return 1; }
graph_sp=11111111-2222-3333-4444-555555555555
case "$1 $2" in
    "account show") echo "$AZ_TENANT" ;;
    "cloud show") echo "https://graph.microsoft.com/" ;;
    "ad app")
        case $3 in
            list) [ -f "$state/apps" ] && cat "$state/apps" || true ;;
            create)
                [ "$(arg --sign-in-audience "$@")" = AzureADMyOrg ] || { echo "not single tenant" >&2; exit 2; }
                echo "$AZ_CLIENT" >"$state/apps"; echo "$AZ_CLIENT" ;;
            permission)
                case $4 in
                    list) [ -f "$state/permissions" ] && cat "$state/permissions" || true ;;
                    add)
                        [ "$(arg --api "$@")" = 00000003-0000-0000-c000-000000000000 ] || { echo "not Graph" >&2; exit 2; }
                        shift 4
                        while [ $# -gt 0 ]; do
                            case $1 in
                                *=Role) echo "${1%=Role}" >>"$state/permissions" ;;
                                *=*) echo "not an application permission: $1" >&2; exit 2 ;;
                            esac
                            shift
                        done
                        echo "WARNING: Invoking az ad app permission grant is needed" >&2 ;;
                    admin-consent)
                        [ -z "${AZ_CONSENT_FAILS:-}" ] || { echo "ERROR: Bad Request" >&2; exit 1; }
                        cp "$state/permissions" "$state/granted" ;;
                    *) echo "stand-in az: unexpected call: $*" >&2; exit 2 ;;
                esac ;;
            credential)
                has --append "$@" || { echo "reset without --append would delete every credential" >&2; exit 2; }
                n=$(find "$state/certs" "$state/secrets" -type f | wc -l)
                if cert=$(arg --cert "$@"); then
                    file=${cert#@}
                    grep -q "BEGIN CERTIFICATE" "$file" || { echo "not a certificate" >&2; exit 2; }
                    ! grep -q "PRIVATE KEY" "$file" || { echo "the private key must not be uploaded" >&2; exit 2; }
                    cp "$file" "$state/certs/$n.pem"
                else
                    arg --end-date "$@" >/dev/null || { echo "no end date" >&2; exit 2; }
                    echo "$AZ_SECRET_VALUE" >"$state/secrets/$n"
                    echo "$AZ_SECRET_VALUE"
                fi ;;
            *) echo "stand-in az: unexpected call: $*" >&2; exit 2 ;;
        esac ;;
    "ad sp")
        case $3 in
            list) [ -f "$state/sp" ] && cat "$state/sp" || true ;;
            create) echo 99999999-8888-7777-6666-555555555555 | tee "$state/sp" ;;
            show) [ "$(arg --id "$@")" = 00000003-0000-0000-c000-000000000000 ] && echo "$graph_sp" ;;
            *) echo "stand-in az: unexpected call: $*" >&2; exit 2 ;;
        esac ;;
    "rest --method")
        case $3 in
            GET) [ -f "$state/granted" ] && cat "$state/granted" || true ;;
            POST)
                [[ $(arg --uri "$@") == */servicePrincipals/$graph_sp/appRoleAssignedTo ]] || { echo "wrong uri" >&2; exit 2; }
                arg --body "$@" | jq -r .appRoleId >>"$state/granted" ;;
        esac ;;
    *) echo "stand-in az: unexpected call: $*" >&2; exit 2 ;;
esac
AZ
chmod +x "$work/bin/az"
ln -s "$(cd "$(dirname "$aws_cli")" && pwd)/$(basename "$aws_cli")" "$work/bin/aws"
aws() { "$work/bin/aws" "$@"; }

# --- moto (Secrets Manager) ------------------------------------------------------
free_port() { "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AZ_STATE=$work/tenant AZ_TENANT=$TENANT AZ_CLIENT=$CLIENT
SECRET_VALUE="sim~Rotated.$(openssl rand -hex 12)"
export AZ_SECRET_VALUE=$SECRET_VALUE

register() { PATH="$work/bin:$PATH" REGISTER_APP_RETRY_SECONDS=0 infra/entra/register-app.sh "$@"; }
secret_json() { aws secretsmanager get-secret-value --secret-id "$SECRET_NAME" --query SecretString --output text; }
lines() { if [ -f "$1" ]; then grep -c . "$1"; else echo 0; fi; }

# entra-archive reads the secret and signs in to graph-sim with it.
archive_with_secret() {
    local label=$1; shift
    local log=$work/sim-$label
    "$BIN/graph-sim" --directory-audits 40 --signins 10 "$@" >"$log.out" 2>"$log.err" &
    local sim=$!
    pids+=("$sim")
    for _ in $(seq 100); do grep -q GRAPH_SIM_URL "$log.out" 2>/dev/null && break; sleep 0.1; done
    local url
    url=$(sed -n 's/^GRAPH_SIM_URL=//p' "$log.out")
    [ -n "$url" ] || fail "graph-sim did not start: $(cat "$log.err")"
    ENTRA_SECRET_ID=$SECRET_NAME GRAPH_BASE_URL=$url ENTRA_LOGIN_URL=$url ARCHIVE_GRAPH_BUDGET=1000/1s \
        "$BIN/entra-archive" run --datasets directory_audits --dest "$work/archive-$label" -q \
        || fail "entra-archive could not archive with the secret register-app.sh wrote ($label)"
    kill "$sim"
    find "$work/archive-$label/directory_audits" -name '*.parquet' | grep -q . || fail "no Parquet written ($label)"
}

echo "== first run: a new app, a certificate, a new secret"
register --secret-id "$SECRET_NAME" --days 30 >"$work/run1.out" 2>"$work/run1.err" \
    || fail "first run failed: $(cat "$work/run1.err")"
[ "$(lines "$AZ_STATE/apps")" = 1 ] && [ "$(cat "$AZ_STATE/apps")" = "$CLIENT" ] || fail "app not created"
[ -s "$AZ_STATE/sp" ] || fail "service principal not created"
for role in b0afded3-3588-46d8-8b3d-9842eff778da 7ab1d382-f21e-4acd-a863-ba3e13f7da61 6e472fd1-ad78-48da-a0f0-97ab2c6b769e; do
    grep -qx "$role" "$AZ_STATE/permissions" || fail "permission $role not requested"
    grep -qx "$role" "$AZ_STATE/granted" || fail "permission $role not consented"
done
check "app, service principal, AuditLog.Read.All, Directory.Read.All, IdentityRiskEvent.Read.All requested and consented"
[ "$(find "$AZ_STATE/certs" -type f | wc -l)" = 1 ] || fail "no certificate uploaded"
json=$(secret_json)
[ "$(jq -r 'keys | join(",")' <<<"$json")" = "certificate_pem,client_id,private_key_pem,tenant_id" ] || fail "secret fields: $(jq -r 'keys' <<<"$json")"
[ "$(jq -r .tenant_id <<<"$json")" = "$TENANT" ] && [ "$(jq -r .client_id <<<"$json")" = "$CLIENT" ] || fail "wrong ids in the secret"
jq -j .certificate_pem <<<"$json" | cmp -s - "$AZ_STATE/certs/0.pem" || fail "the secret's certificate is not the one uploaded"
cert_days=$(( ($(date -d "$(openssl x509 -in "$AZ_STATE/certs/0.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
[ "$cert_days" -ge 29 ] && [ "$cert_days" -le 30 ] || fail "certificate valid $cert_days days, asked 30"
check "secret created with tenant_id, client_id, certificate_pem, private_key_pem; certificate valid 30 days"
archive_with_secret certificate --client-certificate "$AZ_STATE/certs/0.pem"
check "entra-archive signed in with the certificate from the secret and archived directory audits"

echo "== second run: reuse, consent through appRoleAssignedTo, rotate to a client secret"
: >"$AZ_STATE/granted"
calls_before=$(lines "$AZ_STATE/calls")
AZ_CONSENT_FAILS=1 register --secret-id "$SECRET_NAME" --secret --days 90 >"$work/run2.out" 2>"$work/run2.err" \
    || fail "second run failed: $(cat "$work/run2.err")"
[ "$(lines "$AZ_STATE/apps")" = 1 ] || fail "a second app was created"
tail -n +"$((calls_before + 1))" "$AZ_STATE/calls" | grep -q "ad app create\|ad sp create\|permission add" \
    && fail "the second run created again what existed"
[ "$(lines "$AZ_STATE/granted")" = 3 ] || fail "roles not granted through appRoleAssignedTo"
[ "$(find "$AZ_STATE/certs" "$AZ_STATE/secrets" -type f | wc -l)" = 2 ] || fail "the certificate was not kept alongside the new secret"
json=$(secret_json)
[ "$(jq -r 'keys | join(",")' <<<"$json")" = "client_id,client_secret,tenant_id" ] || fail "secret fields: $(jq -r 'keys' <<<"$json")"
[ "$(jq -r .client_secret <<<"$json")" = "$SECRET_VALUE" ] || fail "the secret does not hold the client secret az returned"
check "reused app and permissions, granted roles directly, kept the certificate, secret updated with client_secret"
GRAPH_SIM_CLIENT_SECRET=$SECRET_VALUE archive_with_secret client-secret
check "entra-archive signed in with the client secret from the secret"

echo "== third run: two apps with the same name are refused"
echo "22222222-3333-4444-5555-666666666666" >>"$AZ_STATE/apps"
if register --secret-id "$SECRET_NAME" >"$work/run3.out" 2>"$work/run3.err"; then
    fail "two apps named alike were not refused"
fi
grep -q "several app registrations" "$work/run3.err" || fail "unclear refusal: $(cat "$work/run3.err")"
check "refused, naming the apps"

echo "== no secret material in az's arguments (its call log) or in the script's output"
for file in "$AZ_STATE/calls" "$work"/run*.out "$work"/run*.err; do
    ! grep -q "PRIVATE KEY" "$file" || fail "a private key in $file"
    ! grep -qF "$SECRET_VALUE" "$file" || fail "the client secret in $file"
done
check "none found"
echo "test-register-app: all checks passed"
