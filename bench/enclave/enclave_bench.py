#!/usr/bin/env python3
"""enclave_bench.py - cost of the process enclave backend (docs/enclave.md).

    bench/enclave/enclave_bench.py --twine build/twine [--pingpong BIN]
                                   [--calls N] [--file-mib M] [--runs R]

Runs the same guests under `twine run --enclave=none` and
`--enclave=process` and prints a Markdown table:

  startup    an empty command (start, launch, lock down, exit)
  fd_write   N one-byte fd_write calls to /dev/null (host-call round trip)
  clock      N clock_time_get calls (also a host call: time is the host's)
  read512    reading an M MiB file 512 bytes at a time (small-read workload)

Per-call figures subtract the startup time of the same backend. Each
number is the best of R runs. With --pingpong, also prints the raw
round-trip latency of the two channel designs (chan_pingpong.c).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def wat(src, out):
    subprocess.run(["wat2wasm", src, "-o", out], check=True)


def best(cmd, runs, stdin=None):
    t = None
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, stdin=stdin)
        el = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd),
                                             p.stderr.decode()))
        t = el if t is None else min(t, el)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--twine", required=True)
    ap.add_argument("--pingpong")
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--file-mib", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    tw = a.twine
    with tempfile.TemporaryDirectory() as d:
        for m in ("write_loop", "clock_loop", "read512"):
            wat(os.path.join(HERE, m + ".wat"), os.path.join(d, m + ".wasm"))
        data = os.path.join(d, "data")
        os.mkdir(data)
        with open(os.path.join(data, "data.bin"), "wb") as f:
            f.write(os.urandom(a.file_mib << 20))
        nreads = (a.file_mib << 20) // 512 + 1
        W = os.path.join(d, "write_loop.wasm")
        C = os.path.join(d, "clock_loop.wasm")
        R = os.path.join(d, "read512.wasm")
        rows = []
        res = {}
        for e in ("none", "process"):
            base = [tw, "run", "--enclave=" + e]
            s = best(base + ["--invoke", "run", W, "0"], a.runs)
            w = best(base + ["--invoke", "run", W, str(a.calls)], a.runs)
            c = best(base + ["--invoke", "run", C, str(a.calls)], a.runs)
            r = best(base + ["--dir", data + "::/d", R], a.runs)
            res[e] = dict(startup=s, write=(w - s) / a.calls,
                          clock=(c - s) / a.calls, read=r - s,
                          read_call=(r - s) / nreads)
        n, p = res["none"], res["process"]
        print("| workload | none | process | process / none |")
        print("|---|---:|---:|---:|")
        print("| startup (empty run) | %.1f ms | %.1f ms | +%.1f ms |" %
              (n["startup"] * 1e3, p["startup"] * 1e3,
               (p["startup"] - n["startup"]) * 1e3))
        for k, label in (("write", "fd_write 1 byte, per call"),
                         ("clock", "clock_time_get, per call")):
            print("| %s | %.2f us | %.2f us | %.1fx |" %
                  (label, n[k] * 1e6, p[k] * 1e6, p[k] / max(n[k], 1e-12)))
        print("| read512: %d MiB in 512-byte reads (%d calls) | %.0f ms | "
              "%.0f ms | %.1fx |" %
              (a.file_mib, nreads, n["read"] * 1e3, p["read"] * 1e3,
               p["read"] / max(n["read"], 1e-12)))
        print("| read512, per call | %.2f us | %.2f us | +%.2f us |" %
              (n["read_call"] * 1e6, p["read_call"] * 1e6,
               (p["read_call"] - n["read_call"]) * 1e6))
    if a.pingpong:
        print()
        print("Raw channel round trips (chan_pingpong, %d rounds):" % 100000)
        sys.stdout.flush()
        subprocess.run([a.pingpong, "100000"], check=True)


if __name__ == "__main__":
    main()
