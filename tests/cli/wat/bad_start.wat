;; _start with a parameter is not a command entry point.
(module (func (export "_start") (param i32)))
