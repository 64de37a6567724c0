;; Export names with terminal control bytes and a NUL: messages that list
;; or echo them must escape them.
(module
  (func (export "\1b[31mevil") (result i32) (i32.const 1))
  (func (export "a\00b") (result i32) (i32.const 2))
)
