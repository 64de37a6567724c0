;; Needs 4 pages (256 KiB) at instantiation.
(module (memory 4) (func (export "_start")))
