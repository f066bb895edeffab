"""Export benchmark: entra-archive against graph-sim on loopback.

Measures what the exporter itself costs (wall time, CPU, peak memory, bytes
written) for a given number of sign-ins, with graph-sim answering as fast as
it can (no throttling), so Graph's own speed is not part of the figure.

Usage: python bench/export.py [--records N ...] [--hours H] [--bin DIR]
Prints a Markdown table. Run through `make bench` (release build).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from simrun import END, export_signins  # noqa: E402


def hours_before(hours):
    from datetime import datetime, timedelta, timezone
    end = datetime.fromisoformat(END.replace("Z", "+00:00"))
    return (end - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_once(bin_dir, records, hours):
    wall, cpu, rss, summary = export_signins(
        bin_dir, records, hours_before(hours), sim_args=["--seed", "7"], env={"ARCHIVE_GRAPH_BUDGET": "100000/1s"})
    return {"wall": wall, "cpu": cpu, "rss_mb": rss, "bytes": summary["bytes"], "files": summary["files"]}


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
