"""Graph requests per run against the minimum, and the time they take at Graph's budget.

Graph's budget counts requests, whatever they return (5 per 10 s per app and
tenant for /auditLogs; 1 per second for identity protection), so the time a
run takes at the budget is its request count. For three tenant shapes —
small (200 users), mid (10,000: the README's cost volumes), large (200,000:
hourly runs near the budget's bound) — graph-sim holds 30 days and one hour
of the seven default datasets at the README's per-user volumes, their times
following a working week (`--diurnal`); `entra-archive run` makes a 30-day
first run, then an hourly incremental run an hour later.

Each shape is scaled down by a factor `s`: records ÷ s and graph-sim's pages
÷ s (`--max-page-size`), so every query holds the same number of pages as at
full scale and the request counts are those of the full-size tenant with a
fraction of the records to generate. The minimum for a run is, per dataset,
Σ ceil(records in its window / page size) (one request for an empty window),
counted from the archive itself (which holds exactly Graph's records: the
integration tests prove it) over the window each dataset reports.

Requests are measured with an unlimited budget. The time at the real budget
is then requests × the pacer's interval (10.2 s / 5 for /auditLogs, shared by
its six datasets; 1 s for risk detections); `--real` runs the small shape at
the real budget (graph-sim enforcing 5/10 s and 1/s, pages answered after
`--latency-ms`) and reports the measured wall time beside the model's.

Usage: python bench/requests.py [--shapes small mid large] [--real] [--latency-ms MS] [--bin DIR]
"""
import argparse
import glob
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(__file__))
from measure import measure  # noqa: E402
from simrun import CLIENT, SECRET, TENANT  # noqa: E402

# Per user per day, the README's cost assumptions (risk detections: one per
# 200 users a day).
PER_USER_DAY = {
    "signins": 7,
    "signins_noninteractive": 70,
    "signins_service_principal": 5,
    "signins_managed_identity": 2,
    "directory_audits": 1,
    "provisioning": 0.5,
    "risk_detections": 0.005,
}
SIM_FLAG = {
    "signins": "--signins",
    "signins_noninteractive": "--signins-noninteractive",
    "signins_service_principal": "--signins-service-principal",
    "signins_managed_identity": "--signins-managed-identity",
    "directory_audits": "--directory-audits",
    "provisioning": "--provisioning",
    "risk_detections": "--risk-detections",
}
PAGE = {name: 1000 for name in PER_USER_DAY} | {"risk_detections": 500}
TIME_COLUMN = {"directory_audits": "activity_date_time", "provisioning": "activity_date_time",
               "risk_detections": "last_updated_date_time"}
# Shape: users, scale.
SHAPES = {"small": (200, 2), "mid": (10_000, 100), "large": (200_000, 1000)}
# The pacer's interval between requests at each budget (it keeps 2 % of the
# window for jitter), in seconds.
AUDIT_INTERVAL = 10.2 / 5
IDENTITY_INTERVAL = 1.0 * 1.02

END = datetime(2026, 11, 22, tzinfo=timezone.utc)
LAG = timedelta(minutes=10)
FAST = "1000000/1s"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def start_sim(bin_dir, counts, page, extra):
    since = END - timedelta(days=30)
    args = [f"{bin_dir}/graph-sim", "--seed", "16", "--diurnal", "--from", iso(since),
            "--to", iso(END + timedelta(hours=1)), "--max-page-size", str(page), *extra]
    for name, flag in SIM_FLAG.items():
        args += [flag, str(counts.get(name, 0))]
    sim = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = sim.stdout.readline().strip()
    if not line.startswith("GRAPH_SIM_URL="):
        sim.kill()
        sys.exit(f"graph-sim did not start: {line!r}")
    return sim, line.split("=", 1)[1]


def run(bin_dir, url, archive, now, budgets):
    env = dict(os.environ, ENTRA_TENANT_ID=TENANT, ENTRA_CLIENT_ID=CLIENT, ENTRA_CLIENT_SECRET=SECRET,
               GRAPH_BASE_URL=url, ENTRA_LOGIN_URL=url, ARCHIVE_DEST=archive,
               ARCHIVE_GRAPH_BUDGET=budgets[0], ARCHIVE_IDENTITY_PROTECTION_BUDGET=budgets[1])
    # No --since: a first run reads the 30 days Graph keeps.
    code, out, err, wall, cpu, rss = measure(
        [f"{bin_dir}/entra-archive", "run", "-q", "--json", "--datasets", ",".join(PER_USER_DAY),
         "--now", iso(now), "--lag", "10m", "--overlap", "1h"], env=env)
    if code != 0:
        sys.exit(f"entra-archive failed ({code}): {err[-2000:]}\n{out[-2000:]}")
    return json.loads(out), wall, cpu, rss


