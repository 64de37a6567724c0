;; Small-read-heavy WASI workload: open "data.bin" in the first preopened
;; directory (fd 3) and read it 512 bytes at a time to the end; exit with
;; status 0 if at least one byte was read, else 1.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "data.bin")
  ;; 0: iovec (buf 1024, len 512), 16: nread, 20: opened fd, 24: total
  (func (export "_start")
    (local $fd i32)
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 100)
                         (i32.const 8) (i32.const 0) (i64.const 2)
                         (i64.const 0) (i32.const 0) (i32.const 20))
      (then (call $proc_exit (i32.const 2))))
    (local.set $fd (i32.load (i32.const 20)))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 512))
    (block $done
      (loop $l
        (br_if $done (call $fd_read (local.get $fd) (i32.const 0)
                                    (i32.const 1) (i32.const 16)))
        (br_if $done (i32.eqz (i32.load (i32.const 16))))
        (i32.store (i32.const 24) (i32.add (i32.load (i32.const 24))
                                           (i32.load (i32.const 16))))
        (br $l)))
    (call $proc_exit (i32.eqz (i32.load (i32.const 24))))))
