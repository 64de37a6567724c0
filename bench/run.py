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

Two WASI benchmarks follow in a second table (bench/startup_hello.c and
bench/copy_file.c, each built natively and as a wasm32-wasi command):

  startup    wall time of a whole `twine run startup_hello.wasm` process
             against the native program (median of --startup-runs runs)
  copy       copy a --copy-mb MiB file on a --dir preopen through a 64 KiB
             buffer (read/write, i.e. fd_read/fd_write under Twine): wall
             time of the whole process, best of --reps, against the same
             program native and against cp(1)

  bench/run.py [--build DIR] [--reps N] [--kernels a,b] [--scale F]
  bench/run.py --kernels startup,copy               # only the WASI ones
  bench/run.py --check --kernels gemm --size 60     # correctness only (CTest)
  bench/run.py --check --kernels copy               # (small file)
"""
import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import time

WASI_BENCHMARKS = ("startup", "copy")


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


def read_wasi(build):
    """bench/wasi.txt: benchmark name -> (native program, wasm command)."""
    path = os.path.join(build, "bench", "wasi.txt")
    progs = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                name, native, wasm = line.split()
                progs[name] = (native, wasm)
    return progs


def timed(cmd, timeout=600.0, cwd=None):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=cwd)
    secs = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {out.returncode}: "
                           f"{out.stderr.decode(errors='replace').strip()}")
    return out.stdout, secs


def spawn_time(cmd):
    """Wall time of one run of cmd, stdout to /dev/null: posix_spawn and
    waitpid, without subprocess's pipes, so the measuring costs little."""
    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    t0 = time.perf_counter()
    pid = os.posix_spawn(cmd[0], cmd, os.environ, file_actions=actions)
    _, st = os.waitpid(pid, 0)
    secs = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(st) != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {os.waitstatus_to_exitcode(st)}")
    return secs


def bench_startup(twine, native, wasm, runs, check):
    """Median wall time of the whole process, native and under twine."""
    expect = b"hello, world\n"
    tcmd = [twine, "run", wasm]
    for cmd in ([native], tcmd):
        out, _ = timed(cmd)
        if out != expect:
            raise RuntimeError(f"{' '.join(cmd)}: printed {out!r}, expected {expect!r}")
    if check:
        print("startup: native and twine both print 'hello, world'")
        return None
    for _ in range(5):  # warm the page cache and the dynamic loader's
        spawn_time([native])
        spawn_time(tcmd)
    nat = [spawn_time([native]) for _ in range(runs)]
    tw = [spawn_time(tcmd) for _ in range(runs)]
    return statistics.median(nat), statistics.median(tw)


