#!/usr/bin/env bash
# Offline test of register-app.sh, end to end except for Entra itself:
#
#   - `az` is a stand-in (written below) that keeps an imaginary tenant's app
#     registration, service principal, requested permissions, consent and
#     credentials in files, logs every call, and refuses what the real az
#     would refuse here (a reset without --append, a certificate with a key);
#   - `aws` is the real AWS CLI, against moto's Secrets Manager on loopback
#     (behind a wrapper that logs the script's calls);
#   - the secret the script writes is then read by entra-archive itself, which
#     signs in to graph-sim with it (the certificate, then a client secret) and
#     archives directory audits.
#
# Checks: first run creates the app, service principal, exactly the three base
# permissions, consent, a certificate and the secret; a second run reuses all
# of it, falls back to granting roles directly when admin-consent fails, and
# rotates to a client secret; --with custom-security-attributes,network-access
# adds and grants exactly those two permissions (ids looked up by value in
# Graph's app roles), a run without --with neither removes nor re-grants them,
# --with network-access grants only its own, an unknown --with name is refused
# before az is called; --federation adds one federated identity credential
# with exactly the issuer, subject and audience given, a second run adds none,
# another subject adds a second, the same issuer and subject with another
# audience, a name taken by other values and a 21st credential are refused,
# no AWS call is made and no certificate or secret added, the settings are
# printed, and bad or missing --issuer / --subject (and options that do not
# go with --federation) are refused before az is called; --client-id and
# --tenant-id pick and check the app; --app-only adds no credential; two apps
# of the same name are refused; no secret material reaches a command line,
# the az call log or the output.
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
GRAPH_APP=00000003-0000-0000-c000-000000000000
# Microsoft Graph application permissions: the app role ids Graph lists (the
# script finds them by value; these ids only fill the stand-in and the checks).
AUDIT_LOG=b0afded3-3588-46d8-8b3d-9842eff778da        # AuditLog.Read.All
DIRECTORY=7ab1d382-f21e-4acd-a863-ba3e13f7da61        # Directory.Read.All
RISK_EVENT=6e472fd1-ad78-48da-a0f0-97ab2c6b769e       # IdentityRiskEvent.Read.All
CSA_AUDIT=2a4f026d-e829-4e84-bdbf-d981a2703059        # CustomSecAttributeAuditLogs.Read.All
NETWORK_REPORTS=40049381-3cc1-42af-94ec-5ce755db4b0d  # NetworkAccess-Reports.Read.All
BASE=("$AUDIT_LOG" "$DIRECTORY" "$RISK_EVENT")

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
            show) # by Application (client) ID; the object id is made from it
                id=$(arg --id "$@")
                grep -qx "$id" "$state/apps" 2>/dev/null \
                    || { echo "ERROR: Resource '$id' does not exist or one of its queried reference-property objects are not present." >&2; exit 3; }
                if [ "$(arg --query "$@" || true)" = id ]; then
                    echo "0b1ec7ed-0000-4000-8000-${id: -12}"
                else
                    jq -n --arg app "$id" '{appId: $app, id: ("0b1ec7ed-0000-4000-8000-" + $app[-12:]), displayName: "entra-archive"}'
                fi ;;
            permission)
                case $4 in
                    list) # requiredResourceAccess, as az prints it with -o json
                        touch "$state/permissions"
                        jq -R -s --arg api 00000003-0000-0000-c000-000000000000 \
                            'split("\n") | map(select(. != "") | {id: ., type: "Role"})
                             | if length > 0 then [{resourceAppId: $api, resourceAccess: .}] else [] end' \
                            "$state/permissions" ;;
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
            show) [ "$(arg --id "$@")" = 00000003-0000-0000-c000-000000000000 ] && cat "$AZ_GRAPH_SP" ;;
            *) echo "stand-in az: unexpected call: $*" >&2; exit 2 ;;
        esac ;;
    "rest --method")
        uri=$(arg --uri "$@")
        fics=$state/fics.json
        [ -f "$fics" ] || echo '{"value": []}' >"$fics"
        if [[ $uri == */federatedIdentityCredentials ]]; then
            # Microsoft Graph's /applications/{object id}/federatedIdentityCredentials, and its rules.
            [[ $uri == https://graph.microsoft.com/v1.0/applications/0b1ec7ed-0000-4000-8000-${AZ_CLIENT: -12}/federatedIdentityCredentials ]] \
                || { echo "ERROR: Not Found ($uri)" >&2; exit 1; }
            case $3 in
                GET) cat "$fics" ;;
                POST)
                    body=$(arg --body "$@")
                    jq -e '(.name | test("^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$")) and (.issuer | length > 0)
                           and (.subject | length > 0) and (.audiences | length == 1) and ((.description // "") | length <= 600)
                           and (keys - ["audiences", "description", "issuer", "name", "subject"] == [])' <<<"$body" >/dev/null \
                        || { echo "ERROR: Bad Request: $body" >&2; exit 1; }
                    jq -e --argjson new "$body" '(.value | length) < 20
                        and all(.value[]; .name != $new.name and (.issuer != $new.issuer or .subject != $new.subject))' "$fics" >/dev/null \
                        || { echo "ERROR: Bad Request: limit, name or issuer and subject" >&2; exit 1; }
                    jq --argjson new "$body" '.value += [$new + {id: "fic-\(.value | length)"}]' "$fics" >"$fics.new"
                    mv "$fics.new" "$fics" ;;
            esac
        else
            case $3 in
                GET) [ -f "$state/granted" ] && cat "$state/granted" || true ;;
                POST)
                    [[ $uri == */servicePrincipals/$graph_sp/appRoleAssignedTo ]] || { echo "wrong uri" >&2; exit 2; }
                    arg --body "$@" | jq -r .appRoleId >>"$state/granted" ;;
            esac
        fi ;;
    *) echo "stand-in az: unexpected call: $*" >&2; exit 2 ;;
