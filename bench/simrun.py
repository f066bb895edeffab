"""One measured `entra-archive run` of sign-ins against graph-sim on loopback.

Shared by export.py and throttle.py: starts graph-sim with the given number
of sign-ins between `since` and END (plus any extra graph-sim arguments),
runs `entra-archive run --datasets signins` against it into a temporary
archive, checks every record arrived, and cleans up.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from measure import measure

TENANT = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5"
CLIENT = "0a1b2c3d-1111-4222-8333-444455556666"
SECRET = "sim~Secret.Value_0123456789abcdefABCDEF"
END = "2026-11-22T00:00:00Z"
NOW = "2026-11-22T00:10:00Z"


def export_signins(bin_dir, records, since, sim_args=(), env=None):
    """Returns (wall s, CPU s, peak RSS MiB, the run's summary of the signins dataset)."""
    sim = subprocess.Popen(
        [f"{bin_dir}/graph-sim", "--signins", str(records), "--directory-audits", "1",
         "--from", since, "--to", END, *sim_args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = sim.stdout.readline().strip()
    if not line.startswith("GRAPH_SIM_URL="):
        sim.kill()
        sys.exit(f"graph-sim did not start: {line!r}")
    url = line.split("=", 1)[1]
    work = tempfile.mkdtemp(prefix="entra-bench-")
    try:
        run_env = dict(os.environ, ENTRA_TENANT_ID=TENANT, ENTRA_CLIENT_ID=CLIENT, ENTRA_CLIENT_SECRET=SECRET,
                       GRAPH_BASE_URL=url, ENTRA_LOGIN_URL=url, ARCHIVE_DEST=f"{work}/archive", **(env or {}))
        code, out, err, wall, cpu, rss = measure(
            [f"{bin_dir}/entra-archive", "run", "-q", "--json", "--datasets", "signins",
             "--since", since, "--now", NOW], env=run_env)
        if code != 0:
            sys.exit(f"entra-archive failed ({code}): {err}")
        summary = json.loads(out)["datasets"][0]
        assert summary["records"] == records, summary
        return wall, cpu, rss, summary
    finally:
        sim.kill()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)
