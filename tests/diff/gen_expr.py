"""gen_expr.py - a second module generator for run_diff.py (--gen=expr).

binaryen's translate-to-fuzz spends most of its code on hang-limit checks
and control flow; numeric instructions, loads/stores at odd offsets,
br_table, value-carrying branches and many-argument calls are rare. This
generator writes the text of a module (then wat2wasm) that is dense in
exactly what Twine's lowering specialises: constant operands on either side,
pending local reads across local.set/tee of the same local, fused compare +
branch, values carried by br/br_if/br_table, multi-value blocks and calls,
many arguments, select, nested loops with counters, and edge-case constants
for every numeric instruction.

Every export takes no parameters (binaryen calls exports with zeros) and
all loops are bounded, so each export terminates. Helper functions only call
helpers with a higher index (no recursion).

generate(seed) -> wat text.
"""

import random
import struct

TYPES = ["i32", "i64", "f32", "f64"]
LOOP = ("loop",)  # label marker: branches to loops are never generated

I32_EDGE = [0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 255,
            256, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, -0x80000000, -1,
            -2, -7, -8, -31, -32, -33, -128, -129, 0x12345678, -0x12345679,
            0x55555555, -0x55555556]
I64_EDGE = I32_EDGE + [0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF,
                       -0x8000000000000000, -0x100000000, 0x123456789ABCDEF0,
                       -0x7FFFFFFF, 0x80000000, -0x80000001, 0xFFFFFFFFFFFF]
F_EDGE = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5,
          0.49999997,
          2147483647.0, 2147483648.0, -2147483648.0, -2147483649.0,
          4294967295.0, 4294967296.0, 9223372036854775807.0,
          9223372036854775808.0, -9223372036854775808.0,
          18446744073709551616.0, 1e-45, 1e-310, 3.4028234663852886e38,
          1.7976931348623157e308, 1e30, -1e30, 0.1, 123456.789, 8388608.5,
          4503599627370496.5, float("inf"), float("-inf")]
# the few values most operations treat specially, picked more often
F_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -1.5, float("inf"),
             float("-inf")]
F32_NANS = [0x7FC00000, 0xFFC00000, 0x7FA00000, 0x7F800001, 0xFFFFFFFF,
            0x7FC12345]
F64_NANS = [0x7FF8000000000000, 0xFFF8000000000000, 0x7FF4000000000000,
            0x7FF0000000000001, 0x7FF8000000012345]

UNOPS = {
    "i32": ["i32.clz", "i32.ctz", "i32.popcnt", "i32.extend8_s",
            "i32.extend16_s"],
    "i64": ["i64.clz", "i64.ctz", "i64.popcnt", "i64.extend8_s",
            "i64.extend16_s", "i64.extend32_s"],
    "f32": ["f32.abs", "f32.neg", "f32.sqrt", "f32.ceil", "f32.floor",
            "f32.trunc", "f32.nearest"],
    "f64": ["f64.abs", "f64.neg", "f64.sqrt", "f64.ceil", "f64.floor",
            "f64.trunc", "f64.nearest"],
}
BINOPS = {
    "i32": ["add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and",
            "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"],
    "f32": ["add", "sub", "mul", "div", "min", "max", "copysign"],
}
BINOPS["i64"] = BINOPS["i32"]
BINOPS["f64"] = BINOPS["f32"]
CMPS = {
    "i32": ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s",
            "ge_u"],
    "f32": ["eq", "ne", "lt", "gt", "le", "ge"],
}
CMPS["i64"] = CMPS["i32"]
CMPS["f64"] = CMPS["f32"]
# conversions: result type -> [(op, operand type)]
CONVS = {
    "i32": [("i32.wrap_i64", "i64"), ("i32.trunc_f32_s", "f32"),
            ("i32.trunc_f32_u", "f32"), ("i32.trunc_f64_s", "f64"),
            ("i32.trunc_f64_u", "f64"), ("i32.trunc_sat_f32_s", "f32"),
            ("i32.trunc_sat_f32_u", "f32"), ("i32.trunc_sat_f64_s", "f64"),
            ("i32.trunc_sat_f64_u", "f64"), ("i32.reinterpret_f32", "f32"),
            ("i32.eqz", "i32"), ("i64.eqz", "i64")],
    "i64": [("i64.extend_i32_s", "i32"), ("i64.extend_i32_u", "i32"),
            ("i64.trunc_f32_s", "f32"), ("i64.trunc_f32_u", "f32"),
            ("i64.trunc_f64_s", "f64"), ("i64.trunc_f64_u", "f64"),
            ("i64.trunc_sat_f32_s", "f32"), ("i64.trunc_sat_f32_u", "f32"),
            ("i64.trunc_sat_f64_s", "f64"), ("i64.trunc_sat_f64_u", "f64"),
            ("i64.reinterpret_f64", "f64")],
    "f32": [("f32.convert_i32_s", "i32"), ("f32.convert_i32_u", "i32"),
            ("f32.convert_i64_s", "i64"), ("f32.convert_i64_u", "i64"),
            ("f32.demote_f64", "f64"), ("f32.reinterpret_i32", "i32")],
    "f64": [("f64.convert_i32_s", "i32"), ("f64.convert_i32_u", "i32"),
            ("f64.convert_i64_s", "i64"), ("f64.convert_i64_u", "i64"),
            ("f64.promote_f32", "f32"), ("f64.reinterpret_i64", "i64")],
}
LOADS = {
    "i32": [("i32.load", 4), ("i32.load8_s", 1), ("i32.load8_u", 1),
            ("i32.load16_s", 2), ("i32.load16_u", 2)],
    "i64": [("i64.load", 8), ("i64.load8_s", 1), ("i64.load8_u", 1),
            ("i64.load16_s", 2), ("i64.load16_u", 2), ("i64.load32_s", 4),
            ("i64.load32_u", 4)],
    "f32": [("f32.load", 4)],
    "f64": [("f64.load", 8)],
}
STORES = {
    "i32": [("i32.store", 4), ("i32.store8", 1), ("i32.store16", 2)],
    "i64": [("i64.store", 8), ("i64.store8", 1), ("i64.store16", 2),
            ("i64.store32", 4)],
    "f32": [("f32.store", 4)],
    "f64": [("f64.store", 8)],
}
LOG = {"i32": "$log_i32", "i64": "$log_i64", "f32": "$log_f32",
       "f64": "$log_f64"}


