#!/usr/bin/env bash
# Registers the Entra ID application entra-archive signs in as, and stores its
# credentials in AWS Secrets Manager for the Lambda function (or the CLI's
# --secret-id) to read.
#
#   1. finds the app registration by display name, or creates it (single tenant);
#   2. creates its service principal if missing;
#   3. adds the Microsoft Graph application permissions AuditLog.Read.All,
#      Directory.Read.All and IdentityRiskEvent.Read.All (those not yet there),
#      and, only when asked for with --with, those of the optional datasets:
#      CustomSecAttributeAuditLogs.Read.All (custom-security-attributes) and
#      NetworkAccess-Reports.Read.All (network-access);
#   4. grants admin consent for those, and checks that they are granted;
#   5. adds a credential: a new self-signed certificate (RSA 2048, made here
#      with openssl; only its public part goes to Entra), or with --secret a
#      client secret;
#   6. writes {"tenant_id", "client_id", "certificate_pem", "private_key_pem"}
#      (or "client_secret") into the Secrets Manager secret.
#
# Running it again reuses the app and its permissions and adds a NEW credential
# (existing ones are kept): that is how to rotate. It never removes a
# permission, and never grants one it was not asked for in this run (a run
# without --with leaves those of an earlier --with as they are). Secret material is never
# printed or passed on a command line; it lives only in a private temporary
# directory, removed on exit.
#
# Needs: az (signed in to the tenant: `az login --tenant <tenant>`), aws (with
# credentials for the secret's account), openssl, jq 1.6+. See README.md.
set -euo pipefail
umask 077

usage() {
    cat <<'EOF'
Usage: infra/entra/register-app.sh --secret-id <arn-or-name> [options]

  --secret-id ID      Secrets Manager secret (ARN or name) to write the credentials to.
                      A name that does not exist yet is created.     [env ENTRA_SECRET_ID]
  --name NAME         Display name of the app registration.          [env ENTRA_APP_NAME, default entra-archive]
  --days N            Validity of the new credential, in days.       [env ENTRA_CREDENTIAL_DAYS, default 365]
  --secret            Add a client secret instead of a certificate (a certificate is recommended:
                      Entra never sees its private key, and a secret cannot be used by anyone
                      who only has the certificate's public part).
  --kms-key-id KEY    KMS key for a secret this script creates (default: aws/secretsmanager).
  --region REGION     AWS region of the secret (default: from the ARN, else the AWS CLI's).
  --skip-consent      Do not grant admin consent (someone with the role will; see README.md).
  --with NAMES        Also add and grant the optional permissions of these datasets, comma-separated:
                        custom-security-attributes  CustomSecAttributeAuditLogs.Read.All
                                                    (custom_security_attribute_audits)
                        network-access              NetworkAccess-Reports.Read.All
                                                    (network_access_traffic)
                      Without it they are neither added nor removed.
  -h, --help          This help.
EOF
}

GRAPH_APP_ID=00000003-0000-0000-c000-000000000000
# Microsoft Graph application permissions (app roles), by value; their ids are
# looked up in Microsoft Graph's service principal (preflight, below).
# (Plain arrays, no associative ones: macOS still ships bash 3.2.)
BASE_ROLES=(AuditLog.Read.All Directory.Read.All IdentityRiskEvent.Read.All)
# Optional ones, only with --with NAME: names and permissions, in step.
WITH_NAMES=(custom-security-attributes network-access)
WITH_ROLES=(CustomSecAttributeAuditLogs.Read.All NetworkAccess-Reports.Read.All)
# The value of a Microsoft Graph app role id (the id itself if unknown).
role_name() {
    jq -r --arg id "$1" 'first(.appRoles[] | select(.id == $id) | .value) // $id' "$tmp/graph-sp.json"
}
# The role ids of a whitespace-separated list ($2) missing from another ($1).
missing_from() {
    local role have
    have=" $(tr -s '[:space:]' ' ' <<<"$1") "
    for role in $2; do
        [[ $have == *" $role "* ]] || echo "$role"
    done
}

name=${ENTRA_APP_NAME:-entra-archive}
secret_id=${ENTRA_SECRET_ID:-}
days=${ENTRA_CREDENTIAL_DAYS:-365}
use_secret=false
kms_key_id=
region=
skip_consent=false
with=
# Pause between retries while Entra replicates a new app (the offline test sets 0).
retry_seconds=${REGISTER_APP_RETRY_SECONDS:-10}

die() { echo "register-app.sh: $*" >&2; exit 1; }
say() { echo "== $*"; }

while [ $# -gt 0 ]; do
    case $1 in
        --secret-id) secret_id=${2:?--secret-id needs a value}; shift 2 ;;
        --name) name=${2:?--name needs a value}; shift 2 ;;
        --days) days=${2:?--days needs a value}; shift 2 ;;
        --secret | --client-secret) use_secret=true; shift ;;
        --kms-key-id) kms_key_id=${2:?--kms-key-id needs a value}; shift 2 ;;
        --region) region=${2:?--region needs a value}; shift 2 ;;
        --skip-consent) skip_consent=true; shift ;;
        --with) with+=${with:+,}${2:?--with needs a value}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

