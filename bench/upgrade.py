"""Upgrade benchmark: `entra-archive upgrade` of an archive the previous
release wrote, on a local folder and on S3 (moto on loopback).

Writes N sign-ins (graph-sim's generator, every property of Microsoft's
metadata, spread over 48 hours) as JSON Lines, imports them with the
*previous* release's binary (--old-bin: schema version 1), then times
`entra-archive upgrade` of that archive: in place on a local folder, and on a
copy uploaded to a moto S3 bucket. Reports rows/s, wall and CPU seconds and
peak RSS; checks every file was rewritten.

Usage: python bench/upgrade.py --old-bin PATH [--records N ...] [--bin DIR]
The previous release's binary: build it from the commit before schema
versions (git worktree add /tmp/v1 286b118 && cargo build --release there).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from measure import measure  # noqa: E402

TENANT = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5"
BUCKET = "bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def old_archive(bin_dir, old_bin, records, work):
    path = os.path.join(work, "records.jsonl")
    with open(path, "w") as out:
        subprocess.run([f"{bin_dir}/graph-sim", "--dump", "signins", "--signins", str(records),
                        "--from", "2026-11-20T00:00:00Z", "--to", "2026-11-22T00:00:00Z"], stdout=out, check=True)
    archive = os.path.join(work, "archive")
    subprocess.run([old_bin, "import", "-q", "--dataset", "signins", "--tenant-id", TENANT, "--dest", archive, path],
                   check=True, stdout=subprocess.DEVNULL)
    os.remove(path)
    return archive


def upgrade(bin_dir, dest, env):
    code, out, err, wall, cpu, rss = measure(
        [f"{bin_dir}/entra-archive", "upgrade", "-q", "--json", "--datasets", "signins", "--dest", dest], env=env)
    if code != 0:
        sys.exit(f"upgrade failed ({code}): {err}")
    summary = json.loads(out)["datasets"][0]
    assert summary["old"] == summary["upgraded"] > 0, summary
    return summary, wall, cpu, rss


def with_moto(venv_bin, archive, run):
    port = free_port()
    moto = subprocess.Popen([f"{venv_bin}/moto_server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1")
        aws = [f"{venv_bin}/aws", "--endpoint-url", endpoint]
        subprocess.run(aws + ["s3", "mb", f"s3://{BUCKET}"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(aws + ["s3", "cp", "--recursive", "--quiet", archive, f"s3://{BUCKET}/archive"], env=env,
                       check=True)
        return run(f"s3://{BUCKET}/archive", env)
    finally:
        moto.kill()
        moto.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--old-bin", required=True)
    parser.add_argument("--records", type=int, nargs="+", default=[100000])
    parser.add_argument("--bin", default="target/release")
    parser.add_argument("--venv-bin", default=".venv/bin")
    args = parser.parse_args()
    print("| records | destination | files | rows/s | wall s | CPU s | peak RSS MiB | bytes before → after |")
    print("|---:|---|---:|---:|---:|---:|---:|---|")
    for records in args.records:
        work = tempfile.mkdtemp(prefix="entra-upgrade-")
        try:
            archive = old_archive(args.bin, args.old_bin, records, work)
            pristine = os.path.join(work, "pristine")
            shutil.copytree(archive, pristine)
            runs = [("local folder", upgrade(args.bin, archive, dict(os.environ)))]
            runs.append(("S3 (moto)", with_moto(args.venv_bin, pristine, lambda d, e: upgrade(args.bin, d, e))))
            for where, (s, wall, cpu, rss) in runs:
                print(f"| {s['rows']:,} | {where} | {s['upgraded']} | {s['rows'] / wall:,.0f} | {wall:.2f} | "
                      f"{cpu:.2f} | {rss:.0f} | {s['bytes_before'] / 2**20:.1f} → {s['bytes_after'] / 2**20:.1f} MiB |")
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
