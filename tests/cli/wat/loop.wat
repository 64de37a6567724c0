;; Never finishes: _start and "spin" loop forever; --timeout stops them.
(module
  (func $spin (export "spin") (loop $l (br $l)))
  (func (export "_start") (call $spin))
)