[ -n "$secret_id" ] || { usage >&2; die "--secret-id (or ENTRA_SECRET_ID) is required"; }
[[ $days =~ ^[0-9]+$ ]] && [ "$days" -ge 1 ] && [ "$days" -le 730 ] \
    || die "--days must be a whole number of days from 1 to 730 (Entra's recommended maximum for secrets is 730), got '$days'"
# The permissions this run wants, by value: the base ones, and those of --with.
wanted=("${BASE_ROLES[@]}")
if [ -n "$with" ]; then
    IFS=, read -r -a asked <<<"${with// /}"
    for w in "${asked[@]}"; do
        role=
        for i in "${!WITH_NAMES[@]}"; do
            [ "${WITH_NAMES[$i]}" != "$w" ] || role=${WITH_ROLES[$i]}
        done
        [ -n "$role" ] || die "unknown --with name '$w': the known names are $(printf '%s, ' "${WITH_NAMES[@]}" | sed 's/, $//')"
        [[ " ${wanted[*]} " == *" $role "* ]] || wanted+=("$role")
    done
fi
for tool in az aws openssl jq; do
    command -v "$tool" >/dev/null || die "$tool is not installed (see infra/entra/README.md)"
done

# The secret's region: given, else the ARN's (arn:aws:secretsmanager:REGION:…), else the AWS CLI's default.
if [ -z "$region" ] && [[ $secret_id == arn:* ]]; then
    region=$(cut -d: -f4 <<<"$secret_id")
fi
aws_sm() { aws secretsmanager ${region:+--region "$region"} "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- preflight: fail before changing anything in Entra -----------------------
tenant_id=$(az account show --query tenantId -o tsv) \
    || die "az is not signed in: run 'az login --tenant <tenant id>' (add --allow-no-subscriptions for a tenant without Azure subscriptions)"
graph_url=$(az cloud show --query endpoints.microsoftGraphResourceId -o tsv)
graph_url=${graph_url%/}
say "tenant $tenant_id, app '$name', Graph $graph_url"

# Microsoft Graph's service principal: its object id, and its app roles, where
# each wanted permission's id is looked up by value.
az ad sp show --id "$GRAPH_APP_ID" -o json >"$tmp/graph-sp.json" \
    || die "cannot read Microsoft Graph's service principal ($GRAPH_APP_ID) with az"
graph_sp_id=$(jq -r .id "$tmp/graph-sp.json")
ROLE_IDS=()
ROLE_NAMES=()
for value in "${wanted[@]}"; do
    id=$(jq -r --arg v "$value" \
        'first(.appRoles[] | select(.value == $v and (.allowedMemberTypes | index("Application")) and .isEnabled != false) | .id) // empty' \
        "$tmp/graph-sp.json")
    [ -n "$id" ] || die "Microsoft Graph ($graph_url) has no application permission $value in this tenant's cloud"
    ROLE_IDS+=("$id")
    ROLE_NAMES+=("$value")
done

secret_exists=true
if ! aws_sm describe-secret --secret-id "$secret_id" --query ARN --output text >"$tmp/describe" 2>"$tmp/describe.err"; then
    if grep -q ResourceNotFoundException "$tmp/describe.err" && [[ $secret_id != arn:* ]]; then
        secret_exists=false
    else
        cat "$tmp/describe.err" >&2
        die "cannot read secret '$secret_id' with the AWS CLI (check AWS credentials, region, and secretsmanager:DescribeSecret)"
    fi
fi

# --- 1. the app registration --------------------------------------------------
# OData string literals double their single quotes.
filter="displayName eq '${name//\'/\'\'}'"
apps=$(az ad app list --filter "$filter" --query "[].appId" -o tsv)
case $(grep -c . <<<"$apps" || true) in
    0)
        say "creating app registration '$name' (single tenant)"
        client_id=$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg --query appId -o tsv)
        ;;
    1)
        client_id=$apps
        say "reusing app registration '$name' ($client_id)"
        ;;
    *)
        die "several app registrations are named '$name' ($(tr -s '[:space:]' ' ' <<<"$apps")): pass --name with a unique name, or remove the extra ones"
        ;;
esac

