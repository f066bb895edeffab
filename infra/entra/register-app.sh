#!/usr/bin/env bash
# Registers the Entra ID application entra-archive signs in as, and gives it a
# credential: a certificate or client secret stored in AWS Secrets Manager for
# the Lambda function (or the CLI's --secret-id) to read, or, with --federation,
# no secret at all: a federated identity credential that trusts the tokens AWS
# STS issues about the function's IAM role (outbound identity federation).
#
#   1. finds the app registration by display name, or creates it (single tenant);
#      with --client-id, uses that existing app;
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
# With --federation --issuer URL --subject ROLE_ARN, steps 5 and 6 are instead:
#   5. adds a federated identity credential (Microsoft Graph, at most 20 per app)
#      with that issuer, subject and audience (api://AzureADTokenExchange unless
#      --audience), unless one with the same issuer and subject is there already;
#   6. prints the function's settings: ENTRA_CREDENTIAL=aws-federation,
#      ENTRA_TENANT_ID, ENTRA_CLIENT_ID. Nothing is written to AWS.
# With --app-only, it stops after step 4 and prints the tenant and client ids
# (for a stack that needs ClientId before the credential can be added).
#
# Running it again reuses the app and its permissions and adds a NEW
# certificate or secret (existing ones are kept): that is how to rotate. A
# federated credential is added once and needs no rotation. It never removes a
# permission, and never grants one it was not asked for in this run (a run
# without --with leaves those of an earlier --with as they are). Secret material is never
# printed or passed on a command line; it lives only in a private temporary
# directory, removed on exit.
#
# Needs: az (signed in to the tenant: `az login --tenant <tenant>`), jq 1.6+,
# and, unless --federation or --app-only, aws (with credentials for the
# secret's account) and openssl. See README.md.
set -euo pipefail
umask 077

usage() {
    cat <<'EOF'
Usage: infra/entra/register-app.sh --secret-id <arn-or-name> [options]
       infra/entra/register-app.sh --federation --issuer <url> --subject <role arn> [options]
       infra/entra/register-app.sh --app-only [options]

  --secret-id ID      Secrets Manager secret (ARN or name) to write the credentials to.
                      A name that does not exist yet is created.     [env ENTRA_SECRET_ID]
  --federation        No secret: add a federated identity credential that trusts AWS STS's
                      tokens about an IAM role (the function's), and print the settings
                      (ENTRA_CREDENTIAL=aws-federation). Writes nothing to AWS.
    --issuer URL      The AWS account's outbound identity federation issuer
                      (aws iam get-outbound-web-identity-federation-info; the stack's
                      output FederationIssuer): https://<id>.tokens.sts.global.api.aws
    --subject ARN     The role's ARN, arn:aws:iam::<account>:role/<name> (the stack's
                      output FederationSubject).
    --audience AUD    api://AzureADTokenExchange (default), or for US Government and China
                      api://AzureADTokenExchangeUSGov, api://AzureADTokenExchangeChina.
    --credential-name NAME
                      Name of the federated credential (default aws-<account>-<role name>).
  --app-only          Only the app, its permissions and consent; no credential. Prints the
                      tenant and client ids (the template's TenantId and ClientId).
  --client-id GUID    Use the existing app with this Application (client) ID, not --name.
  --tenant-id GUID    Refuse unless az is signed in to this tenant.
  --name NAME         Display name of the app registration.          [env ENTRA_APP_NAME, default entra-archive]
  --days N            Validity of a new certificate or secret, days. [env ENTRA_CREDENTIAL_DAYS, default 365]
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
# secret (a certificate or client secret into Secrets Manager), federation or app-only.
mode=secret
issuer='' subject='' audience='' fic_name=''
want_client='' want_tenant=''
# Options of the secret mode given on the command line (refused in the others).
secret_options=()
AUDIENCES=(api://AzureADTokenExchange api://AzureADTokenExchangeUSGov api://AzureADTokenExchangeChina)
# Entra's limit of federated identity credentials per app.
MAX_FEDERATED=20
# Pause between retries while Entra replicates a new app (the offline test sets 0).
retry_seconds=${REGISTER_APP_RETRY_SECONDS:-10}

die() { echo "register-app.sh: $*" >&2; exit 1; }
say() { echo "== $*"; }

while [ $# -gt 0 ]; do
    case $1 in
        --secret-id) secret_id=${2:?--secret-id needs a value}; secret_options+=("$1"); shift 2 ;;
        --name) name=${2:?--name needs a value}; shift 2 ;;
        --days) days=${2:?--days needs a value}; secret_options+=("$1"); shift 2 ;;
        --secret | --client-secret) use_secret=true; secret_options+=("$1"); shift ;;
        --kms-key-id) kms_key_id=${2:?--kms-key-id needs a value}; secret_options+=("$1"); shift 2 ;;
        --region) region=${2:?--region needs a value}; secret_options+=("$1"); shift 2 ;;
        --federation | --app-only)
            [ "$mode" = secret ] || [ "$mode" = "${1#--}" ] || die "--federation and --app-only exclude each other"
            mode=${1#--}; shift ;;
        --issuer) issuer=${2?--issuer needs a value}; shift 2 ;;
        --subject) subject=${2?--subject needs a value}; shift 2 ;;
        --audience) audience=${2?--audience needs a value}; shift 2 ;;
        --credential-name) fic_name=${2?--credential-name needs a value}; shift 2 ;;
        --client-id) want_client=${2:?--client-id needs a value}; shift 2 ;;
        --tenant-id) want_tenant=${2:?--tenant-id needs a value}; shift 2 ;;
        --skip-consent) skip_consent=true; shift ;;
        --with) with+=${with:+,}${2:?--with needs a value}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