esac
AZ
chmod +x "$work/bin/az"
# Microsoft Graph's service principal as `az ad sp show -o json` prints it, cut
# down: the five app roles the script may ask for, an unrelated one, and
# delegated scopes of the same names (which must not be taken for app roles).
jq -n --arg sp 11111111-2222-3333-4444-555555555555 --arg app "$GRAPH_APP" \
    --arg audit "$AUDIT_LOG" --arg dir "$DIRECTORY" --arg risk "$RISK_EVENT" --arg csa "$CSA_AUDIT" --arg net "$NETWORK_REPORTS" '
    def role($id; $value): {allowedMemberTypes: ["Application"], id: $id, isEnabled: true, value: $value};
    def scope($id; $value): {id: $id, isEnabled: true, type: "Admin", value: $value};
    {id: $sp, appId: $app, displayName: "Microsoft Graph",
     appRoles: [role("df021288-bdef-4463-88db-98f22de89214"; "User.Read.All"),
                role($audit; "AuditLog.Read.All"), role($dir; "Directory.Read.All"),
                role($risk; "IdentityRiskEvent.Read.All"), role($csa; "CustomSecAttributeAuditLogs.Read.All"),
                role($net; "NetworkAccess-Reports.Read.All")],
     oauth2PermissionScopes: [scope("e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20"; "AuditLog.Read.All"),
                              scope("1fcdeaab-b519-44dd-bffc-ed1fd15a24e0"; "CustomSecAttributeAuditLogs.Read.All"),
                              scope("b0c61509-cfc3-42bd-9bd4-66d81785fee4"; "NetworkAccess-Reports.Read.All")]}' \
    >"$work/graph-sp.json"
# The script's `aws` logs its calls; the test's own go straight to the CLI.
aws_real="$(cd "$(dirname "$aws_cli")" && pwd)/$(basename "$aws_cli")"
cat >"$work/bin/aws" <<AWS
#!/usr/bin/env bash
printf '%s\n' "\$*" >>"$work/aws-calls"
exec "$aws_real" "\$@"
AWS
chmod +x "$work/bin/aws"
aws() { "$aws_real" "$@"; }

