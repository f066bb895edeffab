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
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from simrun import export_signins  # noqa: E402

BOUND = 500.0


def run(bin_dir, records, latency_ms):
    return export_signins(bin_dir, records, "2026-11-21T23:00:00Z",
                          sim_args=["--seed", "3", "--rate-limit", "5/10s", "--page-delay-ms", str(latency_ms)])


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