GUID='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
[ -z "$want_client" ] || [[ $want_client =~ $GUID ]] || die "--client-id must be the app's Application (client) ID, a GUID, got '$want_client'"
[ -z "$want_tenant" ] || [[ $want_tenant =~ $GUID ]] || die "--tenant-id must be the Directory (tenant) ID, a GUID, got '$want_tenant'"
case $mode in
    secret)
        for given in "$issuer:--issuer" "$subject:--subject" "$audience:--audience" "$fic_name:--credential-name"; do
            [ -z "${given%:--*}" ] || die "${given##*:} goes with --federation"
        done
        [ -n "$secret_id" ] || { usage >&2; die "--secret-id (or ENTRA_SECRET_ID) is required, unless --federation or --app-only"; }
        [[ $days =~ ^[0-9]+$ ]] && [ "$days" -ge 1 ] && [ "$days" -le 730 ] \
            || die "--days must be a whole number of days from 1 to 730 (Entra's recommended maximum for secrets is 730), got '$days'"
        ;;
    app-only)
        [ ${#secret_options[@]} -eq 0 ] || die "${secret_options[*]}: not with --app-only, which adds no credential"
        for given in "$issuer:--issuer" "$subject:--subject" "$audience:--audience" "$fic_name:--credential-name"; do
            [ -z "${given%:--*}" ] || die "${given##*:} goes with --federation, not --app-only"
        done
        ;;
    federation)
        [ ${#secret_options[@]} -eq 0 ] \
            || die "${secret_options[*]}: not with --federation, which adds no certificate or secret and writes no Secrets Manager secret"
        [ -n "$issuer" ] \
            || die "--federation needs --issuer: the AWS account's issuer URL (aws iam get-outbound-web-identity-federation-info --query IssuerIdentifier --output text)"
        # Entra compares the token's iss with this exactly; AWS's has no path and no trailing slash.
        [[ $issuer =~ ^https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/[A-Za-z0-9._~-]+)*$ ]] && [ ${#issuer} -le 600 ] \
            || die "--issuer must be an https URL without a trailing slash, as AWS prints it (https://<id>.tokens.sts.global.api.aws), got '$issuer'"
        [ -n "$subject" ] || die "--federation needs --subject: the ARN of the IAM role the function runs as (the stack's output FederationSubject)"
        [[ ! $subject =~ ^arn:aws[a-z-]*:sts::[0-9]{12}:assumed-role/ ]] \
            || die "--subject must be the role's ARN (arn:aws:iam::<account>:role/<name>), which is the token's sub, not a session's: $subject"
        [[ $subject =~ ^arn:aws(-[a-z]+)*:iam::([0-9]{12}):role/([A-Za-z0-9+=,.@_/-]+)$ ]] && [ ${#subject} -le 600 ] \
            || die "--subject must be an IAM role's ARN, arn:aws:iam::<account>:role/<name>, got '$subject'"
        account=${BASH_REMATCH[2]} role_path=${BASH_REMATCH[3]}
        audience=${audience:-${AUDIENCES[0]}}
        [[ " ${AUDIENCES[*]} " == *" $audience "* ]] \
            || die "--audience must be Entra's token exchange audience of the tenant's cloud: $(printf '%s, ' "${AUDIENCES[@]}" | sed 's/, $//'); got '$audience'"
        # URL friendly, 3 to 120 characters, the first alphanumeric (Microsoft Graph).
        fic_name=${fic_name:-$(printf 'aws-%s-%s' "$account" "$role_path" | tr -c 'A-Za-z0-9_-' '-' | cut -c1-120)}
        [[ $fic_name =~ ^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$ ]] \
            || die "--credential-name must be 3 to 120 letters, digits, '-' or '_', the first a letter or digit, got '$fic_name'"
        ;;
esac
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
tools=(az jq)
[ "$mode" != secret ] || tools+=(aws openssl)
for tool in "${tools[@]}"; do
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
if [ -n "$want_tenant" ] && [ "$(tr 'A-F' 'a-f' <<<"$tenant_id")" != "$(tr 'A-F' 'a-f' <<<"$want_tenant")" ]; then
    die "az is signed in to tenant $tenant_id, not $want_tenant: run 'az login --tenant $want_tenant --allow-no-subscriptions'"
fi
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
if [ "$mode" = secret ] && ! aws_sm describe-secret --secret-id "$secret_id" --query ARN --output text >"$tmp/describe" 2>"$tmp/describe.err"; then
    if grep -q ResourceNotFoundException "$tmp/describe.err" && [[ $secret_id != arn:* ]]; then
        secret_exists=false
    else
        cat "$tmp/describe.err" >&2
        die "cannot read secret '$secret_id' with the AWS CLI (check AWS credentials, region, and secretsmanager:DescribeSecret)"
    fi
fi

# --- 1. the app registration --------------------------------------------------
if [ -n "$want_client" ]; then
    az ad app show --id "$want_client" -o json >"$tmp/app.json" 2>"$tmp/app.err" \
        || { cat "$tmp/app.err" >&2; die "no app registration with Application (client) ID $want_client in tenant $tenant_id"; }
    apps=$(jq -r .appId "$tmp/app.json")
    name=$(jq -r .displayName "$tmp/app.json")
else
    # OData string literals double their single quotes.
    filter="displayName eq '${name//\'/\'\'}'"
    apps=$(az ad app list --filter "$filter" --query "[].appId" -o tsv)
fi
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

# Optional permissions not asked for, and what the tenant needs: said at the end.
not_asked=
for i in "${!WITH_NAMES[@]}"; do
    [[ " ${wanted[*]} " == *" ${WITH_ROLES[$i]} "* ]] || not_asked+=${not_asked:+,}${WITH_NAMES[$i]}
done
licence_and_with() {
    cat <<EOF
  - Sign-in logs and risk detections need an Entra ID P1/P2 licence; without one, set
    ARCHIVE_DATASETS=directory_audits,provisioning.
EOF
    [ -z "$not_asked" ] || cat <<EOF
  - custom_security_attribute_audits and network_access_traffic need permissions granted only when
    asked for: to archive them, run this again with --with $not_asked (or the one you need; see
    infra/entra/README.md for the roles).
EOF
}

if [ "$mode" = app-only ]; then
    cat <<EOF

Done. App '$name': client (application) id $client_id in tenant $tenant_id; no credential added.
  TenantId=$tenant_id ClientId=$client_id

Next steps:
  - For Credential=federation: deploy infra/template.yaml with Credential=federation
    TenantId=$tenant_id ClientId=$client_id FederationIssuer=<the account's issuer URL>, then run
    the stack's output RegisterAppCommand (this script with --federation) to add the credential.
  - Or add a certificate or client secret: run this again with --secret-id.
EOF
    licence_and_with
    exit 0
fi

# --- 5 and 6 with --federation: a federated identity credential, no secret ---------
if [ "$mode" = federation ]; then
    object_id=$(az ad app show --id "$client_id" --query id -o tsv)
    fics_url="$graph_url/v1.0/applications/$object_id/federatedIdentityCredentials"
    az rest --method GET --uri "$fics_url" -o json >"$tmp/fics.json" \
        || die "could not list the app's federated identity credentials"
    same=$(jq -c --arg i "$issuer" --arg s "$subject" \
        'first(.value[] | select(.issuer == $i and .subject == $s)) // empty' "$tmp/fics.json")
    if [ -n "$same" ]; then
        fic_name=$(jq -r .name <<<"$same")
        [ "$(jq -c .audiences <<<"$same")" = "$(jq -nc --arg a "$audience" '[$a]')" ] \
            || die "the federated credential '$fic_name' trusts this issuer and subject for audiences $(jq -c .audiences <<<"$same"), not $audience; an issuer and subject appear once per app, so change its audience under Certificates & secrets → Federated credentials (or delete it and run this again)"
        say "federated credential '$fic_name' already trusts $issuer about $subject (audience $audience): kept"
    else
        clash=$(jq -c --arg n "$fic_name" 'first(.value[] | select(.name == $n)) // empty' "$tmp/fics.json")
        [ -z "$clash" ] \
            || die "a federated credential named '$fic_name' exists with other values (issuer $(jq -r .issuer <<<"$clash"), subject $(jq -r .subject <<<"$clash")): if it is stale (the stack recreated, its role renamed), delete it under Certificates & secrets → Federated credentials; else pass --credential-name"
        count=$(jq '.value | length' "$tmp/fics.json")
        [ "$count" -lt "$MAX_FEDERATED" ] \
            || die "the app has $count federated identity credentials, the most Entra allows: delete one it no longer needs under Certificates & secrets → Federated credentials"
        say "adding federated credential '$fic_name': issuer $issuer, subject $subject, audience $audience"
        body=$(jq -nc --arg name "$fic_name" --arg issuer "$issuer" --arg subject "$subject" --arg audience "$audience" \
            '{name: $name, issuer: $issuer, subject: $subject, audiences: [$audience],
              description: "entra-archive: AWS STS web identity tokens about \($subject) (outbound identity federation)"}')
        az rest --method POST --uri "$fics_url" --headers Content-Type=application/json --body "$body" -o none \
            || die "could not add the federated credential (needs Application Administrator, Cloud Application Administrator, or ownership of the app)"
    fi
    cat <<EOF

Done. App '$name': client (application) id $client_id in tenant $tenant_id.
Its federated credential '$fic_name' trusts tokens from $issuer about $subject (audience $audience).
No certificate or secret was made, and nothing was stored.

The function's settings (plain values, not secrets):
  ENTRA_CREDENTIAL=aws-federation
  ENTRA_TENANT_ID=$tenant_id
  ENTRA_CLIENT_ID=$client_id
EOF
    [ "$audience" = "${AUDIENCES[0]}" ] || echo "  ENTRA_FEDERATION_AUDIENCE=$audience"
    cat <<EOF
or, for infra/template.yaml: Credential=federation TenantId=$tenant_id ClientId=$client_id FederationIssuer=$issuer

Next steps:
  - Check it from the function (Entra may take a moment to know a new federated credential):
      aws lambda invoke --function-name <FunctionName> --cli-binary-format raw-in-base64-out \\
          --payload '{"action":"doctor"}' doctor.json && cat doctor.json
EOF
    licence_and_with
    exit 0
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
EOF
licence_and_with
cat <<EOF
  - Before the credential expires, run this script again (it adds a new credential and updates the
    secret), then remove the old credential under Certificates & secrets.
EOF
