;; A WASI command that writes a line, then traps three calls deep: the
;; backtrace must name $explode, $middle and $_start_impl.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "before the trap\n")
  (func $explode (param i32) (result i32)
    (i32.div_u (i32.const 7) (local.get 0)))
  (func $middle (param i32) (result i32)
    (call $explode (local.get 0)))
  (func $_start_impl (export "_start")
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                          (i32.const 8)))
    (drop (call $middle (i32.const 0))))
)