def in_window(archive, name, start, end):
    """Records of `name` in the archive with their time in [start, end)."""
    files = glob.glob(f"{archive}/{name}/**/*.parquet", recursive=True)
    column = TIME_COLUMN.get(name, "created_date_time")
    n = 0
    for f in files:
        times = pq.read_table(f, columns=[column]).column(0)
        s = pa.scalar(start, type=times.type)
        e = pa.scalar(end, type=times.type)
        n += pc.sum(pc.and_(pc.greater_equal(times, s), pc.less(times, e))).as_py() or 0
    return n


def parse(t):
    return datetime.fromisoformat(t.replace("Z", "+00:00"))


def tally(summary, archive, scale):
    """Per dataset: (requests, minimum); and the modelled seconds at the real budget."""
    rows, seconds = {}, 0.0
    for d in summary["datasets"]:
        name = d["dataset"]
        requests = d["pages"] + d["retries"]
        w = d["window"]
        records = in_window(archive, name, parse(w["start"]), parse(w["end"]))
        page = max(1, PAGE[name] // scale)
        minimum = max(1, math.ceil(records / page))
        rows[name] = (requests, minimum, records)
        seconds += requests * (IDENTITY_INTERVAL if name == "risk_detections" else AUDIT_INTERVAL)
    return rows, seconds


def duration(s):
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def shape_counts(users, scale, days):
    return {name: round(users * per * days / scale) for name, per in PER_USER_DAY.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    p.add_argument("--real", action="store_true", help="also run the small shape at the real budget")
    p.add_argument("--latency-ms", type=int, default=300)
    p.add_argument("--bin", default="target/release")
    a = p.parse_args()

    print("| shape | run | records (full size) | requests | minimum | requests / minimum | worst dataset "
          "| time at the real budget (model) | CPU s | peak RSS MiB |")
    print("|---|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for shape in a.shapes:
        users, scale = SHAPES[shape]
        counts = shape_counts(users, scale, 30 + 1 / 24)
        sim, url = start_sim(a.bin, counts, max(1, 1000 // scale), [])
        work = tempfile.mkdtemp(prefix="entra-bench-")
        try:
            for label, now in [("30-day first run", END), ("hourly incremental", END + timedelta(hours=1))]:
                summary, wall, cpu, rss = run(a.bin, url, f"{work}/archive", now + LAG, (FAST, FAST))
                rows, seconds = tally(summary, f"{work}/archive", scale)
                requests = sum(r for r, _, _ in rows.values())
                minimum = sum(m for _, m, _ in rows.values())
                records = sum(n for _, _, n in rows.values()) * scale
                worst = max(rows, key=lambda n: rows[n][0] / rows[n][1])
                wr, wm, _ = rows[worst]
                print(f"| {shape} ({users:,} users) | {label} | {records:,} | {requests:,} | {minimum:,} "
                      f"| {requests / minimum:.3f} | {worst} {wr}/{wm} | {duration(seconds)} | {cpu:.1f} "
                      f"| {rss:.0f} |", flush=True)
        finally:
            sim.kill()
            sim.wait()
            shutil.rmtree(work, ignore_errors=True)

    if a.real:
        real(a)


def real(a):
    """The small shape at the real budget: measured wall time against the model."""
    users, scale = SHAPES["small"]
    counts = shape_counts(users, scale, 30 + 1 / 24)
    limits = ["--rate-limit", "5/10s", "--identity-protection-rate-limit", "1/1s",
              "--page-delay-ms", str(a.latency_ms)]
    sim, url = start_sim(a.bin, counts, max(1, 1000 // scale), limits)
    work = tempfile.mkdtemp(prefix="entra-bench-")
    print()
    print(f"At the real budget (graph-sim enforcing 5/10 s and 1/s, {a.latency_ms} ms a page), small shape:")
    print()
    print("| run | requests | 429s | wall (measured) | model | CPU s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    try:
        for label, now in [("30-day first run", END), ("hourly incremental", END + timedelta(hours=1))]:
            summary, wall, cpu, rss = run(a.bin, url, f"{work}/archive", now + LAG, ("5/10s", "1/1s"))
            rows, seconds = tally(summary, f"{work}/archive", scale)
            requests = sum(r for r, _, _ in rows.values())
            throttled = sum(d["throttled"] for d in summary["datasets"])
            print(f"| {label} | {requests:,} | {throttled} | {duration(wall)} | {duration(seconds)} | {cpu:.1f} "
                  f"| {rss:.0f} |", flush=True)
    finally:
        sim.kill()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
