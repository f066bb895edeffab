"""Export benchmark: entra-archive against graph-sim on loopback.

Measures what the exporter itself costs (wall time, CPU, peak memory, bytes
written) for a given number of sign-ins, with graph-sim answering as fast as
it can (no throttling), so Graph's own speed is not part of the figure.

Usage: python bench/export.py [--records N ...] [--hours H] [--bin DIR]
Prints a Markdown table. Run through `make bench` (release build).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from measure import measure  # noqa: E402

TENANT = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5"
CLIENT = "0a1b2c3d-1111-4222-8333-444455556666"
SECRET = "sim~Secret.Value_0123456789abcdefABCDEF"
END = "2026-11-22T00:00:00Z"


def hours_before(hours):
    from datetime import datetime, timedelta, timezone
    end = datetime(2026, 11, 22, tzinfo=timezone.utc)
    return (end - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def start_sim(bin_dir, records, start):
    sim = subprocess.Popen(
        [f"{bin_dir}/graph-sim", "--seed", "7", "--signins", str(records), "--directory-audits", "1",
         "--from", start, "--to", END],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = sim.stdout.readline().strip()
    if not line.startswith("GRAPH_SIM_URL="):
        sim.kill()
        sys.exit(f"graph-sim did not start: {line!r}")
    return sim, line.split("=", 1)[1]


def run_once(bin_dir, records, hours):
    start = hours_before(hours)
    sim, url = start_sim(bin_dir, records, start)
    work = tempfile.mkdtemp(prefix="entra-bench-")
    try:
        env = dict(os.environ, ENTRA_TENANT_ID=TENANT, ENTRA_CLIENT_ID=CLIENT, ENTRA_CLIENT_SECRET=SECRET,
                   GRAPH_BASE_URL=url, ENTRA_LOGIN_URL=url, ARCHIVE_DEST=f"{work}/archive",
                   ARCHIVE_GRAPH_BUDGET="100000/1s")
        code, stdout, stderr, wall, cpu, rss = measure(
            [f"{bin_dir}/entra-archive", "run", "-q", "--json", "--datasets", "signins",
             "--since", start, "--now", "2026-11-22T00:10:00Z"], env=env)
        if code != 0:
            sys.exit(f"entra-archive failed ({code}): {stderr}")
        summary = json.loads(stdout)["datasets"][0]
        assert summary["records"] == records, summary
        return {
            "records": records, "hours": hours, "wall": wall, "cpu": cpu,
            "rss_mb": rss, "bytes": summary["bytes"], "files": summary["files"],
        }
    finally:
        sim.kill()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, nargs="+", default=[100_000])
    p.add_argument("--hours", type=int, nargs="+", default=[48, 1])
    p.add_argument("--bin", default="target/release")
    a = p.parse_args()
    print("| sign-ins | spread over | wall s | records/s | CPU s | peak RSS MB | Parquet bytes/record | files |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for records in a.records:
        for hours in a.hours:
            r = run_once(a.bin, records, hours)
            print(f"| {records:,} | {hours} h | {r['wall']:.2f} | {records / r['wall']:,.0f} | {r['cpu']:.2f} "
                  f"| {r['rss_mb']:.0f} | {r['bytes'] / records:.0f} | {r['files']} |", flush=True)


if __name__ == "__main__":
    main()