# --- moto (Secrets Manager) ------------------------------------------------------
free_port() { "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AZ_STATE=$work/tenant AZ_TENANT=$TENANT AZ_CLIENT=$CLIENT AZ_GRAPH_SP=$work/graph-sp.json
SECRET_VALUE="sim~Rotated.$(openssl rand -hex 12)"
export AZ_SECRET_VALUE=$SECRET_VALUE

register() { PATH="$work/bin:$PATH" REGISTER_APP_RETRY_SECONDS=0 infra/entra/register-app.sh "$@"; }
secret_json() { aws secretsmanager get-secret-value --secret-id "$SECRET_NAME" --query SecretString --output text; }
lines() { if [ -f "$1" ]; then grep -c . "$1"; else echo 0; fi; }
# Role ids as one sorted line, to compare sets (duplicates kept, so they show).
sorted() { printf '%s\n' "$@" | sort | paste -sd ' ' -; }
requested() { sort "$AZ_STATE/permissions" | paste -sd ' ' -; }
granted() { sort "$AZ_STATE/granted" | paste -sd ' ' -; }
# The role ids that `az ad app permission add` was asked for since call $1 of az's call log.
added_since() {
    tail -n +"$(($1 + 1))" "$AZ_STATE/calls" | grep "ad app permission add" | grep -o '[0-9a-f-]*=Role' \
        | sed 's/=Role$//' | sort | paste -sd ' ' - || true
}

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
{ [ "$(added_since 0)" = "$(sorted "${BASE[@]}")" ] && [ "$(requested)" = "$(sorted "${BASE[@]}")" ]; } \
    || fail "a run without --with requested [$(requested)], not exactly the three base permissions [$(sorted "${BASE[@]}")]"
[ "$(granted)" = "$(sorted "${BASE[@]}")" ] || fail "consented [$(granted)], not exactly [$(sorted "${BASE[@]}")]"
check "app, service principal, exactly AuditLog.Read.All, Directory.Read.All, IdentityRiskEvent.Read.All requested and consented"
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

echo "== --with: the optional permissions, only when asked for"
calls_before=$(lines "$AZ_STATE/calls")
register --secret-id "$SECRET_NAME" --secret --with custom-security-attributes,network-access \
    >"$work/run-with-both.out" 2>"$work/run-with-both.err" || fail "run with --with failed: $(cat "$work/run-with-both.err")"
[ "$(added_since "$calls_before")" = "$(sorted $CSA_AUDIT $NETWORK_REPORTS)" ] \
    || fail "--with custom-security-attributes,network-access asked az to add [$(added_since "$calls_before")], not exactly CustomSecAttributeAuditLogs.Read.All and NetworkAccess-Reports.Read.All [$(sorted $CSA_AUDIT $NETWORK_REPORTS)]"
[ "$(requested)" = "$(sorted "${BASE[@]}" $CSA_AUDIT $NETWORK_REPORTS)" ] && [ "$(granted)" = "$(sorted "${BASE[@]}" $CSA_AUDIT $NETWORK_REPORTS)" ] \
    || fail "after --with: requested [$(requested)], granted [$(granted)]"
grep -q "adding Microsoft Graph application permissions: CustomSecAttributeAuditLogs.Read.All NetworkAccess-Reports.Read.All" "$work/run-with-both.out" \
    || fail "the run does not name the permissions it adds: $(cat "$work/run-with-both.out")"
check "--with custom-security-attributes,network-access added exactly CustomSecAttributeAuditLogs.Read.All and NetworkAccess-Reports.Read.All (by their app role ids) and granted them"

calls_before=$(lines "$AZ_STATE/calls")
register --secret-id "$SECRET_NAME" --secret >"$work/run-without-with.out" 2>"$work/run-without-with.err" \
    || fail "run without --with failed: $(cat "$work/run-without-with.err")"
tail -n +"$((calls_before + 1))" "$AZ_STATE/calls" | grep "permission add\|permission delete\|admin-consent\|--method POST\|--method DELETE" \
    && fail "a run without --with changed the app's permissions"
[ "$(requested)" = "$(sorted "${BASE[@]}" $CSA_AUDIT $NETWORK_REPORTS)" ] && [ "$(granted)" = "$(sorted "${BASE[@]}" $CSA_AUDIT $NETWORK_REPORTS)" ] \
    || fail "after a run without --with: requested [$(requested)], granted [$(granted)]"
grep -q "left as they are .*: CustomSecAttributeAuditLogs.Read.All NetworkAccess-Reports.Read.All" "$work/run-without-with.out" \
    || fail "the run does not say it left the optional permissions: $(cat "$work/run-without-with.out")"
check "a run without --with kept them requested and granted, and said so"

: >"$AZ_STATE/granted"   # consent revoked, the permissions still requested
calls_before=$(lines "$AZ_STATE/calls")
register --secret-id "$SECRET_NAME" --secret >"$work/run-without-with-revoked.out" 2>"$work/run-without-with-revoked.err" \
    || fail "run without --with, consent revoked, failed: $(cat "$work/run-without-with-revoked.err")"
tail -n +"$((calls_before + 1))" "$AZ_STATE/calls" | grep "permission add\|admin-consent" \
    && fail "a run without --with added permissions or used admin-consent (which grants every requested permission)"
[ "$(granted)" = "$(sorted "${BASE[@]}")" ] || fail "a run without --with granted [$(granted)], not exactly the three base permissions"
[ "$(requested)" = "$(sorted "${BASE[@]}" $CSA_AUDIT $NETWORK_REPORTS)" ] || fail "a run without --with removed permissions: [$(requested)]"
check "consent revoked, a run without --with granted the three base permissions one by one, not the optional ones"

calls_before=$(lines "$AZ_STATE/calls")
register --secret-id "$SECRET_NAME" --secret --with network-access >"$work/run-with-one.out" 2>"$work/run-with-one.err" \
    || fail "run with --with network-access failed: $(cat "$work/run-with-one.err")"
[ -z "$(added_since "$calls_before")" ] || fail "permissions already requested were added again: [$(added_since "$calls_before")]"
[ "$(granted)" = "$(sorted "${BASE[@]}" $NETWORK_REPORTS)" ] || fail "--with network-access granted [$(granted)], not the base ones and NetworkAccess-Reports.Read.All"
check "--with network-access granted NetworkAccess-Reports.Read.All, not CustomSecAttributeAuditLogs.Read.All"

calls_before=$(lines "$AZ_STATE/calls")
status=0
register --secret-id "$SECRET_NAME" --with network-access,custom-security-attribute \
    >"$work/run-with-unknown.out" 2>"$work/run-with-unknown.err" || status=$?
[ "$status" = 1 ] || fail "an unknown --with name: exit status $status, expected 1"
grep -qx "register-app.sh: unknown --with name 'custom-security-attribute': the known names are custom-security-attributes, network-access" \
    "$work/run-with-unknown.err" || fail "unclear refusal of an unknown --with name: $(cat "$work/run-with-unknown.err")"
[ "$(lines "$AZ_STATE/calls")" = "$calls_before" ] || fail "az was called before the --with names were checked"
check "an unknown --with name refused (exit status 1) before any az call, naming the known ones"

echo "== --federation: a federated identity credential, no secret"
ISSUER=https://0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b.tokens.sts.global.api.aws
ROLE=arn:aws:iam::123456789012:role/entra-archive-FunctionRole-AbC123
ROLE2=arn:aws:iam::123456789012:role/entra-archive-eu-FunctionRole-XyZ789
ENTRA=api://AzureADTokenExchange
# The app's federated credentials, as [{name, issuer, subject, audiences}].
fics() { jq -c '[.value[] | {name, issuer, subject, audiences}]' "$AZ_STATE/fics.json" 2>/dev/null || echo '[]'; }
fic() { jq -nc --arg n "$1" --arg i "$2" --arg s "$3" --arg a "$4" '{name: $n, issuer: $i, subject: $s, audiences: [$a]}'; }
FIC1=$(fic aws-123456789012-entra-archive-FunctionRole-AbC123 "$ISSUER" "$ROLE" "$ENTRA")
FIC2=$(fic aws-123456789012-entra-archive-eu-FunctionRole-XyZ789 "$ISSUER" "$ROLE2" "$ENTRA")
secret_before=$(secret_json)
aws_before=$(lines "$work/aws-calls")
calls_before=$(lines "$AZ_STATE/calls")
register --federation --issuer "$ISSUER" --subject "$ROLE" >"$work/fed1.out" 2>"$work/fed1.err" \
    || fail "--federation failed: $(cat "$work/fed1.err")"
[ "$(fics)" = "[$FIC1]" ] || fail "federated credentials [$(fics)], expected exactly [$FIC1]"
tail -n +"$((calls_before + 1))" "$AZ_STATE/calls" | grep "ad app credential" && fail "--federation added a certificate or secret"
[ "$(lines "$work/aws-calls")" = "$aws_before" ] || fail "--federation called the AWS CLI: $(tail -n +"$((aws_before + 1))" "$work/aws-calls")"
[ "$(secret_json)" = "$secret_before" ] || fail "--federation changed the secret"
for setting in "ENTRA_CREDENTIAL=aws-federation" "ENTRA_TENANT_ID=$TENANT" "ENTRA_CLIENT_ID=$CLIENT" \
    "Credential=federation TenantId=$TENANT ClientId=$CLIENT FederationIssuer=$ISSUER"; do
    grep -qF "$setting" "$work/fed1.out" || fail "the settings are not printed ($setting): $(cat "$work/fed1.out")"
done
check "one federated credential with exactly that issuer, subject and audience; no certificate, secret or AWS call; the settings printed"

calls_before=$(lines "$AZ_STATE/calls")
register --federation --issuer "$ISSUER" --subject "$ROLE" >"$work/fed2.out" 2>"$work/fed2.err" \
    || fail "a second --federation run failed: $(cat "$work/fed2.err")"
[ "$(fics)" = "[$FIC1]" ] || fail "a second run changed the federated credentials: [$(fics)]"
tail -n +"$((calls_before + 1))" "$AZ_STATE/calls" | grep -q "rest --method POST" && fail "a second run posted a federated credential"
grep -q "already trusts $ISSUER about $ROLE .*kept" "$work/fed2.out" || fail "the second run does not say it kept it: $(cat "$work/fed2.out")"
check "a second run adds none, and says so"

register --federation --issuer "$ISSUER" --subject "$ROLE2" >"$work/fed3.out" 2>"$work/fed3.err" \
    || fail "--federation with another subject failed: $(cat "$work/fed3.err")"
[ "$(fics)" = "[$FIC1,$FIC2]" ] || fail "another subject: [$(fics)], expected [$FIC1,$FIC2]"
check "another subject (a second stack's role) adds a second"

# refused: status 1, this message, nothing added
refused() {
    local label=$1 message=$2 status=0; shift 2
    local before
    before=$(fics)
    register "$@" >"$work/fed-refused.out" 2>"$work/fed-refused.err" || status=$?
    [ "$status" = 1 ] || fail "$label: exit status $status, expected 1"
    grep -qF -- "$message" "$work/fed-refused.err" || fail "$label: unclear refusal: $(cat "$work/fed-refused.err")"
    [ "$(fics)" = "$before" ] || fail "$label: the federated credentials changed"
}
refused "the same issuer and subject for another audience" "trusts this issuer and subject for audiences [\"$ENTRA\"], not api://AzureADTokenExchangeUSGov" \
    --federation --issuer "$ISSUER" --subject "$ROLE" --audience api://AzureADTokenExchangeUSGov
refused "a name taken by other values" "a federated credential named 'aws-123456789012-entra-archive-FunctionRole-AbC123' exists with other values" \
    --federation --issuer "$ISSUER" --subject arn:aws:iam::123456789012:role/entra-archive-FunctionRole.AbC123
jq '.value += [range(18) | {name: "other-\(.)", issuer: "https://token.actions.githubusercontent.com",
    subject: "repo:contoso/app:environment:e\(.)", audiences: ["api://AzureADTokenExchange"], id: "filler-\(.)"}]' \
    "$AZ_STATE/fics.json" >"$work/fics-20.json" && cp "$work/fics-20.json" "$AZ_STATE/fics.json"
