;; A WASI reactor: no _start; _initialize must run before any export is
;; invoked (it prints "init" and sets $ready).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "init\n")
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize")
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                          (i32.const 8)))
    (global.set $ready (i32.const 42)))
  (func (export "ready") (result i32) (global.get $ready))
)
