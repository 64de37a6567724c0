#!/usr/bin/env python3
"""Run Twine's compute-kernel benchmarks: native vs. `twine run`.

Each kernel (bench/kernels/*.c) is built natively (gcc -O2) and to wasm32
(clang-19 -O2) from the same source; both return a checksum of their
results, which must agree bit for bit. Timing:

  native s   time of run(n) inside the native process (clock_gettime)
  twine s    wall time of the whole `twine run --invoke run N K.wasm`
             process: start-up, load, validation, lowering and
             instantiation are included, nothing is subtracted

Both are the best of --reps runs. Prints a Markdown table and the geometric
mean of the twine/native ratios. Exits non-zero if any checksum differs or
any run fails.

  bench/run.py [--build DIR] [--reps N] [--kernels a,b] [--scale F]
  bench/run.py --check --kernels gemm --size 60     # correctness only (CTest)
"""
import argparse
import math
import os
import subprocess
import sys
import time


def read_kernels(build):
    path = os.path.join(build, "bench", "kernels.txt")
    if not os.path.exists(path):
        sys.exit(f"run.py: {path} not found; build the 'bench' target first "
                 f"(cmake --build {build} --target bench)")
    kernels = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, size, native, wasm = line.split()
            kernels.append((name, int(size), native, wasm))
    return kernels


def run_native(exe, n):
    out = subprocess.run([exe, str(n)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{exe} {n}: exit {out.returncode}: {out.stderr.strip()}")
    checksum, secs = out.stdout.split()
    return int(checksum), float(secs)


def run_twine(twine, wasm, n, timeout):
    cmd = [twine, "run", "--invoke", "run", str(n), wasm]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    secs = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {out.returncode}: "
                           f"{out.stderr.strip()}")
    lines = out.stdout.split()
    if len(lines) != 1:
        raise RuntimeError(f"{' '.join(cmd)}: expected one result, got "
                           f"{out.stdout!r}")
    return int(lines[0]), secs


def best_of(fn, reps):
    best = None
    checksum = None
    for _ in range(reps):
        c, s = fn()
        if checksum is not None and c != checksum:
            raise RuntimeError(f"checksum changed between runs: {checksum} vs {c}")
        checksum = c
        best = s if best is None else min(best, s)
    return checksum, best


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(here, "..", "build"),
                    help="CMake build directory (default: build/)")
    ap.add_argument("--twine", help="twine CLI (default: BUILD/twine)")
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "3")),
                    help="runs per measurement, best taken (default 3, env BENCH_REPS)")
    ap.add_argument("--kernels", help="comma-separated subset of kernels")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every problem size by this factor")
    ap.add_argument("--size", type=int, help="use this problem size (with one kernel)")
    ap.add_argument("--check", action="store_true",
                    help="only compare checksums (one run, no table)")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="seconds allowed for one twine run")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    twine = args.twine or os.path.join(build, "twine")
    if not os.access(twine, os.X_OK):
        sys.exit(f"run.py: twine CLI not found at {twine}")
    kernels = read_kernels(build)
    if args.kernels:
        wanted = args.kernels.split(",")
        unknown = set(wanted) - {k[0] for k in kernels}
        if unknown:
            sys.exit(f"run.py: unknown kernels: {', '.join(sorted(unknown))}")
        kernels = [k for k in kernels if k[0] in wanted]
    if args.size is not None and len(kernels) != 1:
        sys.exit("run.py: --size needs exactly one kernel (--kernels NAME)")
    reps = 1 if args.check else max(1, args.reps)

    rows = []
    failed = False
    for name, size, native, wasm in kernels:
        n = args.size if args.size is not None else max(1, round(size * args.scale))
        try:
            nsum, nsec = best_of(lambda: run_native(native, n), reps)
            tsum, tsec = best_of(lambda: run_twine(twine, wasm, n, args.timeout), reps)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
            print(f"{name}: FAILED: {e}", file=sys.stderr)
            failed = True
            continue
        ok = nsum == tsum
        if not ok:
            print(f"{name}({n}): CHECKSUM MISMATCH native {nsum} twine {tsum}",
                  file=sys.stderr)
            failed = True
        elif args.check:
            print(f"{name}({n}): checksum {nsum} matches")
        rows.append((name, n, nsec, tsec, ok))
        if not args.check:
            print(f"  {name}({n}): native {nsec:.3f} s, twine {tsec:.3f} s"
                  + ("" if ok else "  CHECKSUM MISMATCH"), file=sys.stderr)

    if not args.check and rows:
        print(f"\nBest of {reps} run(s). native: run(n) timed in-process; "
              "twine: wall time of the whole `twine run` process.\n")
        print("| kernel | n | native s | twine s | ratio |")
        print("|---|---:|---:|---:|---:|")
        logs = []
        for name, n, nsec, tsec, ok in rows:
            ratio = tsec / nsec if nsec > 0 else float("inf")
            if ok and nsec > 0:
                logs.append(math.log(ratio))
            mark = "" if ok else " (checksum mismatch)"
            print(f"| {name} | {n} | {nsec:.3f} | {tsec:.3f} | {ratio:.2f}{mark} |")
        if logs:
            gm = math.exp(sum(logs) / len(logs))
            print(f"| **geometric mean** | | | | **{gm:.2f}** |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
