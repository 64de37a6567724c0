;; A small WASI command: greets on stdout and stderr, prints its arguments
;; and environment one per line, then exits. _start returns (exit 0) when
;; there are no arguments, else calls proc_exit(number of arguments).
;; Exports for --invoke: exit_with (proc_exit), add, and crash (a trap).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get"
    (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  ;; 0: iovec, 16: nwritten, 32: count, 36: buffer size,
  ;; 1024: pointer array (256 entries), 4096..131072: strings.
  (data (i32.const 100) "hello, wasi\n")
  (data (i32.const 120) "arg: ")
  (data (i32.const 130) "env: ")
  (data (i32.const 140) "\n")
  (data (i32.const 150) "to stderr\n")

  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (if (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1)
                        (i32.const 16))
      (then (call $proc_exit (i32.const 90)))))

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u
          (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  ;; Print "<prefix><each string>\n" for `count` strings listed at 1024.
  (func $print_list (param $prefix i32) (param $count i32)
    (local $i i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $s (i32.load (i32.add (i32.const 1024)
                                         (i32.shl (local.get $i) (i32.const 2)))))
        (call $write (i32.const 1) (local.get $prefix) (i32.const 5))
        (call $write (i32.const 1) (local.get $s) (call $strlen (local.get $s)))
        (call $write (i32.const 1) (i32.const 140) (i32.const 1))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; Sizes at 32/36 must fit the buffers, else exit 91.
  (func $check_sizes
    (if (i32.or (i32.gt_u (i32.load (i32.const 32)) (i32.const 256))
                (i32.gt_u (i32.load (i32.const 36)) (i32.const 126976)))
      (then (call $proc_exit (i32.const 91)))))

  (func (export "_start")
    (local $argc i32)
    (call $write (i32.const 1) (i32.const 100) (i32.const 12))
    (call $write (i32.const 2) (i32.const 150) (i32.const 10))
    (if (call $args_sizes_get (i32.const 32) (i32.const 36))
      (then (call $proc_exit (i32.const 92))))
    (call $check_sizes)
    (local.set $argc (i32.load (i32.const 32)))
    (if (call $args_get (i32.const 1024) (i32.const 4096))
      (then (call $proc_exit (i32.const 93))))
    (call $print_list (i32.const 120) (local.get $argc))
    (if (call $environ_sizes_get (i32.const 32) (i32.const 36))
      (then (call $proc_exit (i32.const 94))))
    (call $check_sizes)
    (if (call $environ_get (i32.const 1024) (i32.const 4096))
      (then (call $proc_exit (i32.const 95))))
    (call $print_list (i32.const 130) (i32.load (i32.const 32)))
    (if (i32.gt_u (local.get $argc) (i32.const 1))
      (then (call $proc_exit (i32.sub (local.get $argc) (i32.const 1))))))

  (func (export "exit_with") (param i32) (call $proc_exit (local.get 0)))
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func $crash (export "crash") unreachable)
)
