"""Import benchmark: the same records in order and shuffled (issue 14, finding 12).

For each N and each span of H hours, writes N realistic sign-ins (graph-sim's
generator, fixed seed; for 48 hours the same file as bench/convert.py) as
JSON Lines, oldest first, and a copy with the lines shuffled (seeded), then
imports each into a fresh archive, alternating, R rounds:

  entra-archive import --dataset signins --dest DIR FILE

Reports the median round's wall time, records/s and CPU seconds, the peak
RSS, the Parquet files written (in order: one per hour cell) and what was
left in the staging area (nothing, or the spill files leaked). Records out
of order wait in spill files in the staging area until their hour is
written, so a shuffled import also writes and reads its input once more.

Usage: python bench/import_order.py [--records N ...] [--hours H ...] [--rounds R] [--bin DIR] [--work DIR]
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from convert import TENANT, generate  # noqa: E402
from measure import measure  # noqa: E402


# In a process of its own, so this one stays small (a child's peak RSS
# counts what it shared with this process when it was forked).
SHUFFLE = """
import random, sys
with open(sys.argv[1]) as f:
    lines = f.readlines()
random.Random(int(sys.argv[3])).shuffle(lines)
with open(sys.argv[2], "w") as f:
    f.writelines(lines)
"""


def generate_hours(bin_dir, records, hours, path):
    """Like convert.generate, over `hours` from 2026-11-20T00:00:00Z."""
    if hours == 48:
        return generate(bin_dir, records, path)
    if os.path.exists(path):
        return
    start = datetime.datetime(2026, 11, 20, tzinfo=datetime.timezone.utc)
    end = start + datetime.timedelta(hours=hours)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    with open(path + ".partial", "w") as out:
        subprocess.run(
            [f"{bin_dir}/graph-sim", "--seed", "7", "--signins", str(records), "--directory-audits", "1",
             "--signins-noninteractive", "1", "--signins-service-principal", "1", "--signins-managed-identity", "1",
             "--provisioning", "1", "--risk-detections", "1",
             "--from", start.strftime(stamp), "--to", end.strftime(stamp), "--dump", "signins"],
            stdout=out, check=True)
    os.rename(path + ".partial", path)


def shuffle(path, out, seed=7):
    if not os.path.exists(out):
        subprocess.run([sys.executable, "-c", SHUFFLE, path, out + ".partial", str(seed)], check=True)
        os.rename(out + ".partial", out)


def run(bin_dir, path, work, records):
    dest = os.path.join(work, "archive")
    shutil.rmtree(dest, ignore_errors=True)
    code, out, err, wall, cpu, rss = measure(
        [f"{bin_dir}/entra-archive", "import", "--json", "--dataset", "signins", "--tenant-id", TENANT,
         "--dest", dest, path], env=dict(os.environ, RUST_LOG="warn"))
    if code != 0:
        sys.exit(f"entra-archive import failed ({code}): {err}")
    summary = json.loads(out)
    assert summary["imported"] == records, summary
    left = os.listdir(os.path.join(dest, "_staging"))
    shutil.rmtree(dest, ignore_errors=True)
    return wall, cpu, rss, summary["files"], len(left)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, nargs="+", default=[300_000])
    p.add_argument("--hours", type=int, nargs="+", default=[48])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--bin", default="target/release")
    p.add_argument("--work", default=None, help="folder for the input files (kept) and outputs")
    a = p.parse_args()
    work = a.work or os.path.join(tempfile.gettempdir(), "entra-archive-bench")
    os.makedirs(work, exist_ok=True)
    print("| records | hours | input | files | wall s | records/s | CPU s | peak RSS MiB | left in staging |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for records, hours in [(r, h) for r in a.records for h in a.hours]:
        name = f"signins-{records}" if hours == 48 else f"signins-{records}-{hours}h"
        ordered = os.path.join(work, f"{name}.jsonl")
        generate_hours(a.bin, records, hours, ordered)
        shuffled = os.path.join(work, f"{name}-shuffled.jsonl")
        shuffle(ordered, shuffled)
        runs = {"in order": [], "shuffled": []}
        for _ in range(a.rounds):
            runs["in order"].append(run(a.bin, ordered, work, records))
            runs["shuffled"].append(run(a.bin, shuffled, work, records))
        for order, results in runs.items():
            wall = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            rss = max(r[2] for r in results)
            files = max(r[3] for r in results)
            left = max(r[4] for r in results)
            print(f"| {records:,} | {hours} | {order} | {files} | {wall:.2f} | {records / wall:,.0f} | {cpu:.2f} | {rss:.0f} "
                  f"| {left} |", flush=True)
    size = os.path.getsize(ordered) / 1e6
    print(f"\nInput: JSON Lines in {work} ({size:,.0f} MB for {records:,} records); "
          f"{os.cpu_count()} CPUs; median of {a.rounds} alternating rounds.")


if __name__ == "__main__":
    main()
