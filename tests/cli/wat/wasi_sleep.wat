;; Blocks in a host call: poll_oneoff on a one-hour relative clock
;; subscription. --timeout must still end it.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    ;; subscription at 0 (48 bytes): userdata 0, tag 0 (clock),
    ;; clock id 1 (monotonic) at 16, timeout at 24, precision 0, flags 0
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 3600000000000))
    (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1)
                             (i32.const 128))))
)
