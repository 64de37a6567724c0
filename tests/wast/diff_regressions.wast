;; Regressions found by the differential tester (tests/diff/run_diff.py:
;; Twine against binaryen's interpreter). Each case: the seed that found
;; it, the bug, and a minimal module.

;; 1. 32-bit constants written into 64-bit slots must be zero-extended.
;;    Found in the first minutes of fuzzing (a ttf module after -O4,
;;    reduced by wasm-reduce): `log-i64 (i64.const 33)` logged 33 with the
;;    high half of an f64 left in the slot by an earlier call. Cause: the const32 handler in src/interp/loop.inc wrote only
;;    the low 32 bits of the slot (fp[A0].i32 = A1), and the lowering
;;    (emit_const in src/interp/lower.c) uses const32 for every constant
;;    that fits in 32 bits, i64 and f64 ones included. Fixed in a22e694.
(module
  (func $f64 (result f64) (f64.const -0x1p62))
  (func (export "dirty") (result f64) (call $f64))
  (func (export "ret-i64-const") (result i64) (i64.const 33))
  (func (export "local-then-ret") (result i64) (local f64)
    (local.set 0 (f64.const -0x1p62))
    (i64.const 33))
  (func (export "block-i64") (param f64) (result i64)
    (drop (f64.neg (local.get 0)))
    (block (result i64) (i64.const 33)))
  (func $id64 (param i64) (result i64) (local.get 0))
  (func (export "arg-i64") (param f64) (result i64)
    (drop (f64.neg (local.get 0)))
    (call $id64 (i64.const 33)))
  (func (export "f64-small-bits") (param f64) (result i64)
    (drop (f64.neg (local.get 0)))
    (i64.reinterpret_f64
      (block (result f64) (f64.const 0x0.0000000000021p-1022))))
)
;; the first call leaves 0xc3d0000000000000 in the callee's slot 0
(assert_return (invoke "dirty") (f64.const -0x1p62))
(assert_return (invoke "ret-i64-const") (i64.const 33))
(assert_return (invoke "local-then-ret") (i64.const 33))
(assert_return (invoke "block-i64" (f64.const 0x1p62)) (i64.const 33))
(assert_return (invoke "arg-i64" (f64.const 0x1p62)) (i64.const 33))
(assert_return (invoke "f64-small-bits" (f64.const 0x1p62)) (i64.const 33))