refused "a 21st federated credential" "the app has 20 federated identity credentials, the most Entra allows" \
    --federation --issuer "$ISSUER" --subject arn:aws:iam::123456789012:role/a-third-role
jq '.value |= map(select(.id | startswith("filler-") | not))' "$AZ_STATE/fics.json" >"$work/fics-2.json" \
    && cp "$work/fics-2.json" "$AZ_STATE/fics.json"
check "refused, naming the fix: the same issuer and subject for another audience, a name taken by other values, a 21st credential"

register --federation --client-id "$CLIENT" --tenant-id "$TENANT" --issuer "$ISSUER" --subject "$ROLE" \
    >"$work/fed-ids.out" 2>"$work/fed-ids.err" || fail "--client-id --tenant-id failed: $(cat "$work/fed-ids.err")"
[ "$(fics)" = "[$FIC1,$FIC2]" ] || fail "--client-id changed the federated credentials: [$(fics)]"
refused "an unknown --client-id" "no app registration with Application (client) ID 11111111-2222-4333-8444-555555555555" \
    --federation --client-id 11111111-2222-4333-8444-555555555555 --issuer "$ISSUER" --subject "$ROLE"
refused "another tenant" "az is signed in to tenant $TENANT, not 11111111-2222-4333-8444-555555555555" \
    --federation --tenant-id 11111111-2222-4333-8444-555555555555 --issuer "$ISSUER" --subject "$ROLE"
