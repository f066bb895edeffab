#!/usr/bin/env bash
# make demo: start graph-sim (a local stand-in for Microsoft Graph and the
# Entra token endpoint) on loopback, export its logs into ./archive with
# entra-archive, run again to show the incremental pass, and read a few rows
# back with DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=target/debug
PYTHON=${PYTHON:-.venv/bin/python}
ARCHIVE=${ARCHIVE_DEST:-./archive}
# A new seed per minute: each demo is a fresh day of activity with new ids.
SEED=$(( $(date +%s) / 60 ))

log=$(mktemp)
"$BIN/graph-sim" --seed "$SEED" --signins 4000 --directory-audits 1500 > "$log.out" 2> "$log" &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$log" "$log.out"' EXIT
for _ in $(seq 50); do grep -q GRAPH_SIM_URL "$log.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^GRAPH_SIM_URL=//p' "$log.out")
[ -n "$url" ] || { echo "graph-sim did not start:"; cat "$log"; exit 1; }

# graph-sim's built-in tenant, app and secret (see `graph-sim --help`).
export ENTRA_TENANT_ID=6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5
export ENTRA_CLIENT_ID=0a1b2c3d-1111-4222-8333-444455556666
export ENTRA_CLIENT_SECRET='sim~Secret.Value_0123456789abcdefABCDEF'
export GRAPH_BASE_URL=$url ENTRA_LOGIN_URL=$url ARCHIVE_DEST=$ARCHIVE
# graph-sim is local: no need to pace under Graph's 5 requests per 10 seconds
# (or identityProtection's 1 per second).
export ARCHIVE_GRAPH_BUDGET=1000/1s ARCHIVE_IDENTITY_PROTECTION_BUDGET=1000/1s

echo "== graph-sim is Microsoft Graph at $url (48 hours of every activity log, seed $SEED)"
echo "== entra-archive run  (first pass: everything Graph still holds, up to now − 10 min)"
"$BIN/entra-archive" run
echo
echo "== entra-archive run  (second pass: re-reads the last hour, finds nothing new)"
"$BIN/entra-archive" run -q
echo
echo "== the archive"
find "$ARCHIVE" -name '*.parquet' | sort | sed -n '1,3p;$p' | sed 's/^/   /'
echo "   … $(find "$ARCHIVE" -name '*.parquet' | wc -l) Parquet files, $(du -sh "$ARCHIVE" | cut -f1)"
echo
echo "== DuckDB reads it back"
"$PYTHON" - "$ARCHIVE" <<'PY'
import sys, duckdb
a = sys.argv[1]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
def show(title, sql):
    print(f"-- {title}")
    print(con.sql(sql))
show("latest sign-ins", f"""
    SELECT created_date_time, user_principal_name, app_display_name, ip_address,
           status.error_code AS error, location.country_or_region AS country
    FROM read_parquet('{a}/signins/**/*.parquet', hive_partitioning = true)
    ORDER BY created_date_time DESC LIMIT 5""")
show("failed sign-ins per user", f"""
    SELECT user_principal_name, count(*) AS failures, any_value(status.failure_reason) AS example
    FROM read_parquet('{a}/signins/**/*.parquet', hive_partitioning = true)
    WHERE status.error_code <> 0 GROUP BY ALL ORDER BY failures DESC LIMIT 5""")
show("service principals signing in, by credential type (beta sign-ins)", f"""
    SELECT service_principal_name, client_credential_type, count(*) AS sign_ins,
           count(*) FILTER (WHERE status.error_code <> 0) AS failures
    FROM read_parquet('{a}/signins_service_principal/**/*.parquet', hive_partitioning = true)
    GROUP BY ALL ORDER BY sign_ins DESC LIMIT 5""")
show("risk detections, latest state of each", f"""
    SELECT risk_event_type, risk_state, count(*) AS detections
    FROM (SELECT * FROM read_parquet('{a}/risk_detections/**/*.parquet', hive_partitioning = true)
          QUALIFY row_number() OVER (PARTITION BY id ORDER BY last_updated_date_time DESC) = 1)
    GROUP BY ALL ORDER BY detections DESC LIMIT 5""")
show("audit events by initiating user", f"""
    SELECT initiated_by.user.user_principal_name AS initiated_by, activity_display_name, count(*) AS events
    FROM read_parquet('{a}/directory_audits/**/*.parquet', hive_partitioning = true)
    WHERE initiated_by.user.user_principal_name IS NOT NULL
    GROUP BY ALL ORDER BY events DESC LIMIT 5""")
PY
