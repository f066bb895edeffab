"""Run one command and measure it alone: wall time, CPU seconds, peak RSS.

os.wait4 gives the resources of exactly that child (and the children it
waited for), unlike RUSAGE_CHILDREN, which would mix in every earlier child
of the benchmark (graph-sim included).
"""
import os
import subprocess
import time


def measure(cmd, env=None, stdout=subprocess.PIPE):
    """Runs cmd; returns (exit code, stdout text, stderr text, wall s, cpu s, peak RSS MiB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
    out, err = proc.stdout.read() if proc.stdout else "", proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return proc.returncode, out, err, wall, cpu, usage.ru_maxrss / 1024
