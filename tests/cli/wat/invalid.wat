;; Well-formed but invalid: returns an i64 where an i32 is declared.
;; Compiled with wat2wasm --no-check.
(module
  (func (result i32) (i64.const 1))
)
