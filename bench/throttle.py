"""End-to-end benchmark at Graph's throttle bound.

graph-sim enforces Graph's budget for /auditLogs (5 requests per sliding
10 s, 429 with Retry-After beyond it) and answers every data request after a
fixed latency; entra-archive runs with its default budget (5/10s) and
exports one busy hour of sign-ins (1,000 per page). The bound is 500
records/s (5 pages of 1,000 per 10 s); the report gives records/s achieved
over the whole run (token and start-up included), its ratio to the bound,
the requests made and the 429s received.

Usage: python bench/throttle.py [--records N] [--latency-ms MS ...] [--bin DIR]
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
BOUND = 500.0


def run(bin_dir, records, latency_ms):
    sim = subprocess.Popen(
        [f"{bin_dir}/graph-sim", "--seed", "3", "--signins", str(records), "--directory-audits", "1",
         "--from", "2026-11-21T23:00:00Z", "--to", "2026-11-22T00:00:00Z",
         "--rate-limit", "5/10s", "--page-delay-ms", str(latency_ms)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = sim.stdout.readline().strip()
    if not line.startswith("GRAPH_SIM_URL="):
        sim.kill()
        sys.exit(f"graph-sim did not start: {line!r}")
    url = line.split("=", 1)[1]
    work = tempfile.mkdtemp(prefix="entra-throttle-")
    try:
        env = dict(os.environ, ENTRA_TENANT_ID=TENANT, ENTRA_CLIENT_ID=CLIENT, ENTRA_CLIENT_SECRET=SECRET,
                   GRAPH_BASE_URL=url, ENTRA_LOGIN_URL=url, ARCHIVE_DEST=f"{work}/archive")
        code, out, err, wall, cpu, rss = measure(
            [f"{bin_dir}/entra-archive", "run", "-q", "--json", "--datasets", "signins",
             "--since", "2026-11-21T23:00:00Z", "--now", "2026-11-22T00:10:00Z"], env=env)
        if code != 0:
            sys.exit(f"entra-archive failed ({code}): {err}")
        d = json.loads(out)["datasets"][0]
        assert d["records"] == records, d
        return wall, cpu, rss, d
    finally:
        sim.kill()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=60_000)
    p.add_argument("--latency-ms", type=int, nargs="+", default=[300, 1500])
    p.add_argument("--bin", default="target/release")
    a = p.parse_args()
    print("| records | page latency | wall s | records/s | of the 500/s bound | requests | 429s | CPU s | peak RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for latency in a.latency_ms:
        wall, cpu, rss, d = run(a.bin, a.records, latency)
        rate = a.records / wall
        print(f"| {a.records:,} | {latency} ms | {wall:.1f} | {rate:.0f} | {rate / BOUND:.3f} | {d['pages']} "
              f"| {d['throttled']} | {cpu:.2f} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
