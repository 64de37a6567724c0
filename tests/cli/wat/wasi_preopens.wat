;; Lists the guest's preopened descriptors: for fd 3, 4, ... until
;; fd_fdstat_get fails, prints "fd N: dir NAME" for a directory (NAME from
;; fd_prestat_dir_name), "fd N: socket" for a stream socket, else
;; "fd N: other". Exits 0.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get"
    (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get"
    (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name"
    (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: iovec, 16: nwritten, 32: fdstat, 64: prestat, 128: "fd N: ",
  ;; 4096: name
  (data (i32.const 128) "fd 0: ")
  (data (i32.const 144) "dir ")
  (data (i32.const 160) "socket\n")
  (data (i32.const 176) "other\n")
  (data (i32.const 192) "\n")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                          (i32.const 16))))
  (func $dir (param $fd i32)
    (local $len i32)
    (if (call $fd_prestat_get (local.get $fd) (i32.const 64))
      (then (call $write (i32.const 176) (i32.const 6)) (return)))
    (local.set $len (i32.load (i32.const 68)))
    (if (i32.gt_u (local.get $len) (i32.const 1024))
      (then (local.set $len (i32.const 1024))))
    (drop (call $fd_prestat_dir_name (local.get $fd) (i32.const 4096)
                                     (local.get $len)))
    (call $write (i32.const 144) (i32.const 4))
    (call $write (i32.const 4096) (local.get $len))
    (call $write (i32.const 192) (i32.const 1)))
  (func (export "_start")
    (local $fd i32) (local $type i32)
    (local.set $fd (i32.const 3))
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (local.get $fd) (i32.const 9)))
        (br_if $done (call $fd_fdstat_get (local.get $fd) (i32.const 32)))
        (i32.store8 (i32.const 131) (i32.add (i32.const 48) (local.get $fd)))
        (call $write (i32.const 128) (i32.const 6))
        (local.set $type (i32.load8_u (i32.const 32)))
        (if (i32.eq (local.get $type) (i32.const 3))
          (then (call $dir (local.get $fd)))
          (else
            (if (i32.eq (local.get $type) (i32.const 6))
              (then (call $write (i32.const 160) (i32.const 7)))
              (else (call $write (i32.const 176) (i32.const 6))))))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $next))))
)
