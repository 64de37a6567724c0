#!/usr/bin/env python3
"""run_diff.py - differential testing of Twine's interpreter against binaryen.

For each seed, a module from one of two generators:
  ttf:  random bytes -> `wasm-opt -ttf` (binaryen's translate-to-fuzz,
        restricted to the features Twine supports; 40% with reference types,
        made spec-valid by reftypes_fix.py) -> optionally some optimisation
        passes (to vary code shape) and --denan;
  expr: gen_expr.py (dense numeric code, edge constants, value-carrying
        branches, multi-value, many-argument calls, tables) -> wat2wasm;
then every module that wabt's wasm-validate accepts runs in binaryen's
interpreter (`wasm-opt --fuzz-exec-before`) and in Twine (twine-fuzz-exec,
tests/diff/fuzz_exec.c), and the two transcripts are compared.

Needs: binaryen (wasm-opt, wasm-reduce, wasm-dis; tested with version 108),
wabt (wasm-validate, wat2wasm), python3.

Usage:
  run_diff.py --driver build/tests/diff/twine-fuzz-exec [options]
    --seeds N          number of seeds (default 100)
    --seconds S        stop after S seconds instead (whichever comes first
                       when both are given)
    --seed BASE        first seed (default 1); seed i -> module i, always the
                       same module for the same binaryen version
    --bounds MODE      guard | explicit | both (default both)
    --out DIR          where mismatching modules go (default ./diff-out)
    --no-reduce        do not minimise mismatches with wasm-reduce
    --wasm-opt PATH    binaryen's wasm-opt (default: in PATH)
    --max-bytes N      upper bound of random input size (default 60000)
    --gen G            ttf | expr | mix (default mix: odd seeds expr)
    -v                 print one line per seed
  Mismatches are kept in OUT/seedN-MODE/ (m.wasm, both transcripts,
  verdict.txt, and reduced.wasm/.wat from wasm-reduce).
  run_diff.py --check FILE.wasm --driver D --bounds MODE
    compare one module; prints a one-line verdict and exits 1 on a mismatch
    (the interestingness test used for wasm-reduce; it re-applies
    reftypes_fix and reports NaN-only differences as "nan-only", so that a
    reduction cannot drift from a real mismatch to a NaN difference).
  run_diff.py --compare REF.txt OURS.txt [--module FILE.wasm]
    compare two saved transcripts.

Comparison rules (the normalisation step):
  - lines other than "[fuzz-exec] ...", "[LoggingExternalInterface ...",
    "[trap ...", "[host limit ...", "[exception ...", "[twine ..." are ignored;
  - trap lines: both sides must trap; binaryen's message is mapped to a
    trap kind (TRAP_KINDS) and must name the same kind as Twine's, unknown
    messages match any trap;
  - values: integers exactly; floats by value and sign of zero (binaryen
    prints floats in its own shortest form, Twine in C's), NaNs: a NaN
    matches any quiet NaN of the other side (the spec lets arithmetic produce
    any arithmetic NaN; binaryen and Twine differ) - counted as
    "nan-diffs" - but Twine's differing NaN must be quiet
    ("nan-signalling" otherwise);
  - a reference result on its own prints as its type on both sides; inside
    tuples funcrefs are compared by function when Twine can name it (import
    or export), otherwise only for null / non-null;
  - binaryen's "[host limit ...]" and "[trap stack limit]" (its
    interpreter's own limits, far below Twine's call depth) make the rest of
    the run incomparable: the comparison stops at the call that hit one;
  - a mismatch in a module that may contain NaNs is re-checked on the
    --denan version of the module: if that one agrees, the difference came
    from NaN bits flowing into integers (reinterpret, stores) and is counted
    as "nan-only", not as a failure.  Such modules are kept under
    OUT/nan-only/ for inspection.
binaryen 108 quirks this script works around:
  - with reference types, -ttf writes spec-invalid modules (non-nullable
    typed references, funcref where its anyref = externref is expected):
    reftypes_fix.py turns every reference type into funcref; wasm-reduce's
    re-written modules also contain ref.as_non_null, made a nop;
  - its binary reader has no block/loop parameters and no table.fill,
    table.copy, table.init, elem.drop (gen_expr.py does not use them);
  - "--flatten" on reference-types modules can abort (seed skipped);
  - log-i64 is logged as two i32 halves (low, high), like the JS import;
  - its interpreter often returns the canonical NaN where Twine keeps the
    operand's payload (both allowed), and has a small call-depth limit.
CTest: test diff.binaryen (tests/diff/CMakeLists.txt) runs 400 seeds in
both bounds modes without reduction (about 15 s).

Exit status: 0 if no real mismatch was found, 1 otherwise, 2 on setup
problems.
"""

