"""reftypes_fix.py - make binaryen 108's reference-types modules spec-valid.

With only reference-types enabled, binaryen 108's translate-to-fuzz writes
modules that the spec rejects: ref.func has the non-nullable typed type
(ref $sig), which ends up in block/select/local types (0x6b/0x6c + heap
type), and funcref values flow where binaryen's "anyref" (written as
externref, 0x6f) is expected, since binaryen treats anyref as a supertype
of funcref. fix() rewrites every reference type (value types, block types,
select types, table and element types, ref.null heap types) to funcref,
which makes those modules valid (all references become one type), and
ref.as_non_null (which binaryen adds when it re-writes such a module, on
values its own types know are non-null) to nop. Both
engines then run the rewritten module, so the comparison stays fair.

fix(data) -> bytes, or None when the module uses something the walker does
not know (the seed is then skipped).
"""

REF_BYTES = {0x70, 0x6f, 0x6e, 0x6d, 0x6a, 0x69, 0x68, 0x67}
NUM_BYTES = {0x7f, 0x7e, 0x7d, 0x7c, 0x7b}
FUNCREF = 0x70


class Unsupported(Exception):
    pass


def u32(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise Unsupported("truncated")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def skip_leb(data, pos):
    while True:
        if pos >= len(data):
            raise Unsupported("truncated")
        b = data[pos]
        pos += 1
        if not b & 0x80:
            return pos


def enc_u32(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


class Rewriter:
    def __init__(self, data):
        self.d = data
        self.p = 0
        self.o = bytearray()

    def copy(self, n):
        if self.p + n > len(self.d):
            raise Unsupported("truncated")
        self.o += self.d[self.p:self.p + n]
        self.p += n

    def byte(self):
        if self.p >= len(self.d):
            raise Unsupported("truncated")
        b = self.d[self.p]
        self.p += 1
        return b

    def copy_u32(self):
        v, np = u32(self.d, self.p)
        self.o += self.d[self.p:np]
        self.p = np
        return v

    def copy_leb(self):
        np = skip_leb(self.d, self.p)
        self.o += self.d[self.p:np]
        self.p = np

    def valtype(self):
        b = self.byte()
        if b in NUM_BYTES:
            self.o.append(b)
        elif b in REF_BYTES:
            self.o.append(FUNCREF)
        elif b in (0x6b, 0x6c):
            self.p = skip_leb(self.d, self.p)  # heap type
            self.o.append(FUNCREF)
        else:
            raise Unsupported("value type 0x%02x" % b)

    def heaptype(self):
        self.p = skip_leb(self.d, self.p)
        self.o.append(FUNCREF)

    def blocktype(self):
        b = self.d[self.p] if self.p < len(self.d) else None
        if b == 0x40:
            self.copy(1)
        elif b in NUM_BYTES or b in REF_BYTES or b in (0x6b, 0x6c):
            self.valtype()
        else:
            self.copy_leb()  # type index (s33)

    def vec_valtypes(self):
        n = self.copy_u32()
        for _ in range(n):
            self.valtype()

    def expr(self):
        """Instructions up to and including the matching final end."""
        depth = 0
        while True:
            op = self.byte()
            if op in (0x02, 0x03, 0x04):
                self.o.append(op)
                self.blocktype()
                depth += 1
            elif op == 0x0B:
                self.o.append(op)
                if depth == 0:
                    return
                depth -= 1
            elif op == 0x1C:
                self.o.append(op)
                self.vec_valtypes()
            elif op == 0xD0:
                self.o.append(op)
                self.heaptype()
            elif op == 0xD3:
                # ref.as_non_null: binaryen inserts it when it re-writes a
                # module, on values its types say are non-null -> nop
                self.o.append(0x01)
            elif op in (0x00, 0x01, 0x05, 0x0F, 0x1A, 0x1B, 0xD1) or \
                    0x45 <= op <= 0xC4:
                self.o.append(op)
            elif op in (0x0C, 0x0D, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
                        0x26, 0xD2):
                self.o.append(op)
                self.copy_u32()
            elif op == 0x0E:
                self.o.append(op)
                n = self.copy_u32()
                for _ in range(n + 1):
                    self.copy_u32()
            elif op == 0x11:
                self.o.append(op)
                self.copy_u32()
                self.copy_u32()
            elif 0x28 <= op <= 0x3E:
                self.o.append(op)
                self.copy_u32()
                self.copy_u32()
            elif op in (0x3F, 0x40):
                self.o.append(op)
                self.copy(1)
            elif op in (0x41, 0x42):
                self.o.append(op)
                self.copy_leb()
            elif op == 0x43:
                self.o.append(op)
                self.copy(4)
            elif op == 0x44:
                self.o.append(op)
                self.copy(8)
            elif op == 0xFC:
                self.o.append(op)
                sub = self.copy_u32()
                if sub <= 7:
                    pass
                elif sub == 8:
                    self.copy_u32()
                    self.copy(1)
                elif sub in (9, 13, 15, 16, 17):
                    self.copy_u32()
                elif sub == 10:
                    self.copy(2)
                elif sub == 11:
                    self.copy(1)
                elif sub in (12, 14):
                    self.copy_u32()
                    self.copy_u32()
                else:
                    raise Unsupported("0xfc %d" % sub)
            else:
                raise Unsupported("opcode 0x%02x" % op)

    def limits(self):
        flags = self.copy_u32()
        self.copy_u32()
        if flags & 1:
            self.copy_u32()

    # ---- sections ----

    def sec_type(self):
        n = self.copy_u32()
        for _ in range(n):
            if self.byte() != 0x60:
                raise Unsupported("non-function type")
            self.o.append(0x60)
            self.vec_valtypes()
            self.vec_valtypes()

    def sec_import(self):
        n = self.copy_u32()
        for _ in range(n):
            for _ in range(2):
                ln = self.copy_u32()
                self.copy(ln)
            kind = self.byte()
            self.o.append(kind)
            if kind == 0:
                self.copy_u32()
            elif kind == 1:
                self.valtype()
                self.limits()
            elif kind == 2:
                self.limits()
            elif kind == 3:
                self.valtype()
                self.copy(1)
            else:
                raise Unsupported("import kind %d" % kind)

    def sec_table(self):
        n = self.copy_u32()
        for _ in range(n):
            self.valtype()
            self.limits()

    def sec_global(self):
        n = self.copy_u32()
        for _ in range(n):
            self.valtype()
            self.copy(1)
            self.expr()

    def sec_elem(self):
        n = self.copy_u32()
        for _ in range(n):
            flags = self.copy_u32()
            if flags > 7:
                raise Unsupported("elem flags %d" % flags)
            if flags & 2 and not flags & 1:
                self.copy_u32()  # table index
            if not flags & 1:
                self.expr()  # offset
            exprs = flags & 4
            if flags & 3:
                if exprs:
                    self.valtype()
                else:
                    self.copy(1)  # elemkind
            cnt = self.copy_u32()
            for _ in range(cnt):
                if exprs:
                    self.expr()
                else:
                    self.copy_u32()

    def sec_code(self):
        n = self.copy_u32()
        for _ in range(n):
            size, p = u32(self.d, self.p)
            end = p + size
            self.p = p
            outer, self.o = self.o, bytearray()
            nl = self.copy_u32()
            for _ in range(nl):
                self.copy_u32()
                self.valtype()
            self.expr()
            if self.p != end:
                raise Unsupported("function body size")
            body, self.o = self.o, outer
            self.o += enc_u32(len(body)) + body

    def module(self):
        if self.d[:8] != b"\0asm\1\0\0\0":
            raise Unsupported("not a wasm module")
        self.copy(8)
        handlers = {1: self.sec_type, 2: self.sec_import, 4: self.sec_table,
                    6: self.sec_global, 9: self.sec_elem, 10: self.sec_code}
        while self.p < len(self.d):
            sid = self.byte()
            size, p = u32(self.d, self.p)
            end = p + size
            if end > len(self.d):
                raise Unsupported("section size")
            if sid in handlers:
                self.p = p
                outer, self.o = self.o, bytearray()
                handlers[sid]()
                if self.p != end:
                    raise Unsupported("section %d size" % sid)
                body, self.o = self.o, outer
            else:
                body = self.d[p:end]
                self.p = end
            self.o.append(sid)
            self.o += enc_u32(len(body)) + body
        return bytes(self.o)


def fix(data):
    try:
        return Rewriter(data).module()
    except Unsupported:
        return None