check "--client-id uses that app, --tenant-id checks az's tenant; an unknown app or another tenant is refused"

# Refused before az is called (and without any AWS call).
calls_before=$(lines "$AZ_STATE/calls")
aws_before=$(lines "$work/aws-calls")
while IFS='|' read -r message args; do
    read -r -a argv <<<"$args"
    refused "${args}" "$message" "${argv[@]}"
done <<EOF
--federation needs --issuer|--federation --subject $ROLE
--federation needs --subject|--federation --issuer $ISSUER
--issuer must be an https URL without a trailing slash|--federation --issuer http://0f1e2d3c.tokens.sts.global.api.aws --subject $ROLE
--issuer must be an https URL without a trailing slash|--federation --issuer $ISSUER/ --subject $ROLE
--issuer must be an https URL without a trailing slash|--federation --issuer $ROLE --subject $ROLE
--subject must be the role's ARN|--federation --issuer $ISSUER --subject arn:aws:sts::123456789012:assumed-role/entra-archive-FunctionRole-AbC123/fn
--subject must be an IAM role's ARN|--federation --issuer $ISSUER --subject entra-archive-FunctionRole-AbC123
--subject must be an IAM role's ARN|--federation --issuer $ISSUER --subject arn:aws:iam::123456789012:user/alice
--audience must be Entra's token exchange audience|--federation --issuer $ISSUER --subject $ROLE --audience api://AzureADTokenExchangeX
--secret-id: not with --federation|--federation --issuer $ISSUER --subject $ROLE --secret-id $SECRET_NAME
--issuer goes with --federation|--secret-id $SECRET_NAME --issuer $ISSUER
--federation and --app-only exclude each other|--federation --app-only --issuer $ISSUER --subject $ROLE
EOF
[ "$(lines "$AZ_STATE/calls")" = "$calls_before" ] || fail "az was called before the arguments were checked"
[ "$(lines "$work/aws-calls")" = "$aws_before" ] || fail "the AWS CLI was called by a refused run"
check "bad or missing --issuer or --subject (and options that do not go with --federation) refused before az is called"

echo "== --app-only: the app and its permissions, no credential"
calls_before=$(lines "$AZ_STATE/calls")
aws_before=$(lines "$work/aws-calls")
register --app-only >"$work/app-only.out" 2>"$work/app-only.err" || fail "--app-only failed: $(cat "$work/app-only.err")"
grep -qF "TenantId=$TENANT ClientId=$CLIENT" "$work/app-only.out" || fail "--app-only does not print the ids: $(cat "$work/app-only.out")"
tail -n +"$((calls_before + 1))" "$AZ_STATE/calls" | grep "ad app credential\|federatedIdentityCredentials" \
    && fail "--app-only added a credential"
[ "$(lines "$work/aws-calls")" = "$aws_before" ] || fail "--app-only called the AWS CLI"
check "prints TenantId and ClientId; no credential, no AWS call"

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