def f32_text(bits):
    if (bits >> 23) & 0xFF == 0xFF and bits & 0x7FFFFF:
        return "%snan:0x%x" % ("-" if bits >> 31 else "", bits & 0x7FFFFF)
    v = struct.unpack("<f", struct.pack("<I", bits))[0]
    return float_text(v)


def f64_text(bits):
    if (bits >> 52) & 0x7FF == 0x7FF and bits & 0xFFFFFFFFFFFFF:
        return "%snan:0x%x" % ("-" if bits >> 63 else "",
                               bits & 0xFFFFFFFFFFFFF)
    v = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return float_text(v)


def float_text(v):
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return v.hex()


# Battery operands (raw values: ints, or f32/f64 bit patterns).
def _fbits(v, t):
    return struct.unpack("<I", struct.pack("<f", v))[0] if t == "f32" else \
        struct.unpack("<Q", struct.pack("<d", v))[0]


_F_BATTERY = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, 3.5, 0.49999997,
              2147483647.0, 2147483648.0, -2147483649.0, 4294967296.0,
              9223372036854775808.0, -9223372036854775808.0,
              18446744073709551616.0, 4503599627370496.5, 1e-40, 1e-310,
              float("inf"), float("-inf")]
BATTERY = {
    "i32": [0, 1, -1, 2, 7, -7, 31, 32, 33, 0x80, 0xFFFF, 0x12345678,
            0x7FFFFFFF, -0x80000000, -0x7FFFFFFF, 0x55555555],
    "i64": [0, 1, -1, 2, 7, -7, 63, 64, 65, 0xFFFFFFFF, 0x100000000,
            0x7FFFFFFFFFFFFFFF, -0x8000000000000000, -0x7FFFFFFFFFFFFFFF,
            0x123456789ABCDEF0, -0x80000000],
    "f32": [_fbits(v, "f32") for v in _F_BATTERY if abs(v) < 3.5e38 or
            v in (float("inf"), float("-inf"))] + [
            0x7FC00000, 0xFFC00000, 0x7FA00001, 0x00000001, 0x7F7FFFFF],
    "f64": [_fbits(v, "f64") for v in _F_BATTERY] + [
            0x7FF8000000000000, 0xFFF8000000000000, 0x7FF4000000000001,
            0x0000000000000001, 0x7FEFFFFFFFFFFFFF],
}


def lit(t, v):
    if t == "f32":
        return f32_text(v)
    if t == "f64":
        return f64_text(v)
    return str(v)


def _fval(t, bits):
    if t == "f32":
        return struct.unpack("<f", struct.pack("<I", bits))[0]
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def traps(op, c):
    """Would `op` trap on operands c (battery values)?"""
    name = op.split(".", 1)[1]
    if name.startswith(("div", "rem")):
        bits = 32 if op.startswith("i32") else 64
        if c[1] == 0:
            return True
        return name == "div_s" and c[1] == -1 and c[0] == -(1 << (bits - 1))
    if name.startswith("trunc_f") and "sat" not in name:
        src = name[6:9]
        x = _fval(src, c[0])
        if x != x or x in (float("inf"), float("-inf")):
            return True
        import math
        v = math.trunc(x)
        bits = 32 if op.startswith("i32") else 64
        if name.endswith("_s"):
            return not -(1 << (bits - 1)) <= v < (1 << (bits - 1))
        return not 0 <= v < (1 << bits)
    return False