import argparse
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reftypes_fix  # noqa: E402
import gen_expr  # noqa: E402

BASE_FEATURES = [
    "--mvp-features", "--enable-sign-ext", "--enable-nontrapping-float-to-int",
    "--enable-multivalue", "--enable-bulk-memory", "--enable-mutable-globals",
]
FEATURES = BASE_FEATURES + ["--enable-reference-types"]
# Pass pipelines applied after -ttf for some seeds (binaryen's optimiser is
# only used to vary code shape: both engines run the same final module).
OPT_CHOICES = [[], [], ["-O1"], ["-O2"], ["-O3"], ["-Os"], ["-O4"],
               ["--flatten", "--rereloop", "-O1"],
               ["--merge-blocks", "--vacuum"]]
TIMEOUT = 60

KEEP = ("[fuzz-exec]", "[LoggingExternalInterface", "[trap", "[host limit",
        "[exception", "[twine")


def setup_error(msg):
    print("run_diff: " + msg, file=sys.stderr)
    sys.exit(2)


class Tools:
    def __init__(self, args):
        self.wasm_opt = args.wasm_opt or shutil.which("wasm-opt")
        if not self.wasm_opt:
            setup_error("wasm-opt not found")
        bindir = os.path.dirname(os.path.abspath(self.wasm_opt))
        self.wasm_reduce = (shutil.which("wasm-reduce", path=bindir)
                            or shutil.which("wasm-reduce"))
        self.wasm_dis = (shutil.which("wasm-dis", path=bindir)
                         or shutil.which("wasm-dis"))
        # wabt's validator: binaryen 108 sometimes writes modules that are
        # invalid by the spec (e.g. non-nullable typed references with only
        # reference-types enabled, funcref where its "anyref" = externref
        # is expected). Those are skipped, not blamed on Twine.
        self.wasm_validate = args.wasm_validate or shutil.which("wasm-validate")
        self.wat2wasm = shutil.which("wat2wasm")
        self.driver = args.driver
        if not self.driver or not os.access(self.driver, os.X_OK):
            setup_error("--driver (twine-fuzz-exec) not found")


