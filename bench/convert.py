"""Conversion benchmark: `entra-archive import` against DuckDB, JSON Lines → zstd Parquet.

For each N, writes N realistic sign-ins (graph-sim's generator, fixed seed,
spread over 48 hours) as JSON Lines once, then converts the same file with
both tools, alternating, R rounds each, on the same machine:

  entra-archive import --dataset signins --dest DIR FILE
  DuckDB (Python package): COPY (SELECT * FROM read_json(FILE,
      format='newline_delimited')) TO OUT (FORMAT parquet, COMPRESSION zstd)

Reports the median round's records/s, CPU seconds and peak RSS of each (the
DuckDB figure includes its Python interpreter, ~30 MB), and the ratios.
entra-archive writes more than DuckDB does: typed columns *and* each record's
exact JSON (`raw`), per-hour files, manifests, fsync.

Usage: python bench/convert.py [--records N ...] [--rounds R] [--bin DIR] [--work DIR]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from measure import measure  # noqa: E402

TENANT = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5"
DUCKDB = """
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute("COPY (SELECT * FROM read_json(?, format='newline_delimited')) TO '" + sys.argv[2].replace("'", "''")
            + "' (FORMAT parquet, COMPRESSION zstd)", [sys.argv[1]])
print(con.execute("SELECT count(*) FROM read_parquet(?)", [sys.argv[2]]).fetchone()[0])
"""


def generate(bin_dir, records, path):
    if os.path.exists(path):
        return
    with open(path + ".partial", "w") as out:
        subprocess.run(
            [f"{bin_dir}/graph-sim", "--seed", "7", "--signins", str(records), "--directory-audits", "1",
             "--signins-noninteractive", "1", "--signins-service-principal", "1", "--signins-managed-identity", "1",
             "--provisioning", "1", "--risk-detections", "1",
             "--from", "2026-11-20T00:00:00Z", "--to", "2026-11-22T00:00:00Z", "--dump", "signins"],
            stdout=out, check=True)
    os.rename(path + ".partial", path)


def ours(bin_dir, path, work, records):
    dest = os.path.join(work, "archive")
    shutil.rmtree(dest, ignore_errors=True)
    code, out, err, wall, cpu, rss = measure(
        [f"{bin_dir}/entra-archive", "import", "--json", "--dataset", "signins", "--tenant-id", TENANT,
         "--dest", dest, path], env=dict(os.environ, RUST_LOG="warn"))
    if code != 0:
        sys.exit(f"entra-archive import failed ({code}): {err}")
    import json
    summary = json.loads(out)
    assert summary["imported"] == records, summary
    shutil.rmtree(dest, ignore_errors=True)
    return wall, cpu, rss, summary["bytes"]


def duckdb(python, path, work, records):
    out_file = os.path.join(work, "duckdb.parquet")
    code, out, err, wall, cpu, rss = measure([python, "-c", DUCKDB, path, out_file])
    if code != 0:
        sys.exit(f"DuckDB failed ({code}): {err}")
    assert int(out.strip()) == records, out
    size = os.path.getsize(out_file)
    os.remove(out_file)
    return wall, cpu, rss, size


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--bin", default="target/release")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--work", default=None, help="folder for the input files (kept) and outputs")
    a = p.parse_args()
    work = a.work or os.path.join(tempfile.gettempdir(), "entra-archive-bench")
    os.makedirs(work, exist_ok=True)
    print("| records | tool | wall s | records/s | CPU s | peak RSS MiB | output MB |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    ratios = []
    for records in a.records:
        path = os.path.join(work, f"signins-{records}.jsonl")
        generate(a.bin, records, path)
        runs = {"entra-archive import": [], "DuckDB COPY": []}
        for _ in range(a.rounds):
            runs["entra-archive import"].append(ours(a.bin, path, work, records))
            runs["DuckDB COPY"].append(duckdb(a.python, path, work, records))
        medians = {}
        for tool, results in runs.items():
            wall = statistics.median(r[0] for r in results)
            m = {"wall": wall, "cpu": statistics.median(r[1] for r in results),
                 "rss": max(r[2] for r in results), "bytes": results[0][3]}
            medians[tool] = m
            print(f"| {records:,} | {tool} | {wall:.2f} | {records / wall:,.0f} | {m['cpu']:.2f} | {m['rss']:.0f} "
                  f"| {m['bytes'] / 1e6:.1f} |", flush=True)
        o, d = medians["entra-archive import"], medians["DuckDB COPY"]
        ratios.append((records, d["wall"] / o["wall"], o["rss"] / d["rss"]))
    print()
    print("| records | speed vs DuckDB (target ≥ 1.5×) | peak memory vs DuckDB (target ≤ 0.5×) |")
    print("|---:|---:|---:|")
    for records, speed, memory in ratios:
        print(f"| {records:,} | {speed:.2f}× | {memory:.2f}× |")
    print(f"\nInput: JSON Lines in {work}; {os.cpu_count()} CPUs; median of {a.rounds} alternating rounds.")


if __name__ == "__main__":
    main()