# --- 2. its service principal (the app's identity in this tenant) -------------
# Right after the app is created, Entra may not know it everywhere yet: retry.
sp_id=$(az ad sp list --filter "appId eq '$client_id'" --query "[0].id" -o tsv)
if [ -z "$sp_id" ]; then
    say "creating the service principal"
    for attempt in 1 2 3 4 5 6; do
        sp_id=$(az ad sp create --id "$client_id" --query id -o tsv 2>"$tmp/sp.err") && break
        [ "$attempt" -lt 6 ] || { cat "$tmp/sp.err" >&2; die "could not create the service principal of $client_id"; }
        sleep "$retry_seconds"
    done
fi

# --- 3. Microsoft Graph application permissions ------------------------------
az ad app permission list --id "$client_id" -o json >"$tmp/requested.json"
present=$(jq -r --arg api "$GRAPH_APP_ID" \
    '.[] | select(.resourceAppId == $api) | .resourceAccess[] | select(.type == "Role") | .id' "$tmp/requested.json")
# What the app requests beyond this run's permissions (an earlier --with, or
# added by hand) stays as it is: requested, and granted or not.
extra=$(jq -r --arg api "$GRAPH_APP_ID" --arg wanted "${ROLE_IDS[*]}" --slurpfile sp "$tmp/graph-sp.json" '
    ($wanted | split(" ")) as $w | $sp[0] as $graph
    | .[] | .resourceAppId as $app | .resourceAccess[] | .id as $id
    | select($app != $api or .type != "Role" or (any($w[]; . == $id) | not))
    | if $app != $api then "\($id) (\(.type)) of API \($app)"
      elif .type == "Role" then first($graph.appRoles[] | select(.id == $id) | .value) // $id
      else (first($graph.oauth2PermissionScopes[]? | select(.id == $id) | .value) // $id) + " (delegated)"
      end' "$tmp/requested.json")
[ -z "$extra" ] || say "left as they are (requested, but not asked for in this run): $(paste -sd ' ' - <<<"$extra")"
missing=()
for role in $(missing_from "$present" "${ROLE_IDS[*]}"); do
    missing+=("$role=Role")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "adding Microsoft Graph application permissions: $(for m in "${missing[@]}"; do printf '%s ' "$(role_name "${m%=Role}")"; done)"
    # az then warns that 'az ad app permission grant' is needed: that is for
    # delegated permissions; application permissions are consented in step 4.
    az ad app permission add --id "$client_id" --api "$GRAPH_APP_ID" --api-permissions "${missing[@]}" 2>"$tmp/permission.err" \
        || { cat "$tmp/permission.err" >&2; die "could not add the permissions (needs Application Administrator, Cloud Application Administrator, or ownership of the app)"; }
else
    say "Microsoft Graph permissions already requested"
fi

# --- 4. admin consent ----------------------------------------------------------
# Granted application permissions are app role assignments of our service
# principal on Microsoft Graph's; listing them shows what is granted.
granted() {
    az rest --method GET --uri "$graph_url/v1.0/servicePrincipals/$sp_id/appRoleAssignments" \
        --query "value[?resourceId=='$graph_sp_id'].appRoleId" -o tsv
}
ungranted() {
    local have
    have=$(granted)
    missing_from "$have" "${ROLE_IDS[*]}"
}
if $skip_consent; then
    say "skipping admin consent (--skip-consent): grant it in the portal before the first run"
else
    todo=$(ungranted)
    if [ -n "$todo" ]; then
        say "granting admin consent"
        : >"$tmp/consent.err"
        if [ -n "$extra" ]; then
            # admin-consent grants everything the app requests: only what this run asks for.
            say "  one permission at a time, as admin-consent would grant what was not asked for"
        else
            # admin-consent uses the portal's API and can lag behind a new app: retry, then
            # grant the remaining roles directly (POST appRoleAssignedTo, what consent does).
            for attempt in 1 2 3; do
                az ad app permission admin-consent --id "$client_id" 2>"$tmp/consent.err" && break
                [ "$attempt" -eq 3 ] || sleep "$retry_seconds"
            done
        fi
        for role in $(ungranted); do
            say "  granting $(role_name "$role") directly"
            az rest --method POST --uri "$graph_url/v1.0/servicePrincipals/$graph_sp_id/appRoleAssignedTo" \
                --headers Content-Type=application/json \
                --body "{\"principalId\": \"$sp_id\", \"resourceId\": \"$graph_sp_id\", \"appRoleId\": \"$role\"}" \
                -o none \
                || die "could not grant $(role_name "$role"): granting Microsoft Graph application permissions needs the Privileged Role Administrator or Global Administrator role$([ ! -s "$tmp/consent.err" ] || echo " ($(head -c 300 "$tmp/consent.err"))")"
        done
        todo=$(ungranted)
        [ -z "$todo" ] || die "admin consent is still missing for: $(for r in $todo; do printf '%s ' "$(role_name "$r")"; done)"
    fi
    say "admin consent granted: ${ROLE_NAMES[*]}"
fi

# --- 5. a new credential ---------------------------------------------------------
end_date() {
    # GNU date, then BSD/macOS date.
    date -u -d "+$days days" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -v "+${days}d" +%Y-%m-%dT%H:%M:%SZ
}
if $use_secret; then
    say "adding a client secret valid for $days days"
    # Straight into a private file: never in a variable, an argument or the terminal.
    az ad app credential reset --id "$client_id" --append --display-name "entra-archive $(date -u +%Y-%m-%d)" \
        --end-date "$(end_date)" --query password -o tsv >"$tmp/client_secret"
    [ -s "$tmp/client_secret" ] || die "az returned no client secret"
    jq -n --arg tenant_id "$tenant_id" --arg client_id "$client_id" --rawfile client_secret "$tmp/client_secret" \
        '{tenant_id: $tenant_id, client_id: $client_id, client_secret: ($client_secret | rtrimstr("\n"))}' \
        >"$tmp/secret.json"
else
    say "creating a self-signed certificate (RSA 2048, $days days) and adding its public part"
    cn=${name//\//-}
    openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days "$days" -subj "/CN=$cn" \
        -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/openssl.err" \
        || { cat "$tmp/openssl.err" >&2; die "openssl could not create the certificate"; }
    # --append keeps the existing credentials (without it, reset REPLACES them all).
    az ad app credential reset --id "$client_id" --append --cert "@$tmp/cert.pem" -o none
    thumbprint=$(openssl x509 -in "$tmp/cert.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :)
    say "certificate thumbprint (SHA-1) $thumbprint, expires $(openssl x509 -in "$tmp/cert.pem" -noout -enddate | cut -d= -f2)"
    jq -n --arg tenant_id "$tenant_id" --arg client_id "$client_id" \
        --rawfile certificate_pem "$tmp/cert.pem" --rawfile private_key_pem "$tmp/key.pem" \
        '{tenant_id: $tenant_id, client_id: $client_id, certificate_pem: $certificate_pem, private_key_pem: $private_key_pem}' \
        >"$tmp/secret.json"
fi

# --- 6. into Secrets Manager -------------------------------------------------------
stored() {
    cat >&2 <<EOF
register-app.sh: the credential was added to app $client_id but could NOT be stored in '$secret_id'.
Remove it in the Entra admin center (App registrations → $name → Certificates & secrets),
or list and delete it with 'az ad app credential list --id $client_id [--cert]' and
'az ad app credential delete --id $client_id --key-id <keyId> [--cert]', then run this again.
EOF
    exit 1
}
if $secret_exists; then
    say "writing the credentials to secret $secret_id"
    aws_sm put-secret-value --secret-id "$secret_id" --secret-string "file://$tmp/secret.json" \
        --query VersionId --output text >/dev/null || stored
else
    say "creating secret $secret_id with the credentials"
    aws_sm create-secret --name "$secret_id" ${kms_key_id:+--kms-key-id "$kms_key_id"} \
        --description "entra-archive: Entra ID app $client_id in tenant $tenant_id" \
        --secret-string "file://$tmp/secret.json" --query ARN --output text >"$tmp/arn" || stored
    secret_id=$(cat "$tmp/arn")
fi

cat <<EOF

Done. App '$name': client (application) id $client_id in tenant $tenant_id.
The secret $secret_id holds its $($use_secret && echo "client secret" || echo "certificate and private key") (valid $days days).

Next steps:
  - Deploy or update the stack with this secret (infra/template.yaml; see the README's "Deploy"),
    or try it from here:  ENTRA_SECRET_ID='$secret_id' entra-archive run --datasets directory_audits --dest ./archive
  - Sign-in logs and risk detections need an Entra ID P1/P2 licence; without one, set
    ARCHIVE_DATASETS=directory_audits,provisioning.
EOF
not_asked=
for i in "${!WITH_NAMES[@]}"; do
    [[ " ${wanted[*]} " == *" ${WITH_ROLES[$i]} "* ]] || not_asked+=${not_asked:+,}${WITH_NAMES[$i]}
done
[ -z "$not_asked" ] || cat <<EOF
  - custom_security_attribute_audits and network_access_traffic need permissions granted only when
    asked for: to archive them, run this again with --with $not_asked (or the one you need; see
    infra/entra/README.md for the roles).
EOF
cat <<EOF
  - Before the credential expires, run this script again (it adds a new credential and updates the
    secret), then remove the old credential under Certificates & secrets.
EOF