def run(cmd, timeout=TIMEOUT, want_stderr=False):
    """Run cmd; returns (status, stdout[, stderr]). status is the exit code,
    or 'timeout', or -SIGNAL."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return ("timeout", "", "") if want_stderr else ("timeout", "")
    out = p.stdout.decode("utf-8", "replace")
    if want_stderr:
        return p.returncode, out, p.stderr.decode("utf-8", "replace")
    return p.returncode, out


# ---- module facts needed by the comparison --------------------------------

def leb(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def module_facts(path):
    """Function imports count and {export name: function index}."""
    try:
        data = open(path, "rb").read()
    except OSError:
        return 0, {}
    nfimports, exports = 0, {}
    pos = 8
    try:
        while pos < len(data):
            sid = data[pos]
            size, pos = leb(data, pos + 1)
            end = pos + size
            if sid == 2:
                n, p = leb(data, pos)
                for _ in range(n):
                    for _ in range(2):
                        ln, p = leb(data, p)
                        p += ln
                    kind = data[p]
                    p += 1
                    if kind == 0:
                        nfimports += 1
                        _, p = leb(data, p)
                    elif kind == 1:
                        p += 1
                        flags, p = leb(data, p)
                        _, p = leb(data, p)
                        if flags & 1:
                            _, p = leb(data, p)
                    elif kind == 2:
                        flags, p = leb(data, p)
                        _, p = leb(data, p)
                        if flags & 1:
                            _, p = leb(data, p)
                    else:
                        p += 2
            elif sid == 7:
                n, p = leb(data, pos)
                for _ in range(n):
                    ln, p = leb(data, p)
                    name = data[p:p + ln].decode("utf-8", "replace")
                    p += ln
                    kind = data[p]
                    idx, p = leb(data, p + 1)
                    if kind == 0:
                        exports[name] = idx
            pos = end
    except IndexError:
        pass
    return nfimports, exports


# ---- transcript comparison ------------------------------------------------

INT_RE = re.compile(r"^-?\d+$")
NAN_RE = re.compile(r"^(-?)nan(?::0x([0-9a-f]+))?$")


def parse_float(tok):
    """('nan', text) | ('num', bits of the double) | None."""
    m = NAN_RE.match(tok)
    if m:
        return ("nan", tok)
    if tok in ("inf", "-inf", "infinity", "-infinity"):
        v = float(tok.replace("infinity", "inf"))
    else:
        try:
            v = float(tok)
        except ValueError:
            return None
    return ("num", struct.pack("<d", v))


def split_values(text):
    text = text.strip()
    if text.startswith("(") and text.endswith(")") and not re.match(
            r"^(funcref|anyref|externref)\(", text):
        return [t.strip() for t in text[1:-1].split(",")]
    return [text]


class Comparer:
    def __init__(self, module=None):
        self.nfimports, self.exports = (module_facts(module) if module
                                        else (0, {}))
        self.nan_diffs = 0
        self.nan_examples = []
        self.trap_kind = False
        self.signalling = False

    def func_name(self, export):
        idx = self.exports.get(export)
        if idx is None:
            return None
        if idx < self.nfimports:
            return "fimport$%d" % idx
        return str(idx - self.nfimports)

    def value_eq(self, ref, ours):
        ref = ref.replace("externref", "anyref")
        m = re.match(r"^(funcref|anyref)\((.*)\)$", ours)
        if m:
            rm = re.match(r"^(funcref|anyref)\((.*)\)$", ref)
            if not rm or rm.group(1) != m.group(1):
                return False
            rv, ov = rm.group(2), m.group(2)
            if ov == "null" or rv == "null":
                return ov == rv
            if ov == "?":
                return True
            if ov.startswith("export:"):
                name = self.func_name(ov[7:])
                return name is None or name == rv
            return ov == rv
        if INT_RE.match(ours):
            return ref == ours
        a, b = parse_float(ref), parse_float(ours)
        if a is None or b is None:
            return ref == ours
        if a[0] == "nan" and b[0] == "nan":
            if a[1] != b[1]:
                # Only arithmetic results may differ, and those are quiet
                # (arithmetic) NaNs: a signalling NaN from Twine that
                # binaryen does not produce is wrong.
                payload = int(NAN_RE.match(ours).group(2) or "0", 16)
                ref_payload = int(NAN_RE.match(ref).group(2) or "0", 16)
                # the width from the payloads: an f64 quiet NaN has bit 51
                is_f64 = payload > 0x7FFFFF or ref_payload > 0x7FFFFF
                quiet = 1 << 51 if is_f64 else 1 << 22
                if not payload & quiet:
                    self.signalling = True
                    return False
                self.nan_diffs += 1
                self.nan_examples.append("%s vs %s" % (ref, ours))
            return True
        return a == b

    def line_eq(self, ref, ours):
        if ref.startswith("[trap") and ours.startswith("[trap"):
            if not trap_kind_ok(ref, ours):
                self.trap_kind = True
                return False
            return True
        for prefix in ("[LoggingExternalInterface logging",):
            if ref.startswith(prefix) and ours.startswith(prefix):
                rv = ref[len(prefix):].rstrip("]").split()
                ov = ours[len(prefix):].rstrip("]").split()
                return len(rv) == len(ov) and all(
                    self.value_eq(r, o) for r, o in zip(rv, ov))
        prefix = "[fuzz-exec] note result: "
        if ref.startswith(prefix) and ours.startswith(prefix):
            rn, _, rv = ref[len(prefix):].partition(" => ")
            on, _, ov = ours[len(prefix):].partition(" => ")
            if rn != on:
                return False
            rvals, ovals = split_values(rv), split_values(ov)
            if len(rvals) == 1 and len(ovals) == 1 and ovals[0] in (
                    "funcref", "anyref"):
                return rvals[0].replace("externref", "anyref") == ovals[0]
            return len(rvals) == len(ovals) and all(
                self.value_eq(r, o) for r, o in zip(rvals, ovals))
        return ref == ours


# binaryen 108's trap messages -> the spec wording Twine prints for the same
# trap kind. Messages not listed match any trap.
TRAP_KINDS = [
    (r"^unreachable$", "unreachable"),
    (r"(> memory|memory access|segment access in memory)",
     "out of bounds memory access"),
    (r"^callTable overflow$", "undefined element"),
    (r"^uninitialized table element$", "uninitialized element"),
    (r"^callIndirect: ", "indirect call type mismatch"),
    (r"^out of bounds table access$", "out of bounds table access"),
    (r"(div|rem)_[su] by 0$", "integer divide by zero"),
    (r"div_s overflow$", "integer overflow"),
    (r"trunc[SU]Float overflow$", "integer overflow"),
    (r"trunc[SU]Float of nan$", "invalid conversion to integer"),
]
# binaryen's interpreter limits (not wasm semantics): the comparison stops
# at the call that hit one.
HOST_LIMIT_RE = re.compile(r"^\[(host limit|trap stack limit\])")


def trap_kind_ok(ref_line, our_line):
    msg = ref_line[len("[trap "):].rstrip("]")
    ours = our_line[len("[trap "):].rstrip("]")
    for pat, kind in TRAP_KINDS:
        if re.search(pat, msg):
            return ours == kind
    return True


def keep_lines(text):
    return [l.rstrip() for l in text.splitlines() if l.startswith(KEEP)]


def compare(ref_text, our_text, module=None):
    """Returns (verdict, detail, nan_diffs, notes). verdict is 'ok' or a
    mismatch category: 'rejected', 'value', 'trap', 'log', 'length'."""
    ref, ours = keep_lines(ref_text), keep_lines(our_text)
    notes = []
    # Stop before the call during which binaryen hit one of its host limits.
    for i, l in enumerate(ref):
        if HOST_LIMIT_RE.match(l):
            j = i
            while j > 0 and not ref[j].startswith("[fuzz-exec] calling"):
                j -= 1
            notes.append("host-limit")
            ref = ref[:j]
            k = 0
            calls = sum(1 for x in ref if x.startswith("[fuzz-exec] calling"))
            seen = 0
            for k, x in enumerate(ours):
                if x.startswith("[fuzz-exec] calling"):
                    if seen == calls:
                        break
                    seen += 1
            else:
                k = len(ours)
            ours = ours[:k]
            break
    cmp = Comparer(module)
    if any(l.startswith("[twine") for l in ours):
        bad = next(l for l in ours if l.startswith("[twine"))
        return "rejected", bad, 0, notes
    for i in range(max(len(ref), len(ours))):
        r = ref[i] if i < len(ref) else "<end>"
        o = ours[i] if i < len(ours) else "<end>"
        if r == "<end>" or o == "<end>" or not cmp.line_eq(r, o):
            if r.startswith("[trap") != o.startswith("[trap"):
                cat = "trap"
            elif cmp.trap_kind:
                cat = "trap-kind"
            elif cmp.signalling:
                cat = "nan-signalling"
            elif "note result" in r and "note result" in o:
                cat = "value"
            elif "Logging" in r and "Logging" in o:
                cat = "log"
            else:
                cat = "length"
            # the calling line before, for context
            ctx = next((ref[j] for j in range(min(i, len(ref) - 1), -1, -1)
                        if ref[j].startswith("[fuzz-exec] calling")), "")
            detail = "line %d (%s):\n  binaryen: %s\n  twine:    %s" % (
                i + 1, ctx[len("[fuzz-exec] calling "):], r, o)
            return cat, detail, cmp.nan_diffs, notes
    return "ok", "", cmp.nan_diffs, notes


# ---- one module -----------------------------------------------------------

def reference(tools, wasm):
    st, out = run([tools.wasm_opt, wasm] + FEATURES +
                  ["--fuzz-exec-before", "-q"])
    if st != 0:
        return None
    return out


def ours(tools, wasm, bounds):
    st, out, err = run([tools.driver, "--bounds=" + bounds, wasm],
                       want_stderr=True)
    if st == "timeout":
        return "[twine timeout]\n" + out, "timeout"
    if isinstance(st, int) and st < 0:
        return out + "\n[twine crashed: signal %d]\n" % -st, "crash"
    # a sanitizer build of the driver (-DTWINE_SANITIZE=ON) reports here
    m = re.search(r"(ERROR: AddressSanitizer.*|runtime error: .*|"
                  r"ERROR: LeakSanitizer.*)", err)
    if m:
        return out + "\n[twine sanitizer: %s]\n" % m.group(1), "crash"
    return out, None


def check_module(tools, wasm, bounds, ref=None):
    """(verdict, detail, nan_diffs, notes, ref, ours). verdict 'skip' when
    binaryen cannot run the module."""
    if ref is None:
        ref = reference(tools, wasm)
    if ref is None:
        return "skip", "binaryen failed", 0, [], None, None
    out, problem = ours(tools, wasm, bounds)
    verdict, detail, nan, notes = compare(ref, out, wasm)
    if problem and verdict == "ok":
        verdict, detail = problem, problem
    elif problem:
        verdict = problem
    return verdict, detail, nan, notes, ref, out


def may_have_nan(tools, wasm, ref_text):
    """Could NaN bits have influenced this run? (NaN in the transcript, or a
    float op that can produce one in the module.)"""
    if "nan" in ref_text:
        return True
    if tools.wasm_dis:
        st, text = run([tools.wasm_dis, wasm])
        if st == 0 and re.search(r"f(32|64)\.(div|sqrt|sub|add|mul|min|max|"
                                 r"const [-]?nan|reinterpret|load|nearest|"
                                 r"ceil|floor|trunc|demote|promote)", text):
            return True
    return False


def fix_reftypes_file(path):
    """Apply reftypes_fix to a module binaryen wrote; False if it cannot."""
    with open(path, "rb") as f:
        fixed = reftypes_fix.fix(f.read())
    if fixed is None:
        return False
    with open(path, "wb") as f:
        f.write(fixed)
    return True


def denan_agrees(tools, wasm, bounds, workdir):
    dn = os.path.join(workdir, "denan.wasm")
    st, _ = run([tools.wasm_opt, wasm] + FEATURES + ["--denan", "-o", dn])
    if st != 0 or not fix_reftypes_file(dn) or not spec_valid(tools, dn):
        return False
    verdict = check_module(tools, dn, bounds)[0]
    return verdict in ("ok", "skip")


def spec_valid(tools, wasm):
    if not tools.wasm_validate:
        return True
    st, _ = run([tools.wasm_validate, wasm])
    return st == 0


def generate(tools, seed, workdir, max_bytes, gen="ttf"):
    """Module for `seed`: (path | None | "invalid", description, denan).
    None when binaryen failed, "invalid" when it wrote a module that is
    invalid by the spec even after reftypes_fix."""
    if gen == "mix":
        gen = "expr" if seed % 2 else "ttf"
    if gen == "expr":
        return generate_expr(tools, seed, workdir)
    rng = random.Random(seed)
    # log-uniform input size: many small modules, some big ones
    size = int(math.exp(rng.uniform(math.log(64),
                                    math.log(max(max_bytes, 65)))))
    data = rng.randbytes(size)
    opts = rng.choice(OPT_CHOICES)
    denan = rng.random() < 0.3
    reftypes = rng.random() < 0.4
    desc = "size=%d opts=%s denan=%s reftypes=%s" % (
        size, " ".join(opts) or "-", denan, reftypes)
    raw = os.path.join(workdir, "input.bin")
    wasm = os.path.join(workdir, "m.wasm")
    with open(raw, "wb") as f:
        f.write(data)
    cmd = [tools.wasm_opt, raw, "-ttf"] + (FEATURES if reftypes else
                                           BASE_FEATURES) + opts
    if denan:
        cmd.append("--denan")
    st, _ = run(cmd + ["-o", wasm])
    if st != 0:
        return None, desc, denan
    if reftypes and not fix_reftypes_file(wasm):
        return "invalid", desc, denan
    if not spec_valid(tools, wasm):
        return "invalid", desc, denan
    return wasm, desc, denan


def generate_expr(tools, seed, workdir):
    """Module for `seed` from gen_expr.py (text) through wat2wasm."""
    rng = random.Random(seed * 7919 + 1)
    denan = rng.random() < 0.3
    desc = "gen=expr denan=%s" % denan
    wat = os.path.join(workdir, "m.wat")
    wasm = os.path.join(workdir, "m.wasm")
    with open(wat, "w") as f:
        f.write(gen_expr.generate(seed))
    if not tools.wat2wasm:
        return None, desc, denan
    st, _ = run([tools.wat2wasm, wat, "-o", wasm])
    if st != 0:
        return None, desc, denan
    if denan:
        st, _ = run([tools.wasm_opt, wasm] + FEATURES + ["--denan", "-o", wasm])
        if st != 0:
            return None, desc, denan
    if not spec_valid(tools, wasm):
        return "invalid", desc, denan
    return wasm, desc, denan


def reduce(tools, wasm, bounds, dest):
    """Minimise with wasm-reduce, keeping the verdict category."""
    if not tools.wasm_reduce:
        return None
    d = tempfile.mkdtemp(prefix="twine-reduce-")
    test = os.path.join(d, "t.wasm")
    work = os.path.join(d, "w.wasm")
    cmd = "%s %s --check %s --bounds %s --driver %s --wasm-opt %s" % (
        sys.executable, os.path.abspath(__file__), test, bounds,
        os.path.abspath(tools.driver), tools.wasm_opt)
    bindir = os.path.dirname(os.path.abspath(tools.wasm_opt)) + os.sep
    st, _ = run([tools.wasm_reduce, "-b", bindir, wasm, "--command=" + cmd,
                 "-t", test,
                 "-w", work, "-to", "20", "-ef", " ".join(FEATURES)],
                timeout=1800)
    result = None
    if os.path.exists(work) and st == 0:
        shutil.copy(work, dest)
        fix_reftypes_file(dest)
        result = dest
        if tools.wasm_dis:
            _, text = run([tools.wasm_dis, dest])
            with open(dest[:-5] + ".wat", "w") as f:
                f.write(text)
    shutil.rmtree(d, ignore_errors=True)
    return result


# ---- main -----------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--driver")
    ap.add_argument("--wasm-opt")
    ap.add_argument("--wasm-validate")
    ap.add_argument("--seeds", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bounds", default="both",
                    choices=["guard", "explicit", "both"])
    ap.add_argument("--out", default="diff-out")
    ap.add_argument("--no-reduce", action="store_true")
    ap.add_argument("--max-bytes", type=int, default=60000)
    ap.add_argument("--gen", default="mix", choices=["ttf", "expr", "mix"])
    ap.add_argument("--check")
    ap.add_argument("--compare", nargs=2)
    ap.add_argument("--module")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()

    if args.compare:
        ref = open(args.compare[0]).read()
        out = open(args.compare[1]).read()
        verdict, detail, nan, notes = compare(ref, out, args.module)
        print(verdict, detail, "nan-diffs=%d" % nan, *notes)
        return 0 if verdict == "ok" else 1

    tools = Tools(args)
    modes = ["guard", "explicit"] if args.bounds == "both" else [args.bounds]

    if args.check:
        # wasm-reduce re-writes the module with binaryen, which brings back
        # the reference types reftypes_fix removed: fix them again.
        verdict = "ok"
        d = tempfile.mkdtemp(prefix="twine-check-")
        wasm = os.path.join(d, "m.wasm")
        shutil.copy(args.check, wasm)
        if not fix_reftypes_file(wasm) or not spec_valid(tools, wasm):
            shutil.rmtree(d, ignore_errors=True)
            print("verdict: invalid")
            return 0
        for mode in modes:
            v, _, _, _, ref, _ = check_module(tools, wasm, mode)
            if v not in ("ok", "skip"):
                # keep the reduction away from NaN-only differences
                if v not in ("crash", "timeout", "rejected") and \
                        may_have_nan(tools, wasm, ref) and \
                        denan_agrees(tools, wasm, mode, d):
                    v = "nan-only"
                verdict = v
                break
        shutil.rmtree(d, ignore_errors=True)
        print("verdict:", verdict)
        return 0 if verdict == "ok" else 1

    if args.seeds is None and args.seconds is None:
        args.seeds = 100
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="twine-diff-")
    start = time.time()
    stats = {"seeds": 0, "runs": 0, "genfail": 0, "skip": 0, "ok": 0,
             "nan-diffs": 0, "nan-only": 0, "host-limit": 0, "mismatch": 0,
             "invalid": 0}
    cats = {}
    seed = args.seed
    try:
        while True:
            if args.seeds is not None and stats["seeds"] >= args.seeds:
                break
            if args.seconds is not None and time.time() - start >= args.seconds:
                break
            stats["seeds"] += 1
            wasm, desc, denan = generate(tools, seed, workdir, args.max_bytes,
                                       args.gen)
            if wasm is None or wasm == "invalid":
                stats["genfail" if wasm is None else "invalid"] += 1
                seed += 1
                continue
            ref = reference(tools, wasm)
            if ref is None:
                stats["skip"] += 1
                seed += 1
                continue
            for mode in modes:
                stats["runs"] += 1
                verdict, detail, nan, notes, _, out = check_module(
                    tools, wasm, mode, ref)
                stats["nan-diffs"] += nan
                if "host-limit" in notes:
                    stats["host-limit"] += 1
                kept = None
                if verdict not in ("ok", "skip") and not denan and \
                        verdict not in ("crash", "timeout", "rejected") and \
                        may_have_nan(tools, wasm, ref) and \
                        denan_agrees(tools, wasm, mode, workdir):
                    stats["nan-only"] += 1
                    kept = os.path.join(args.out, "nan-only",
                                        "seed%d-%s" % (seed, mode))
                    verdict = "nan-only"
                if verdict == "ok" or verdict == "nan-only":
                    stats["ok"] += verdict == "ok"
                elif verdict == "skip":
                    stats["skip"] += 1
                else:
                    stats["mismatch"] += 1
                    cats[verdict] = cats.get(verdict, 0) + 1
                    kept = os.path.join(args.out, "seed%d-%s" % (seed, mode))
                    print("MISMATCH seed %d bounds=%s %s: %s\n%s"
                          % (seed, mode, desc, verdict, detail), flush=True)
                if kept:
                    os.makedirs(kept, exist_ok=True)
                    shutil.copy(wasm, os.path.join(kept, "m.wasm"))
                    with open(os.path.join(kept, "binaryen.txt"), "w") as f:
                        f.write(ref)
                    with open(os.path.join(kept, "twine.txt"), "w") as f:
                        f.write(out)
                    with open(os.path.join(kept, "verdict.txt"), "w") as f:
                        f.write("seed %d bounds=%s %s\n%s\n%s\n"
                                % (seed, mode, desc, verdict, detail))
                    if verdict != "nan-only" and not args.no_reduce:
                        r = reduce(tools, os.path.join(kept, "m.wasm"), mode,
                                   os.path.join(kept, "reduced.wasm"))
                        print("  reduced: %s" % (r or "(wasm-reduce failed)"),
                              flush=True)
                if args.v:
                    print("seed %d %s: %s%s" % (
                        seed, mode, verdict, " (host limit)" if notes else ""),
                        flush=True)
            seed += 1
    except KeyboardInterrupt:
        print("interrupted")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.time() - start
    print("summary: seeds %d (%d..%d), runs %d, ok %d, mismatches %d %s, "
          "nan-only %d, nan-diffs %d, host-limit %d, skipped %d, "
          "generation failures %d, spec-invalid %d, %.0f s"
          % (stats["seeds"], args.seed, seed - 1, stats["runs"], stats["ok"],
             stats["mismatch"], cats or "", stats["nan-only"],
             stats["nan-diffs"], stats["host-limit"], stats["skip"],
             stats["genfail"], stats["invalid"], elapsed))
    return 1 if stats["mismatch"] else 0


if __name__ == "__main__":
    sys.exit(main())