def bench_copy(twine, native, wasm, work, mib, reps, check):
    """Copy a MIB MiB file in WORK: twine, the same program native, cp."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    src = os.path.join(work, "src")
    size = (3 << 20) + 12345 if check else mib << 20
    chunk = os.urandom(1 << 20)
    with open(src, "wb") as f:
        left = size
        while left > 0:
            f.write(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))
    with open(src, "rb") as f:
        want = f.read() if check else None
    runs = {
        "native": lambda dst: [native, src, os.path.join(work, dst)],
        "twine": lambda dst: [twine, "run", "--dir", f"{work}::/work", wasm,
                              "/work/src", "/work/" + dst],
        "cp": lambda dst: ["cp", src, os.path.join(work, dst)],
    }
    best = {}
    try:
        for name, make in runs.items():
            if check and name == "cp":
                continue
            for _ in range(1 if check else reps):
                dst = "dst-" + name
                path = os.path.join(work, dst)
                if os.path.exists(path):
                    os.unlink(path)
                out, secs = timed(make(dst))
                if name != "cp" and out.strip() != str(size).encode():
                    raise RuntimeError(f"{name} copy printed {out!r}, expected {size}")
                if os.path.getsize(path) != size:
                    raise RuntimeError(f"{name} copy: {path} has "
                                       f"{os.path.getsize(path)} bytes, expected {size}")
                if check:
                    with open(path, "rb") as f:
                        if f.read() != want:
                            raise RuntimeError(f"{name} copy: {path} differs from the source")
                best[name] = min(secs, best.get(name, secs))
    finally:
        if not check:
            shutil.rmtree(work, ignore_errors=True)
    if check:
        print(f"copy: native and twine copies of {size} bytes are identical")
        return None
    return best


def run_wasi(args, twine, build, names):
    """The WASI benchmarks; returns (table rows, failed)."""
    progs = read_wasi(build)
    rows = []
    failed = False
    for name in names:
        if name not in progs:
            print(f"{name}: FAILED: not in {build}/bench/wasi.txt; build the "
                  "'bench' target", file=sys.stderr)
            failed = True
            continue
        native, wasm = progs[name]
        try:
            if name == "startup":
                r = bench_startup(twine, native, wasm, args.startup_runs, args.check)
                if r:
                    n, t = r
                    rows.append((f"startup: hello world (median of {args.startup_runs})",
                                 f"{n * 1e3:.2f} ms", f"{t * 1e3:.2f} ms", t / n, ""))
                    print(f"  startup: native {n * 1e3:.2f} ms, twine {t * 1e3:.2f} ms",
                          file=sys.stderr)
            else:
                work = args.copy_dir or os.path.join(build, "bench", "copy-work")
                b = bench_copy(twine, native, wasm, work, args.copy_mb, args.reps,
                               args.check)
                if b:
                    mb = args.copy_mb * 1.048576
                    rows.append((f"copy: {args.copy_mb} MiB, 64 KiB buffer",
                                 f"{b['native']:.3f} s ({mb / b['native']:.0f} MB/s)",
                                 f"{b['twine']:.3f} s ({mb / b['twine']:.0f} MB/s)",
                                 b["twine"] / b["native"],
                                 f"{b['cp']:.3f} s ({b['twine'] / b['cp']:.2f})"))
                    print(f"  copy: native {b['native']:.3f} s, twine {b['twine']:.3f} s, "
                          f"cp {b['cp']:.3f} s", file=sys.stderr)
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
            print(f"{name}: FAILED: {e}", file=sys.stderr)
            failed = True
    return rows, failed


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
    ap.add_argument("--startup-runs", type=int, default=200,
                    help="runs of the start-up benchmark, median taken (default 200)")
    ap.add_argument("--copy-mb", type=int, default=200,
                    help="size of the copy benchmark's file in MiB (default 200)")
    ap.add_argument("--copy-dir",
                    help="where the copy benchmark writes (default BUILD/bench/copy-work)")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    twine = args.twine or os.path.join(build, "twine")
    if not os.access(twine, os.X_OK):
        sys.exit(f"run.py: twine CLI not found at {twine}")
    kernels = read_kernels(build)
    wasi_names = list(WASI_BENCHMARKS)
    if args.kernels:
        wanted = args.kernels.split(",")
        unknown = set(wanted) - {k[0] for k in kernels} - set(WASI_BENCHMARKS)
        if unknown:
            sys.exit(f"run.py: unknown kernels: {', '.join(sorted(unknown))}")
        kernels = [k for k in kernels if k[0] in wanted]
        wasi_names = [b for b in WASI_BENCHMARKS if b in wanted]
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

    wrows, wfailed = run_wasi(args, twine, build, wasi_names)
    failed = failed or wfailed
    if wrows:
        print("\nWASI: wall time of whole processes; ratio = twine / native "
              "(the same C program, gcc -O2); copy: best of "
              f"{reps}, cp(1) column with twine / cp in parentheses.\n")
        print("| benchmark | native | twine | ratio | cp |")
        print("|---|---:|---:|---:|---:|")
        for name, n, t, ratio, cp in wrows:
            print(f"| {name} | {n} | {t} | {ratio:.2f} | {cp} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
