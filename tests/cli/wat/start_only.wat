;; No _start, but a start function: `twine run` runs it and exits 0
;; without complaining that there is nothing to run.
(module
  (global $g (mut i32) (i32.const 0))
  (func $init (global.set $g (i32.const 1)))
  (start $init)
)
