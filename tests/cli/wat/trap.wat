;; Traps with a name section (compiled with --debug-names): the backtrace
;; must name $inner, $middle and $outer.
(module
  (func $inner (param i32) (result i32)
    (i32.div_s (i32.const 1) (local.get 0)))
  (func $middle (param i32) (result i32)
    (call $inner (local.get 0)))
  (func $outer (export "divide") (param i32) (result i32)
    (call $middle (local.get 0)))
  (func $crash (export "crash") unreachable)
  (func $recurse (export "recurse") (call $recurse))
  (memory 1)
  (func $load (export "load") (param i32) (result i32)
    (i32.load (local.get 0)))
)
