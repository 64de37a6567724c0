#!/usr/bin/env python3
"""Real programs under `twine run`, compared with their native builds.

  real_test.py sqlite|minigzip|bzip2 --twine T --native-dir N --wasm-dir W
               --src-dir S --tests-dir D --work DIR

Every step runs the native program (in DIR/native, host paths) and the same
program compiled to wasm32-wasi under `twine run --dir DIR/wasm::/work`
(guest paths under /work), on the same input, and requires the same exit
status, the same standard output byte for byte and, where the program writes
files, the same files byte for byte. Standard error is shown on a mismatch
but not compared (messages may name host paths). Any difference fails the
test with a description of the first differing byte.

The data is real: SQL over a few thousand rows for the SQLite shell, and for
the compressors the first 3 MiB (bzip2: 2 MiB) of the zlib and bzip2 source
trees (C, text, PDF, PostScript and binary test files) concatenated in path
order.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

GUEST = "/work"
DATA_BYTES = 3 << 20


class Failure(Exception):
    pass


def first_difference(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            lo = max(0, i - 16)
            return (f"first difference at byte {i}: native {a[lo:i + 16]!r} "
                    f"vs twine {b[lo:i + 16]!r}")
    return f"lengths differ: native {len(a)} bytes, twine {len(b)} bytes"


class Runner:
    def __init__(self, args, name):
        self.twine = os.path.abspath(args.twine)
        self.native_exe = os.path.abspath(os.path.join(args.native_dir, name))
        self.wasm = os.path.abspath(os.path.join(args.wasm_dir, name + ".wasm"))
        self.name = name
        for f in (self.native_exe, self.wasm):
            if not os.path.exists(f):
                raise Failure(f"{f} missing: build the target real_programs "
                              "(the CTest test real.build does)")
        if not os.access(self.twine, os.X_OK):
            raise Failure(f"twine CLI not found at {self.twine}")
        self.work = os.path.abspath(args.work)
        self.ndir = os.path.join(self.work, "native")
        self.wdir = os.path.join(self.work, "wasm")
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.ndir)
        os.makedirs(self.wdir)
        self.steps = 0
        self.native_secs = 0.0
        self.twine_secs = 0.0

    def put(self, rel, data):
        """Write the same file into both working directories."""
        for d in (self.ndir, self.wdir):
            with open(os.path.join(d, rel), "wb") as f:
                f.write(data)

    def _run(self, cmd, stdin, cwd, env):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, input=stdin, capture_output=True, cwd=cwd,
                           env=env, timeout=300)
        return p, time.perf_counter() - t0

    def _run_native(self, nargs, nin, env):
        t0 = time.perf_counter()
        p = subprocess.run([self.name] + nargs, executable=self.native_exe,
                           input=nin, capture_output=True, cwd=self.ndir,
                           env=env, timeout=300)
        return p, time.perf_counter() - t0

    def step(self, what, args, stdin=b"", files=(), stdin_text=None):
        """Run one step both ways. args: list of words where "@DIR@" is
        replaced by the directory each program sees. stdin_text: bytes with
        @DIR@ replaced the same way (overrides stdin). files: relative names
        that must exist afterwards in both directories, with the same
        contents."""
        nargs = [a.replace("@DIR@", self.ndir) for a in args]
        wargs = [a.replace("@DIR@", GUEST) for a in args]
        nin = stdin if stdin_text is None else stdin_text.replace(b"@DIR@", self.ndir.encode())
        win = stdin if stdin_text is None else stdin_text.replace(b"@DIR@", GUEST.encode())
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.ndir,
               "LC_ALL": "C"}
        np, nsec = self._run_native(nargs, nin, env)
        wcmd = [self.twine, "run", "--dir", f"{self.wdir}::{GUEST}",
                "--env", f"HOME={GUEST}", "--env", "LC_ALL=C",
                "--argv0", self.name, self.wasm] + wargs
        wp, wsec = self._run(wcmd, win, self.wdir, env)
        self.native_secs += nsec
        self.twine_secs += wsec
        self.steps += 1
        problems = []
        if np.returncode != wp.returncode:
            problems.append(f"exit status: native {np.returncode}, twine {wp.returncode}")
        if np.stdout != wp.stdout:
            problems.append("stdout differs: " + first_difference(np.stdout, wp.stdout))
        for rel in files:
            a = self.read(self.ndir, rel)
            b = self.read(self.wdir, rel)
            if a is None or b is None:
                problems.append(f"{rel}: native {'missing' if a is None else 'present'}, "
                                f"twine {'missing' if b is None else 'present'}")
            elif a != b:
                problems.append(f"{rel} differs: " + first_difference(a, b))
        status = "ok" if not problems else "FAILED"
        print(f"[{self.name}] {what}: {status} (exit {wp.returncode}, "
              f"{len(wp.stdout)} bytes out; native {nsec:.2f} s, twine {wsec:.2f} s)")
        if problems:
            print("  twine command: " + " ".join(wcmd))
            for p in problems:
                print("  " + p)
            print("  native stderr: " + np.stderr.decode(errors="replace")[-2000:])
            print("  twine stderr:  " + wp.stderr.decode(errors="replace")[-2000:])
            raise Failure(f"{self.name}: {what}: native and twine disagree")
        return np

    @staticmethod
    def read(d, rel):
        try:
            with open(os.path.join(d, rel), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def absent(self, rel):
        for d in (self.ndir, self.wdir):
            if os.path.exists(os.path.join(d, rel)):
                raise Failure(f"{self.name}: {os.path.join(d, rel)} should have been removed")

    def expect_file(self, rel, data):
        for d in (self.ndir, self.wdir):
            got = self.read(d, rel)
            if got != data:
                raise Failure(f"{self.name}: {os.path.join(d, rel)} does not hold the "
                              "original data: " + first_difference(data, got or b""))

    def summary(self):
        print(f"[{self.name}] {self.steps} steps agree; native {self.native_secs:.2f} s, "
              f"twine {self.twine_secs:.2f} s in total")


def corpus(src_dir):
    """The first DATA_BYTES of the zlib and bzip2 source trees, concatenated
    in sorted path order (dot-files and quilt's .pc left out)."""
    out = bytearray()
    for pkg in ("zlib", "bzip2"):
        root = os.path.join(src_dir, pkg)
        if not os.path.isdir(root):
            raise Failure(f"{root} missing: the real.build test fetches it")
        paths = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for f in filenames:
                if not f.startswith("."):
                    paths.append(os.path.join(dirpath, f))
        for p in sorted(paths):
            if os.path.islink(p):
                continue
            with open(p, "rb") as f:
                out += f.read()
            if len(out) >= DATA_BYTES:
                return bytes(out[:DATA_BYTES])
    if len(out) < DATA_BYTES // 2:
        raise Failure(f"only {len(out)} bytes of source found under {src_dir}")
    return bytes(out)


def test_sqlite(args):
    r = Runner(args, "sqlite3")
    r.put("init.sql", b"")
    for script in ("create.sql", "query.sql"):
        with open(os.path.join(args.tests_dir, "sqlite", script), "rb") as f:
            sql = f.read()
        out = r.step(script, ["-batch", "-init", "@DIR@/init.sql", "@DIR@/shop.db"],
                     stdin_text=sql, files=["shop.db"])
        if b"\nok\n" not in out.stdout:
            raise Failure(f"sqlite3: {script}: no 'ok' from PRAGMA integrity_check")
    # The database is read back by a third, read-only run; and the shell's
    # own error path (a syntax error, .bail on) must agree too.
    r.step("read-only query", ["-readonly", "-init", "@DIR@/init.sql", "@DIR@/shop.db",
                               "SELECT count(*), sum(qty) FROM orders; PRAGMA quick_check;"],
           files=["shop.db", "products.csv"])
    np = r.step("syntax error", ["-bail", "-init", "@DIR@/init.sql", "@DIR@/shop.db",
                                 "SELEKT 1;"])
    if np.returncode == 0:
        raise Failure("sqlite3: a syntax error exited with status 0")
    r.summary()


def test_minigzip(args):
    r = Runner(args, "minigzip")
    data = corpus(args.src_dir)
    r.put("data", data)
    # stdin -> stdout, default level
    gz = r.step("compress stdin to stdout", [], stdin=data).stdout
    # a file -> stdout, another level
    r.step("compress -3 -c file", ["-3", "-c", "@DIR@/data"])
    # decompress the native output
    r.put("native.gz", gz)
    out = r.step("decompress -d -c file", ["-d", "-c", "@DIR@/native.gz"]).stdout
    if out != data:
        raise Failure("minigzip: decompression does not give back the data")
    # file mode: data2 -> data2.gz (data2 removed), and back
    r.put("data2", data)
    r.step("compress -1 file in place", ["-1", "@DIR@/data2"], files=["data2.gz"])
    r.absent("data2")
    r.step("decompress file in place", ["-d", "@DIR@/data2.gz"], files=["data2"])
    r.absent("data2.gz")
    r.expect_file("data2", data)
    # a corrupt stream must fail the same way
    bad = bytearray(gz)
    bad[len(bad) // 2] ^= 0x55
    r.put("bad.gz", bytes(bad))
    r.step("decompress a corrupt file", ["-d", "-c", "@DIR@/bad.gz"])
    r.summary()


def test_bzip2(args):
    r = Runner(args, "bzip2")
    data = corpus(args.src_dir)[: 2 << 20]
    r.put("data", data)
    bz = r.step("compress -c file", ["-c", "@DIR@/data"]).stdout
    r.step("compress -1 stdin to stdout", ["-1"], stdin=data)
    r.put("native.bz2", bz)
    out = r.step("decompress -d -c file", ["-d", "-c", "@DIR@/native.bz2"]).stdout
    if out != data:
        raise Failure("bzip2: decompression does not give back the data")
    r.step("test -t", ["-t", "@DIR@/native.bz2"])
    r.put("data2", data)
    r.step("compress file in place", ["@DIR@/data2"], files=["data2.bz2"])
    r.absent("data2")
    r.step("decompress file in place", ["-d", "@DIR@/data2.bz2"], files=["data2"])
    r.absent("data2.bz2")
    r.expect_file("data2", data)
    bad = bytearray(bz)
    bad[len(bad) // 2] ^= 0x55
    r.put("bad.bz2", bytes(bad))
    r.step("decompress a corrupt file", ["-d", "-c", "@DIR@/bad.bz2"])
    r.summary()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("case", choices=["sqlite", "minigzip", "bzip2"])
    ap.add_argument("--twine", required=True)
    ap.add_argument("--native-dir", required=True)
    ap.add_argument("--wasm-dir", required=True)
    ap.add_argument("--src-dir", required=True)
    ap.add_argument("--tests-dir", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    t0 = time.perf_counter()
    try:
        {"sqlite": test_sqlite, "minigzip": test_minigzip, "bzip2": test_bzip2}[args.case](args)
    except Failure as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired as e:
        print(f"FAILED: timeout: {e}", file=sys.stderr)
        return 1
    print(f"real.{args.case}: passed in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
