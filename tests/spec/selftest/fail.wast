;; Self-test of the spec runner: every command after the first module must
;; FAIL. CTest checks the exact counts, so a runner that lets a wrong
;; result through shows up as a changed count.
(module
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "nanp") (result f32) (f32.const nan:0x600000))
  (func (export "snan") (result f64) (f64.const nan:0x1))
  (func (export "negz") (result f64) (f64.const -0))
  (func (export "id_ext") (param externref) (result externref) (local.get 0))
  (func (export "two") (result i32 i32) (i32.const 1) (i32.const 2))
  (func (export "unreach") unreachable)
  (global (export "g") i32 (i32.const 5))
)
;; wrong value, NaN payload, signalling NaN, sign of zero
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4))
(assert_return (invoke "nanp") (f32.const nan:canonical))
(assert_return (invoke "snan") (f64.const nan:arithmetic))
(assert_return (invoke "negz") (f64.const 0))
;; references
(assert_return (invoke "id_ext" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "id_ext" (ref.extern 1)) (ref.null extern))
(assert_return (invoke "id_ext" (ref.null extern)) (ref.extern 1))
;; results of a second value, of a global
(assert_return (invoke "two") (i32.const 1) (i32.const 3))
(assert_return (get "g") (i32.const 6))
;; a trap where values are expected
(assert_return (invoke "div" (i32.const 1) (i32.const 0)) (i32.const 0))
;; wrong trap kind, no trap
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer overflow")
(assert_trap (invoke "add" (i32.const 1) (i32.const 0)) "unreachable")
(assert_exhaustion (invoke "unreach") "call stack exhausted")
(invoke "unreach")
;; module assertions that do not hold
(assert_malformed (module binary "\00asm\01\00\00\00") "x")
(assert_invalid (module binary "\00asm\01\00\00\00\01") "x")
(assert_invalid (module (func)) "x")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "x")
(assert_trap (module (func)) "unreachable")
(assert_trap (module (memory 1) (data (i32.const 65536) "a")) "unreachable")
;; a module that does not link, then an action with no current module
(module
  (import "nope" "nope" (func $f (param i32 i32) (result i32)))
  (export "add" (func $f)))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