class Func:
    def __init__(self, name, params, results):
        self.name = name
        self.params = params
        self.results = results
        self.locals = []        # declared locals (types)
        self.reserved = set()   # loop counters: never written by the generator
        self.addr = []          # address locals: small values, `x += c`
        self.addr_ro = []       # address loop counters: read-only

    def all_locals(self):
        return self.params + self.locals

    def new_local(self, t, reserved=False):
        self.locals.append(t)
        idx = len(self.params) + len(self.locals) - 1
        if reserved:
            self.reserved.add(idx)
        return idx


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.helpers = []
        self.globals = []
        self.mem_pages = self.r.choice([1, 1, 2])
        self.mem_max = self.mem_pages + self.r.choice([0, 1, 3])
        self.fuel = 0

    # ---- small pieces ------------------------------------------------------

    def chance(self, p):
        return self.r.random() < p

    def const(self, t):
        r = self.r
        if t == "i32":
            v = r.choice(I32_EDGE) if self.chance(0.7) else r.randint(
                -2**31, 2**31 - 1)
            v = (v + 2**31) % 2**32 - 2**31
            return ["i32.const %d" % v]
        if t == "i64":
            v = r.choice(I64_EDGE) if self.chance(0.7) else r.randint(
                -2**63, 2**63 - 1)
            v = (v + 2**63) % 2**64 - 2**63
            return ["i64.const %d" % v]
        if t == "f32":
            x = r.random()
            if x < 0.08:
                return ["f32.const " + f32_text(r.choice(F32_NANS))]
            if x < 0.7:
                v = r.choice(F_SPECIAL if x < 0.35 else F_EDGE)
                bits = struct.unpack("<I", struct.pack("<f", v))[0] \
                    if abs(v) <= 3.4028234663852886e38 or v != v else (
                        0x7F800000 if v > 0 else 0xFF800000)
                return ["f32.const " + f32_text(bits)]
            return ["f32.const " + f32_text(r.getrandbits(32))]
        x = r.random()
        if x < 0.08:
            return ["f64.const " + f64_text(r.choice(F64_NANS))]
        if x < 0.7:
            return ["f64.const " + float_text(
                r.choice(F_SPECIAL if x < 0.35 else F_EDGE))]
        return ["f64.const " + f64_text(r.getrandbits(64))]

    def address(self, fn, depth, size):
        """An i32 address: mostly in bounds, sometimes at or past the end."""
        r = self.r
        limit = self.mem_pages * 65536
        x = r.random()
        if x < 0.6:
            return ["i32.const %d" % r.randint(0, 256)]
        if x < 0.63:
            return ["i32.const %d" % r.choice(
                [limit - size, limit - size + 1, limit - 1, limit, -1,
                 limit + 65536 - size, 0x7FFFFFFF])]
        if x < 0.8 and (fn.addr or fn.addr_ro):
            # base (+ index) (+ constant): the fused address forms
            a = r.choice(fn.addr + fn.addr_ro)
            b = r.choice(fn.addr + fn.addr_ro)
            c = r.choice([0, 1, 4, 8, 16, 100, -4, -16])
            y = r.random()
            if y < 0.25:
                return ["local.get %d" % a]
            if y < 0.5:
                return ["local.get %d" % a, "i32.const %d" % c, "i32.add"]
            if y < 0.6:
                return ["i32.const %d" % c, "local.get %d" % a, "i32.add"]
            if y < 0.8:
                return ["local.get %d" % a, "local.get %d" % b, "i32.add"]
            return ["local.get %d" % a, "local.get %d" % b, "i32.add",
                    "i32.const %d" % c, "i32.add"]
        if x < 0.97:
            return self.expr("i32", fn, depth + 1) + ["i32.const 1023",
                                                      "i32.and"]
        return self.expr("i32", fn, depth + 1)

    def memarg(self, size):
        r = self.r
        if self.chance(0.04):
            off = r.choice([65536 * self.mem_pages - size,
                            65536 * self.mem_pages - size + 1, 0xFFFFFFFF])
        else:
            off = r.choice([0, 0, 0, 1, 3, 8, 100, 1000, 65535 - 2048])
        align = r.choice([a for a in (1, 2, 4, 8) if a <= size])
        parts = []
        if off:
            parts.append("offset=%d" % off)
        if align != size or self.chance(0.2):
            parts.append("align=%d" % align)
        return (" " + " ".join(parts)) if parts else ""

    # ---- expressions -------------------------------------------------------

    def expr(self, t, fn, depth, labels=()):
        """Instructions pushing one value of type t."""
        r = self.r
        self.fuel -= 1
        if depth > 7 or self.fuel <= 0:
            locs = [i for i, lt in enumerate(fn.all_locals()) if lt == t]
            if locs and self.chance(0.5):
                return ["local.get %d" % r.choice(locs)]
            return self.const(t)
        choices = [
            (6, self.e_const), (6, self.e_local), (2, self.e_global),
            (4, self.e_unop), (10, self.e_binop), (4, self.e_cmp),
            (4, self.e_conv), (4, self.e_load), (3, self.e_select),
            (2, self.e_block_br), (2, self.e_if), (2, self.e_call),
            (3, self.e_tee), (1, self.e_loop), (1, self.e_br_table),
            (1, self.e_multi), (2, self.e_stack_hazard),
            (2, self.e_table),
        ]
        total = sum(w for w, _ in choices)
        x = r.uniform(0, total)
        for w, f in choices:
            x -= w
            if x <= 0:
                out = f(t, fn, depth, labels)
                if out is not None:
                    return out
                break
        return self.const(t)

    def e_const(self, t, fn, depth, labels):
        return self.const(t)

    def e_local(self, t, fn, depth, labels):
        locs = [i for i, lt in enumerate(fn.all_locals()) if lt == t]
        return ["local.get %d" % self.r.choice(locs)] if locs else None

    def e_global(self, t, fn, depth, labels):
        gs = [i for i, (gt, _) in enumerate(self.globals) if gt == t]
        return ["global.get %d" % self.r.choice(gs)] if gs else None

    def e_unop(self, t, fn, depth, labels):
        # edge constants straight into the op are what finds rounding and
        # sign-of-zero bugs; a local or a computed value exercises the rest
        x = self.r.random()
        if x < 0.35:
            a = self.const(t)
        elif x < 0.5:
            a = self.e_local(t, fn, depth, labels) or self.const(t)
        else:
            a = self.expr(t, fn, depth + 1)
        return a + [self.r.choice(UNOPS[t])]

    def e_binop(self, t, fn, depth, labels):
        op = self.r.choice(BINOPS[t])
        a = self.expr(t, fn, depth + 1)
        b = self.expr(t, fn, depth + 1)
        # constant operands on one side or both, the lowering's _i forms
        x = self.r.random()
        if x < 0.3:
            b = self.const(t)
        elif x < 0.4:
            a = self.const(t)
        elif x < 0.5:
            a, b = self.const(t), self.const(t)
        if op in ("div_s", "div_u", "rem_s", "rem_u") and self.chance(0.6):
            b = b + ["%s.const 1" % t, "%s.or" % t]  # fewer traps
        return a + b + ["%s.%s" % (t, op)]

    def e_cmp(self, t, fn, depth, labels):
        if t != "i32":
            return None
        ot = self.r.choice(TYPES)
        a = self.expr(ot, fn, depth + 1)
        b = self.const(ot) if self.chance(0.3) else self.expr(ot, fn,
                                                               depth + 1)
        return a + b + ["%s.%s" % (ot, self.r.choice(CMPS[ot]))]

    def e_conv(self, t, fn, depth, labels):
        op, ot = self.r.choice(CONVS[t])
        return self.expr(ot, fn, depth + 1) + [op]

    def e_load(self, t, fn, depth, labels):
        op, size = self.r.choice(LOADS[t])
        return self.address(fn, depth, size) + [op + self.memarg(size)]

    def e_select(self, t, fn, depth, labels):
        sel = "select (result %s)" % t if self.chance(0.3) else "select"
        return (self.expr(t, fn, depth + 1) + self.expr(t, fn, depth + 1) +
                self.cond(fn, depth) + [sel])

    def cond(self, fn, depth):
        """An i32 condition, often a comparison (fused compare + branch)."""
        if self.chance(0.6):
            return self.e_cmp("i32", fn, depth + 1, ())
        return self.expr("i32", fn, depth + 1)

    def e_block_br(self, t, fn, depth, labels):
        """block (result t): statements, a br_if carrying a value out,
        more statements, the fall-through value."""
        body = ["block (result %s)" % t]
        inner = labels + ((t,),)
        body += self.stmts(fn, depth + 1, inner, self.r.randint(0, 2))
        body += self.expr(t, fn, depth + 1, inner) + self.cond(fn, depth)
        body += ["br_if 0"]
        if self.chance(0.5):
            body += ["drop"] + self.expr(t, fn, depth + 1, inner)
        else:
            body += [self.r.choice(UNOPS[t])] if t in ("f32", "f64") or \
                self.chance(0.5) else []
        body += self.stmts(fn, depth + 1, inner, self.r.randint(0, 1))
        if self.chance(0.3):
            body += self.expr(t, fn, depth + 1, inner) + ["br 0"]
        body += ["end"]
        return body

    def e_if(self, t, fn, depth, labels):
        inner = labels + ((t,),)
        out = self.cond(fn, depth) + ["if (result %s)" % t]
        out += self.stmts(fn, depth + 1, inner, self.r.randint(0, 1))
        out += self.expr(t, fn, depth + 1, inner)
        out += ["else"]
        out += self.stmts(fn, depth + 1, inner, self.r.randint(0, 1))
        out += self.expr(t, fn, depth + 1, inner)
        return out + ["end"]

    def e_call(self, t, fn, depth, labels):
        cands = [h for h in self.helpers if h.index > fn.index and
                 h.results and h.results[-1] == t]
        if not cands:
            return None
        h = self.r.choice(cands)
        out = []
        for pt in h.params:
            out += self.expr(pt, fn, depth + 2)
        out += ["call $%s" % h.name]
        # keep the last result, drop (or store to locals) the others
        for rt in reversed(h.results[:-1]):
            out += self.keep_below(t, rt, fn)
        return out

    def keep_below(self, top_t, below_t, fn):
        """Stack [.., below, top] -> [.., top]."""
        tmp = fn.new_local(top_t)
        out = ["local.set %d" % tmp]
        locs = [i for i, lt in enumerate(fn.all_locals())
                if lt == below_t and i not in fn.reserved]
        if locs and self.chance(0.5):
            out += ["local.set %d" % self.r.choice(locs)]
        else:
            out += ["drop"]
        return out + ["local.get %d" % tmp]

    def e_tee(self, t, fn, depth, labels):
        locs = [i for i, lt in enumerate(fn.all_locals())
                if lt == t and i not in fn.reserved]
        if not locs:
            return None
        l = self.r.choice(locs)
        # a pending read of l below the tee: must see the old value
        if self.chance(0.4):
            return (["local.get %d" % l] + self.expr(t, fn, depth + 1) +
                    ["local.tee %d" % l] + self.binop_or_drop(t))
        return self.expr(t, fn, depth + 1) + ["local.tee %d" % l]

    def binop_or_drop(self, t):
        if self.chance(0.3):
            return ["drop"]
        return ["%s.%s" % (t, self.r.choice(
            ["add", "sub", "mul"] if t[0] == "i" else ["add", "sub", "min"]))]

    def e_stack_hazard(self, t, fn, depth, labels):
        """local.get x; (x := e); local.get x; op: old and new value."""
        locs = [i for i, lt in enumerate(fn.all_locals())
                if lt == t and i not in fn.reserved]
        if not locs:
            return None
        l = self.r.choice(locs)
        out = ["local.get %d" % l]
        out += self.expr(t, fn, depth + 1)
        out += ["local.set %d" % l, "local.get %d" % l]
        out += self.binop_or_drop(t)
        return out

    def e_loop(self, t, fn, depth, labels):
        cnt = fn.new_local("i32", reserved=True)
        # a loop label: never the target of a generated branch (only the
        # counter's br_if), so every loop ends
        inner = labels + (LOOP,)
        out = ["i32.const %d" % self.r.randint(1, 4), "local.set %d" % cnt,
               "loop (result %s)" % t]
        loop_labels = inner
        out += self.stmts(fn, depth + 1, loop_labels, self.r.randint(1, 3))
        out += self.back_edge(cnt)
        out += self.expr(t, fn, depth + 1, inner)
        return out + ["end"]

    def back_edge(self, cnt):
        """Decrement the counter and branch back while it is positive, in
        one of the shapes the lowering fuses (x += c; compare; br_if)."""
        y = self.r.random()
        if y < 0.3:
            return ["local.get %d" % cnt, "i32.const 1", "i32.sub",
                    "local.tee %d" % cnt, "br_if 0"]
        if y < 0.5:
            return ["local.get %d" % cnt, "i32.const 1", "i32.sub",
                    "local.tee %d" % cnt, "i32.const 0", "i32.gt_s", "br_if 0"]
        if y < 0.7:
            return ["local.get %d" % cnt, "i32.const -1", "i32.add",
                    "local.set %d" % cnt, "local.get %d" % cnt,
                    "i32.const 0", "i32.ne", "br_if 0"]
        if y < 0.85:
            return ["local.get %d" % cnt, "i32.const -1", "i32.add",
                    "local.set %d" % cnt, "i32.const 0", "local.get %d" % cnt,
                    "i32.lt_s", "br_if 0"]
        return ["local.get %d" % cnt, "i32.const 1", "i32.sub",
                "local.tee %d" % cnt, "i32.eqz", "i32.eqz", "br_if 0"]

    def s_addr_loop(self, fn, depth, labels):
        """for (a = a0; a < n; a += c) body: a counting address local that
        the body reads for its addresses."""
        r = self.r
        a = fn.new_local("i32", reserved=True)
        fn.addr_ro.append(a)
        a0 = r.choice([0, 8, 100, 1000])
        c = r.choice([1, 4, 8, 16])
        n = a0 + c * r.randint(1, 5)
        out = ["i32.const %d" % a0, "local.set %d" % a, "loop"]
        out += self.stmts(fn, depth + 1, labels + (LOOP,), r.randint(1, 3))
        if self.chance(0.5):
            out += ["local.get %d" % a, "i32.const %d" % c, "i32.add",
                    "local.tee %d" % a]
        else:
            out += ["local.get %d" % a, "i32.const %d" % c, "i32.add",
                    "local.set %d" % a, "local.get %d" % a]
        out += ["i32.const %d" % n, r.choice(["i32.lt_u", "i32.lt_s",
                                              "i32.ne"]), "br_if 0", "end"]
        fn.addr_ro.remove(a)
        return out

    def e_br_table(self, t, fn, depth, labels):
        n = self.r.randint(1, 4)
        out = []
        for _ in range(n + 1):
            out += ["block (result %s)" % t]
        out += self.expr(t, fn, depth + 1)
        idx = self.const("i32") if self.chance(0.3) else self.expr(
            "i32", fn, depth + 1)
        targets = [self.r.randint(0, n) for _ in range(self.r.randint(0, 5))]
        out += idx + ["br_table %s %d" % (" ".join(map(str, targets)),
                                          self.r.randint(0, n))]
        for i in range(n + 1):
            out += ["end"]
            if i < n:
                # each landing point transforms the value differently
                out += self.const(t) + ["%s.%s" % (t, self.r.choice(
                    ["add", "sub", "mul"] if t[0] == "i" else
                    ["add", "mul", "max"]))]
        return out

    def e_multi(self, t, fn, depth, labels):
        """A multi-value block whose results are combined or dropped."""
        other = self.r.choice(TYPES)
        ts = [other, t] if self.chance(0.5) else [t, other, t]
        inner = labels + (tuple(ts),)
        out = ["block (result %s)" % " ".join(ts)]
        vals = []
        for vt in ts:
            vals += self.expr(vt, fn, depth + 1, inner)
        if self.chance(0.4):
            # branch out with the values, conditionally
            out += vals + self.cond(fn, depth) + ["br_if 0"]
            out += ["drop"] * len(ts)
            for vt in ts:
                out += self.expr(vt, fn, depth + 1, inner)
        else:
            out += vals
        out += ["end"]
        if len(ts) == 2:
            out += self.keep_below(t, other, fn)
        else:
            out += self.keep_below(t, other, fn)   # [t, t]
            out += ["%s.%s" % (t, "add" if t[0] == "i" else "sub")]
        return out

    def tindex(self, fn, depth):
        """A table index: mostly in range, sometimes just past it."""
        if self.chance(0.8):
            return ["i32.const %d" % self.r.randint(0, self.tsize - 1)]
        if self.chance(0.5):
            return ["i32.const %d" % self.r.choice(
                [self.tsize, self.tmax, -1, 0x7FFFFFFF])]
        return self.expr("i32", fn, depth + 1) + ["i32.const 7", "i32.and"]

    def funcref(self, fn, depth):
        x = self.r.random()
        if x < 0.4:
            return ["ref.func $%s" % self.r.choice(self.helpers).name]
        if x < 0.6:
            return ["ref.null func"]
        return self.tindex(fn, depth) + ["table.get $t0"]

    def e_table(self, t, fn, depth, labels):
        """Table and reference instructions; call_indirect only in exports
        (helpers sit in the table: no indirect recursion)."""
        r = self.r
        if fn.index >= 100 or depth > 5:
            return None
        if t == "i32" and self.chance(0.5):
            x = r.random()
            if x < 0.25:
                return ["table.size $t%d" % r.randint(0, 1)]
            if x < 0.5:
                tb = r.randint(0, 1)
                ref = self.funcref(fn, depth) if tb == 0 else [
                    "ref.null extern"]
                return ref + ["i32.const %d" % r.choice([0, 1, 2, 5, -1]),
                              "table.grow $t%d" % tb]
            if x < 0.75:
                return self.funcref(fn, depth) + ["ref.is_null"]
            return self.tindex(fn, depth) + ["table.get $t1", "ref.is_null"]
        cands = [h for h in self.helpers if h.results and h.results[-1] == t]
        if not cands:
            return None
        h = r.choice(cands)
        out = []
        for pt in h.params:
            out += self.expr(pt, fn, depth + 2)
        out += self.tindex(fn, depth)
        sig = ""
        if h.params:
            sig += " (param %s)" % " ".join(h.params)
        sig += " (result %s)" % " ".join(h.results)
        out += ["call_indirect $t0" + sig]
        for rt in reversed(h.results[:-1]):
            out += self.keep_below(t, rt, fn)
        return out

    def s_table(self, fn, depth, labels):
        r = self.r
        x = r.random()
        if x < 0.3:
            return self.tindex(fn, depth) + self.funcref(fn, depth) + [
                "table.set $t0"]
        # (binaryen 108 cannot read table.fill, table.copy, table.init,
        # elem.drop)
        if x < 0.6:
            return self.tindex(fn, depth) + ["ref.null extern",
                                             "table.set $t1"]
        # an indirect call whose results are logged
        h = r.choice(self.helpers)
        out = []
        for pt in h.params:
            out += self.expr(pt, fn, depth + 2, labels)
        out += self.tindex(fn, depth)
        sig = ""
        if h.params:
            sig += " (param %s)" % " ".join(h.params)
        if h.results:
            sig += " (result %s)" % " ".join(h.results)
        out += ["call_indirect $t0" + sig]
        for rt in reversed(h.results):
            out += ["call " + LOG[rt]]
        return out

    # ---- statements --------------------------------------------------------

    def stmts(self, fn, depth, labels, n):
        out = []
        for _ in range(n):
            out += self.stmt(fn, depth, labels)
        return out

    def stmt(self, fn, depth, labels):
        r = self.r
        self.fuel -= 1
        if depth > 6 or self.fuel <= 0:
            return []
        x = r.random()
        if x < 0.2:
            locs = [i for i, lt in enumerate(fn.all_locals())
                    if i not in fn.reserved]
            if locs:
                l = r.choice(locs)
                return self.expr(fn.all_locals()[l], fn, depth + 1,
                                 labels) + ["local.set %d" % l]
        if x < 0.3:
            gs = [i for i, (gt, mut) in enumerate(self.globals) if mut]
            if gs:
                g = r.choice(gs)
                return self.expr(self.globals[g][0], fn, depth + 1,
                                 labels) + ["global.set %d" % g]
        if x < 0.45:
            t = r.choice(TYPES)
            op, size = r.choice(STORES[t])
            return (self.address(fn, depth, size) +
                    self.expr(t, fn, depth + 1, labels) +
                    [op + self.memarg(size)])
        if x < 0.6:
            t = r.choice(TYPES)
            return self.expr(t, fn, depth + 1, labels) + ["call " + LOG[t]]
        if x < 0.67:
            return self.cond(fn, depth) + ["if"] + self.stmts(
                fn, depth + 1, labels + ((),), r.randint(1, 2)) + [
                "else"] + self.stmts(fn, depth + 1, labels + ((),),
                                     r.randint(0, 2)) + ["end"]
        if x < 0.72:
            # a branch to an enclosing label that carries no values
            cands = [i for i, lt in enumerate(reversed(labels)) if lt == ()]
            if cands:
                return self.cond(fn, depth) + ["br_if %d" % r.choice(cands)]
        if x < 0.77:
            cnt = fn.new_local("i32", reserved=True)
            return (["i32.const %d" % r.randint(1, 3), "local.set %d" % cnt,
                     "block", "loop"] +
                    self.stmts(fn, depth + 1, labels + ((), LOOP),
                               r.randint(1, 3)) +
                    ["local.get %d" % cnt, "i32.eqz", "br_if 1",
                     "local.get %d" % cnt, "i32.const 1", "i32.sub",
                     "local.set %d" % cnt, "br 0", "end", "end"])
        if x < 0.79:
            cnt = fn.new_local("i32", reserved=True)
            return (["i32.const %d" % r.randint(1, 3), "local.set %d" % cnt,
                     "loop"] +
                    self.stmts(fn, depth + 1, labels + (LOOP,),
                               r.randint(1, 3)) +
                    self.back_edge(cnt) + ["end"])
        if x < 0.82:
            t = r.choice(TYPES)
            return self.expr(t, fn, depth + 1, labels) + ["drop"]
        if x < 0.86:
            op = r.choice(["memory.fill", "memory.copy"])
            n = r.choice([0, 1, 7, 64, 300, 65536])
            out = self.address(fn, depth, max(n, 1))
            if op == "memory.fill":
                out += self.expr("i32", fn, depth + 1, labels)
            else:
                out += self.address(fn, depth, max(n, 1))
            return out + ["i32.const %d" % n, op]
        if x < 0.88:
            return ["i32.const %d" % r.choice([0, 1, 1, 2, 100, -1]),
                    "memory.grow", "call $log_i32", "memory.size",
                    "call $log_i32"]
        if x < 0.89 and fn.index < 100:
            return self.s_table(fn, depth, labels)
        if x < 0.9 and fn.addr:
            a = r.choice(fn.addr)
            if self.chance(0.8):
                return ["local.get %d" % a, "i32.const %d" % r.choice(
                    [1, 4, 8, -4, 100]), "i32.add", "local.set %d" % a]
            # wrap-around: a + b (+ c) overflows 32 bits to a small address
            return ["i32.const %d" % r.choice([-16, -4, -1, -100, -65536]),
                    "local.set %d" % a]
        if x < 0.91:
            return self.s_addr_loop(fn, depth, labels)
        if x < 0.96:
            cands = [h for h in self.helpers if h.index > fn.index]
            if cands:
                h = r.choice(cands)
                out = []
                for pt in h.params:
                    out += self.expr(pt, fn, depth + 2, labels)
                out += ["call $%s" % h.name]
                for rt in reversed(h.results):
                    out += ["call " + LOG[rt]] if self.chance(0.5) else [
                        "drop"]
                return out
        # a typed value parked in a block, then logged: br out of nested
        # blocks with a value
        t = r.choice(TYPES)
        return self.e_block_br(t, fn, depth, labels) + ["call " + LOG[t]]

    # ---- numeric batteries -------------------------------------------------

    def battery(self, i):
        """Export num<i>: one numeric instruction over a grid of edge
        operands, every result logged. Operands come as constants, locals
        or globals (the lowering's different operand forms). Operand pairs
        that would trap are left out, so the whole grid runs."""
        r = self.r
        kind = r.choice(["un", "bin", "bin", "cmp", "conv"])
        if kind == "un":
            t = r.choice(TYPES)
            op, ts, rt = r.choice(UNOPS[t]), [t], t
        elif kind == "bin":
            t = r.choice(TYPES)
            op, ts, rt = "%s.%s" % (t, r.choice(BINOPS[t])), [t, t], t
        elif kind == "cmp":
            t = r.choice(TYPES)
            op, ts, rt = "%s.%s" % (t, r.choice(CMPS[t])), [t, t], "i32"
        else:
            rt = r.choice(TYPES)
            op, ot = r.choice(CONVS[rt])
            ts = [ot]
        grids = [r.sample(BATTERY[t], min(len(BATTERY[t]), 12)) for t in ts]
        combos = [(a,) for a in grids[0]] if len(ts) == 1 else [
            (a, b) for a in grids[0] for b in grids[1]]
        combos = [c for c in combos if not traps(op, c)]
        form = r.choice(["const", "local", "mixed", "global"])
        lines = ['  (func $num%d (export "num%d")' % (i, i),
                 "    (local %s)" % " ".join(ts)]
        gl = []
        for c in combos:
            operands = []
            for k, (t, v) in enumerate(zip(ts, c)):
                cst = "%s.const %s" % (t, lit(t, v))
                f = form if form != "mixed" else r.choice(["const", "local"])
                if f == "const":
                    operands.append(cst)
                elif f == "local":
                    lines += ["    " + cst, "    local.set %d" % k]
                    operands.append("local.get %d" % k)
                else:
                    g = len(self.globals) + len(gl)
                    gl.append("  (global (mut %s) (%s))" % (t, cst))
                    operands.append("global.get %d" % g)
            lines += ["    " + o for o in operands]
            lines += ["    " + op, "    call " + LOG[rt]]
        lines.append("  )")
        self.globals += [("battery", False)] * len(gl)  # their indices
        return "\n".join(gl + lines)

    # ---- functions and module ----------------------------------------------

    def body(self, fn):
        self.fuel = self.r.randint(20, 120)
        out = []
        for _ in range(self.r.randint(0, 2)):
            a = fn.new_local("i32", reserved=True)
            fn.addr.append(a)
            out += ["i32.const %d" % self.r.choice(
                [0, 4, 8, 64, 100, 1000, 4096]), "local.set %d" % a]
        out += self.stmts(fn, 0, ((tuple(fn.results)),), self.r.randint(1, 6))
        if fn.results and self.chance(0.2):
            # early return from inside a block
            vals = []
            for t in fn.results:
                vals += self.expr(t, fn, 1, ())
            out += ["block"] + self.cond(fn, 1) + ["if"] + vals + [
                "return", "end", "end"]
        for t in fn.results:
            out += self.expr(t, fn, 0, ())
        return out

    def func_text(self, fn, export=None):
        head = "  (func $%s" % fn.name
        if export:
            head += ' (export "%s")' % export
        if fn.params:
            head += " (param %s)" % " ".join(fn.params)
        if fn.results:
            head += " (result %s)" % " ".join(fn.results)
        body = self.body(fn)
        lines = [head]
        if fn.locals:
            lines.append("    (local %s)" % " ".join(fn.locals))
        lines += ["    " + i for i in body]
        lines.append("  )")
        return "\n".join(lines)

    def module(self):
        r = self.r
        out = ["(module",
               ] + ['  (import "fuzzing-support" "log-%s" '
                    '(func $log_%s (param %s)))' % (t, t, t) for t in TYPES] + [
               "  (memory %d %d)" % (self.mem_pages, self.mem_max)]
        data = bytes(r.getrandbits(8) for _ in range(r.randint(16, 300)))
        out.append('  (data (i32.const %d) "%s")' % (
            r.choice([0, 0, 8, 100]), "".join("\\%02x" % b for b in data)))
        for i in range(r.randint(2, 8)):
            t = r.choice(TYPES)
            mut = self.chance(0.7)
            self.globals.append((t, mut))
            out.append("  (global %s %s)" % (
                "(mut %s)" % t if mut else t, " ".join(self.const(t))))
        # helpers: called only by lower-index functions
        nh = r.randint(2, 8)
        for i in range(nh):
            np = r.choice([0, 1, 2, 3, 5, 8, 17, 20])
            params = [r.choice(TYPES) for _ in range(np)]
            nr = r.choice([0, 1, 1, 1, 2, 3])
            results = [r.choice(TYPES) for _ in range(nr)]
            h = Func("h%d" % i, params, results)
            h.index = 100 + i
            for _ in range(r.randint(0, 4)):
                h.locals.append(r.choice(TYPES))
            self.helpers.append(h)
        # table 0: funcref, helpers in an active segment (call_indirect,
        # table.get/set/grow/size); table 1: externref (nulls). The passive
        # segment only feeds ref.func declarations (binaryen 108 has no
        # table.init).
        self.tsize = r.choice([2, 4, 8])
        self.tmax = self.tsize + r.choice([0, 2, 16])
        out.append("  (table $t0 %d %d funcref)" % (self.tsize, self.tmax))
        out.append("  (table $t1 %d %d externref)" % (r.randint(0, 3),
                                                      r.choice([4, 8])))
        names = " ".join("$" + h.name for h in self.helpers)
        act = [r.choice(self.helpers).name for _ in range(
            r.randint(1, self.tsize))]
        out.append("  (elem (table $t0) (i32.const %d) func %s)" % (
            r.randint(0, self.tsize - len(act)),
            " ".join("$" + n for n in act)))
        pas = [r.choice(self.helpers).name for _ in range(r.randint(1, 5))]
        out.append("  (elem $pe funcref %s (ref.null func))" % " ".join(
            "(ref.func $%s)" % n for n in pas))
        out.append("  (elem declare func %s)" % names)
        funcs = []
        ne = r.randint(3, 10)
        for i in range(ne):
            nr = r.choice([0, 1, 1, 1, 2, 3])
            f = Func("e%d" % i, [], [r.choice(TYPES) for _ in range(nr)])
            f.index = i
            # now and then a big frame (many locals: slot indices, zeroing)
            nl = r.randint(1, 6) if self.chance(0.9) else r.randint(50, 400)
            for _ in range(nl):
                f.locals.append(r.choice(TYPES))
            funcs.append(f)
        for f in funcs:
            out.append(self.func_text(f, export=f.name))
            if self.chance(0.5):
                out.append('  (export "hash_after_%s" (func $hash))' % f.name)
        export_all = self.chance(0.5)
        for h in self.helpers:
            out.append(self.func_text(
                h, export=h.name if export_all or self.chance(0.3) else None))
        starts = [h for h in self.helpers if not h.params and not h.results]
        if starts and self.chance(0.3):
            # runs during instantiation: its logs come before any export
            out.append("  (start $%s)" % r.choice(starts).name)
        for i in range(r.randint(1, 4)):
            out.append(self.battery(i))
        # the table's contents as a tuple (function identity is compared
        # for exported functions), and its size
        out.append('  (func (export "table") (result i32%s)' %
                   (" funcref" * self.tsize))
        out.append("    table.size $t0")
        for k in range(self.tsize):
            out.append("    i32.const %d table.get $t0" % k)
        out.append("  )")
        out.append(HASH)
        out.append(")")
        return "\n".join(out) + "\n"


# Hash of the first 1 KiB of memory and of the globals' low bits is logged
# by the export that other exports are interleaved with.
HASH = """  (func $hash (export "hash") (result i32)
    (local i32 i32)
    i32.const 5381
    local.set 1
    block
      loop
        local.get 0
        i32.const 1024
        i32.ge_u
        br_if 1
        local.get 1
        i32.const 33
        i32.mul
        local.get 0
        i32.load
        i32.xor
        local.set 1
        local.get 0
        i32.const 4
        i32.add
        local.set 0
        br 0
      end
    end
    local.get 1
  )"""


def generate(seed):
    return Gen(seed).module()


if __name__ == "__main__":
    import sys
    sys.stdout.write(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 1))
