"""Compaction: files, bytes and DuckDB query times before and after `entra-archive compact`.

For a small (200 users) and a mid (10,000 users) tenant at the README's
per-user volumes (7 interactive sign-ins and 1 directory audit per user and
day), graph-sim dumps 30 days of records following a working week
(`--diurnal`); `entra-archive import` writes them as an hourly archive (one
file per dataset and hour cell, as hourly runs do), the checkpoints are set
to the end, and `compact` merges every sealed day (29 of the 30; the last
is within the overlap). Before and after: the data files, their bytes, and
the median wall time of three typical DuckDB queries over them (five runs
each, local disk). Compaction's own speed (rows/s) and peak RSS are measured
on those archives and on a dense day (1,000,000 sign-ins in one day, some
42,000 an hour) that exercises the windowed in-memory sort.

Usage: python bench/compact.py [--shapes small mid dense] [--bin DIR] [--python PY]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from measure import measure  # noqa: E402
from simrun import TENANT  # noqa: E402

DAYS = 30
START = "2026-10-23T00:00:00Z"
END = "2026-11-22T00:00:00Z"
PER_USER_DAY = {"signins": 7, "directory_audits": 1}
SHAPES = {"small": 200, "mid": 10_000}

QUERIES = {
    "sign-ins per day": """
        SELECT date, count(*) AS n FROM read_parquet('{a}/signins/**/*.parquet', hive_partitioning = true)
        GROUP BY date ORDER BY date""",
    "top failing users, 7 days": """
        SELECT user_principal_name, count(*) AS failures
        FROM read_parquet('{a}/signins/**/*.parquet', hive_partitioning = true)
        WHERE date >= DATE '2026-11-15' AND status.error_code <> 0
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20""",
    "one user's audit trail": """
        SELECT activity_date_time, activity_display_name, result
        FROM read_parquet('{a}/directory_audits/**/*.parquet', hive_partitioning = true)
        WHERE initiated_by.user.user_principal_name = (
            SELECT min(initiated_by.user.user_principal_name)
            FROM read_parquet('{a}/directory_audits/**/*.parquet', hive_partitioning = true))
        ORDER BY 1, 2, 3""",
}

TIMER = """
import duckdb, hashlib, json, statistics, sys, time
archive, queries = sys.argv[1], json.loads(sys.argv[2])
out = {}
for name, sql in queries.items():
    times = []
    for _ in range(5):
        con = duckdb.connect()
        t0 = time.perf_counter()
        rows = con.sql(sql.format(a=archive)).fetchall()
        times.append(time.perf_counter() - t0)
        con.close()
    out[name] = [statistics.median(times), len(rows), hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()]
print(json.dumps(out))
"""


def dump(bin_dir, dataset, counts, start, end, path):
    args = [f"{bin_dir}/graph-sim", "--seed", "17", "--diurnal", "--from", start, "--to", end, "--dump", dataset]
    for name in ["signins", "directory-audits", "signins-noninteractive", "signins-service-principal",
                 "signins-managed-identity", "provisioning", "risk-detections"]:
        args += [f"--{name}", str(counts.get(name.replace("-", "_"), 1))]
    with open(path, "w") as out:
        subprocess.run(args, stdout=out, check=True)


def entra(bin_dir, *args):
    code, out, err, wall, cpu, rss = measure([f"{bin_dir}/entra-archive", *args],
                                             env=dict(os.environ, RUST_LOG="warn"))
    if code != 0:
        sys.exit(f"entra-archive {args[0]} failed ({code}): {err[-2000:]}\n{out[-2000:]}")
    return out, wall, cpu, rss


def build(bin_dir, work, counts, start, end, checkpoint):
    archive = os.path.join(work, "archive")
    for dataset in counts:
        path = os.path.join(work, f"{dataset}.jsonl")
        dump(bin_dir, dataset, counts, start, end, path)
        entra(bin_dir, "import", "--json", "--dataset", dataset, "--tenant-id", TENANT, "--dest", archive, path)
        os.remove(path)
        entra(bin_dir, "checkpoint", "--tenant-id", TENANT, "--dest", archive, "--dataset", dataset,
              "--set", checkpoint)
    return archive


def files_and_bytes(archive):
    files = total = 0
    for dataset in PER_USER_DAY:
        for root, _, names in os.walk(os.path.join(archive, dataset)):
            for name in names:
                if name.endswith(".parquet"):
                    files += 1
                    total += os.path.getsize(os.path.join(root, name))
    return files, total


def query_times(python, archive):
    out = subprocess.run([python, "-c", TIMER, archive, json.dumps(QUERIES)], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)


def compact(bin_dir, archive):
    out, wall, cpu, rss = entra(bin_dir, "compact", "--json", "--dest", archive)
    summary = json.loads(out)
    rows = sum(d["rows"] for d in summary["datasets"])
    days = sum(d["days"] for d in summary["datasets"])
    return rows, days, wall, cpu, rss


def verify(bin_dir, archive):
    out, *_ = entra(bin_dir, "verify", "--json", "--dest", archive)
    assert json.loads(out)["clean"], out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shapes", nargs="+", default=[*SHAPES, "dense"], choices=[*SHAPES, "dense"])
    p.add_argument("--bin", default="target/release")
    p.add_argument("--python", default=sys.executable)
    a = p.parse_args()

    speed = []
    for shape in [s for s in a.shapes if s in SHAPES]:
        users = SHAPES[shape]
        counts = {name: users * per * DAYS for name, per in PER_USER_DAY.items()}
        work = tempfile.mkdtemp(prefix="entra-compact-")
        try:
            archive = build(a.bin, work, counts, START, END, END)
            files0, bytes0 = files_and_bytes(archive)
            before = query_times(a.python, archive)
            rows, days, wall, cpu, rss = compact(a.bin, archive)
            files1, bytes1 = files_and_bytes(archive)
            after = query_times(a.python, archive)
            verify(a.bin, archive)
            for name in QUERIES:
                assert before[name][1:] == after[name][1:], (name, before[name], after[name])
            records = sum(counts.values())
            print(f"\n{shape} ({users:,} users, {records:,} sign-ins and audits over {DAYS} days, "
                  f"{days} dataset-days compacted):\n")
            print("| | data files | bytes | " + " | ".join(f"DuckDB: {q} (ms)" for q in QUERIES) + " |")
            print("|---|---:|---:|" + "---:|" * len(QUERIES))
            for label, (files, size, times) in [("hourly (before)", (files0, bytes0, before)),
                                                ("compacted (after)", (files1, bytes1, after))]:
                cells = " | ".join(f"{times[q][0] * 1000:.1f}" for q in QUERIES)
                print(f"| {label} | {files:,} | {size / 2**20:.1f} MiB | {cells} |", flush=True)
            speed.append((shape, rows, wall, cpu, rss))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    if "dense" in a.shapes:
        work = tempfile.mkdtemp(prefix="entra-compact-")
        try:
            counts = {"signins": 1_000_000, "directory_audits": 1}
            archive = build(a.bin, work, counts, "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z",
                            "2026-11-22T00:00:00Z")
            rows, days, wall, cpu, rss = compact(a.bin, archive)
            verify(a.bin, archive)
            speed.append(("dense (1,000,000 sign-ins in one day)", rows, wall, cpu, rss))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    print("\nCompaction itself (`entra-archive compact`, local disk):\n")
    print("| archive | rows rewritten | wall s | rows/s | CPU s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for shape, rows, wall, cpu, rss in speed:
        print(f"| {shape} | {rows:,} | {wall:.2f} | {rows / wall:,.0f} | {cpu:.2f} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
