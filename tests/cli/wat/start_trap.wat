;; The start function traps during instantiation.
(module
  (func $boot unreachable)
  (start $boot)
  (func (export "never") (result i32) (i32.const 1))
)
