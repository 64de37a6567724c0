/*
 * test_rt.c - unit tests of the runtime room (src/rt): engine and type
 * registry, module handles, instantiation and linking, memories in both
 * bounds modes, tables, globals, host functions and the call API.
 *
 * The modules below were written in the text format (shown above each
 * array) and assembled once with wabt's wat2wasm (starttrap with
 * --debug-names).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/rt.h"
#include "twine/twine.h"

/*
 * (module
 *   (func (export "add") (param i32 i32) (result i32)
 *     (i32.add (local.get 0) (local.get 1)))
 *   (func (export "swap") (param i64 f64) (result f64 i64)
 *     (local.get 1) (local.get 0))
 *   (func (export "f32id") (param f32) (result f32) (local.get 0))
 *   (func (export "many") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32
 *                                i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
 *                         (result i32)
 *     (i32.add (local.get 0) (local.get 19))))
 */
static const uint8_t WASM_CALC[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x2b, 0x04, 0x60,
    0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7e, 0x7c, 0x02, 0x7c, 0x7e,
    0x60, 0x01, 0x7d, 0x01, 0x7d, 0x60, 0x14, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f,
    0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f,
    0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x03, 0x05, 0x04, 0x00, 0x01, 0x02, 0x03,
    0x07, 0x1d, 0x04, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x04, 0x73, 0x77,
    0x61, 0x70, 0x00, 0x01, 0x05, 0x66, 0x33, 0x32, 0x69, 0x64, 0x00, 0x02,
    0x04, 0x6d, 0x61, 0x6e, 0x79, 0x00, 0x03, 0x0a, 0x1d, 0x04, 0x07, 0x00,
    0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, 0x06, 0x00, 0x20, 0x01, 0x20, 0x00,
    0x0b, 0x04, 0x00, 0x20, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x13,
    0x6a, 0x0b,
};

/*
 * (module
 *   (import "env" "add" (func $add (param i32 i32) (result i32)))
 *   (import "env" "check" (func $check (param i32)))
 *   (memory (export "mem") 1 2)
 *   (data (i32.const 16) "twine")
 *   (global (export "counter") (mut i32) (i32.const 0))
 *   (func (export "call_add") (param i32 i32) (result i32)
 *     (call $add (local.get 0) (local.get 1)))
 *   (func (export "call_check") (param i32) (call $check (local.get 0)))
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *   (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))
 */
static const uint8_t WASM_HOST[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x10, 0x03, 0x60,
    0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x02, 0x17, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x61, 0x64,
    0x64, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x63, 0x68, 0x65, 0x63,
    0x6b, 0x00, 0x01, 0x03, 0x05, 0x04, 0x00, 0x01, 0x02, 0x02, 0x05, 0x04,
    0x01, 0x01, 0x01, 0x02, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b,
    0x07, 0x38, 0x06, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x07, 0x63, 0x6f,
    0x75, 0x6e, 0x74, 0x65, 0x72, 0x03, 0x00, 0x08, 0x63, 0x61, 0x6c, 0x6c,
    0x5f, 0x61, 0x64, 0x64, 0x00, 0x02, 0x0a, 0x63, 0x61, 0x6c, 0x6c, 0x5f,
    0x63, 0x68, 0x65, 0x63, 0x6b, 0x00, 0x03, 0x04, 0x67, 0x72, 0x6f, 0x77,
    0x00, 0x04, 0x05, 0x6c, 0x6f, 0x61, 0x64, 0x38, 0x00, 0x05, 0x0a, 0x20,
    0x04, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x00, 0x0b, 0x06, 0x00,
    0x20, 0x00, 0x10, 0x01, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b,
    0x07, 0x00, 0x20, 0x00, 0x2d, 0x00, 0x00, 0x0b, 0x0b, 0x0b, 0x01, 0x00,
    0x41, 0x10, 0x0b, 0x05, 0x74, 0x77, 0x69, 0x6e, 0x65,
};

/*
 * (module
 *   (import "env" "f" (func (param i32) (result i32)))
 *   (import "env" "t" (table 2 10 funcref))
 *   (import "env" "m" (memory 2))
 *   (import "env" "g" (global (mut i64)))
 *   (export "f" (func 0))
 *   (export "t" (table 0))
 *   (export "m" (memory 0))
 *   (export "g" (global 0)))
 */
static const uint8_t WASM_IMPORTS[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x02, 0x26, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x01,
    0x66, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x74, 0x01, 0x70, 0x01,
    0x02, 0x0a, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x6d, 0x02, 0x00, 0x02, 0x03,
    0x65, 0x6e, 0x76, 0x01, 0x67, 0x03, 0x7e, 0x01, 0x07, 0x11, 0x04, 0x01,
    0x66, 0x00, 0x00, 0x01, 0x74, 0x01, 0x00, 0x01, 0x6d, 0x02, 0x00, 0x01,
    0x67, 0x03, 0x00,
};

/*
 * (module
 *   (func (export "f") (param i32) (result i32)
 *     (i32.add (local.get 0) (i32.const 100)))
 *   (table (export "t") 3 8 funcref)
 *   (memory (export "m") 2 3)
 *   (global (export "g") (mut i64) (i64.const -5)))
 */
static const uint8_t WASM_PROVIDER[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x04, 0x05, 0x01, 0x70,
    0x01, 0x03, 0x08, 0x05, 0x04, 0x01, 0x01, 0x02, 0x03, 0x06, 0x06, 0x01,
    0x7e, 0x01, 0x42, 0x7b, 0x0b, 0x07, 0x11, 0x04, 0x01, 0x66, 0x00, 0x00,
    0x01, 0x74, 0x01, 0x00, 0x01, 0x6d, 0x02, 0x00, 0x01, 0x67, 0x03, 0x00,
    0x0a, 0x0a, 0x01, 0x08, 0x00, 0x20, 0x00, 0x41, 0xe4, 0x00, 0x6a, 0x0b,
};

/*
 * (module
 *   (import "env" "tab" (table 4 funcref))
 *   (import "env" "mem" (memory 1))
 *   (func $one (result i32) (i32.const 1))
 *   (elem (i32.const 0) $one $one)
 *   (elem (i32.const 3) $one $one)
 *   (data (i32.const 0) "x"))
 */
static const uint8_t WASM_ELEMTRAP[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60,
    0x00, 0x01, 0x7f, 0x02, 0x18, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x74,
    0x61, 0x62, 0x01, 0x70, 0x00, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6d,
    0x65, 0x6d, 0x02, 0x00, 0x01, 0x03, 0x02, 0x01, 0x00, 0x09, 0x0f, 0x02,
    0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x41, 0x03, 0x0b, 0x02,
    0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x01, 0x0b, 0x0b, 0x07,
    0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x78,
};

/*
 * (module
 *   (import "env" "mem" (memory 1))
 *   (data (i32.const 0) "ab")
 *   (data (i32.const 65535) "cd")
 *   (data (i32.const 4) "ef"))
 */
static const uint8_t WASM_DATATRAP[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0c, 0x01, 0x03,
    0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, 0x0b, 0x18,
    0x03, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x61, 0x62, 0x00, 0x41, 0xff, 0xff,
    0x03, 0x0b, 0x02, 0x63, 0x64, 0x00, 0x41, 0x04, 0x0b, 0x02, 0x65, 0x66,
};

/*
 * (module
 *   (import "env" "mem" (memory 1))
 *   (data (i32.const 7) "a")
 *   (func $start
 *     (i32.store8 (i32.const 8) (i32.add (i32.load8_u (i32.const 7)) (i32.const 1))))
 *   (start $start))
 */
static const uint8_t WASM_START[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65,
    0x6d, 0x02, 0x00, 0x01, 0x03, 0x02, 0x01, 0x00, 0x08, 0x01, 0x00, 0x0a,
    0x11, 0x01, 0x0f, 0x00, 0x41, 0x08, 0x41, 0x07, 0x2d, 0x00, 0x00, 0x41,
    0x01, 0x6a, 0x3a, 0x00, 0x00, 0x0b, 0x0b, 0x07, 0x01, 0x00, 0x41, 0x07,
    0x0b, 0x01, 0x61,
};

/*
 * (module
 *   (func $helper unreachable)
 *   (func (call $helper))
 *   (func $start (call 1))
 *   (export "visible" (func 1))
 *   (start $start))
 */
static const uint8_t WASM_STARTTRAP[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x03, 0x04, 0x03, 0x00, 0x00, 0x00, 0x07, 0x0b, 0x01, 0x07,
    0x76, 0x69, 0x73, 0x69, 0x62, 0x6c, 0x65, 0x00, 0x01, 0x08, 0x01, 0x02,
    0x0a, 0x0f, 0x03, 0x03, 0x00, 0x00, 0x0b, 0x04, 0x00, 0x10, 0x00, 0x0b,
    0x04, 0x00, 0x10, 0x01, 0x0b, 0x00, 0x20, 0x04, 0x6e, 0x61, 0x6d, 0x65,
    0x01, 0x10, 0x02, 0x00, 0x06, 0x68, 0x65, 0x6c, 0x70, 0x65, 0x72, 0x02,
    0x05, 0x73, 0x74, 0x61, 0x72, 0x74, 0x02, 0x07, 0x03, 0x00, 0x00, 0x01,
    0x00, 0x02, 0x00,
};

/*
 * (module
 *   (import "env" "base" (global $base i32))
 *   (import "env" "mg" (global $mg (mut i32)))
 *   (global $a (export "a") i32 (global.get $base))
 *   (global $r (export "r") funcref (ref.func $f))
 *   (global $x (export "x") externref (ref.null extern))
 *   (global $c (export "c") f64 (f64.const 1.5))
 *   (func $f (export "f") (result i32) (global.get $mg))
 *   (func (export "bump")
 *     (global.set $mg (i32.add (global.get $mg) (i32.const 1)))))
 */
static const uint8_t WASM_GLOBALS[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x60,
    0x00, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x02, 0x17, 0x02, 0x03, 0x65, 0x6e,
    0x76, 0x04, 0x62, 0x61, 0x73, 0x65, 0x03, 0x7f, 0x00, 0x03, 0x65, 0x6e,
    0x76, 0x02, 0x6d, 0x67, 0x03, 0x7f, 0x01, 0x03, 0x03, 0x02, 0x00, 0x01,
    0x06, 0x1c, 0x04, 0x7f, 0x00, 0x23, 0x00, 0x0b, 0x70, 0x00, 0xd2, 0x00,
    0x0b, 0x6f, 0x00, 0xd0, 0x6f, 0x0b, 0x7c, 0x00, 0x44, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0xf8, 0x3f, 0x0b, 0x07, 0x1c, 0x06, 0x01, 0x61, 0x03,
    0x02, 0x01, 0x72, 0x03, 0x03, 0x01, 0x78, 0x03, 0x04, 0x01, 0x63, 0x03,
    0x05, 0x01, 0x66, 0x00, 0x00, 0x04, 0x62, 0x75, 0x6d, 0x70, 0x00, 0x01,
    0x0a, 0x10, 0x02, 0x04, 0x00, 0x23, 0x01, 0x0b, 0x09, 0x00, 0x23, 0x01,
    0x41, 0x01, 0x6a, 0x24, 0x01, 0x0b,
};

/*
 * (module
 *   (type $ii (func (param i32) (result i32)))
 *   (table (export "tab") 2 5 funcref)
 *   (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
 *   (elem (i32.const 0) $double)
 *   (elem $p funcref (ref.func $double) (ref.null func))
 *   (elem declare func $double)
 *   (func (export "call") (param i32 i32) (result i32)
 *     (call_indirect (type $ii) (local.get 1) (local.get 0)))
 *   (func (export "init") (table.init 0 $p (i32.const 1) (i32.const 0) (i32.const 1)))
 *   (func (export "drop") (elem.drop $p))
 *   (func (export "grow") (param i32) (result i32)
 *     (table.grow 0 (ref.null func) (local.get 0))))
 */
static const uint8_t WASM_TABLE[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x03, 0x60,
    0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00,
    0x00, 0x03, 0x06, 0x05, 0x00, 0x01, 0x02, 0x02, 0x00, 0x04, 0x05, 0x01,
    0x70, 0x01, 0x02, 0x05, 0x07, 0x23, 0x05, 0x03, 0x74, 0x61, 0x62, 0x01,
    0x00, 0x04, 0x63, 0x61, 0x6c, 0x6c, 0x00, 0x01, 0x04, 0x69, 0x6e, 0x69,
    0x74, 0x00, 0x02, 0x04, 0x64, 0x72, 0x6f, 0x70, 0x00, 0x03, 0x04, 0x67,
    0x72, 0x6f, 0x77, 0x00, 0x04, 0x09, 0x14, 0x03, 0x00, 0x41, 0x00, 0x0b,
    0x01, 0x00, 0x05, 0x70, 0x02, 0xd2, 0x00, 0x0b, 0xd0, 0x70, 0x0b, 0x03,
    0x00, 0x01, 0x00, 0x0a, 0x30, 0x05, 0x07, 0x00, 0x20, 0x00, 0x41, 0x02,
    0x6c, 0x0b, 0x09, 0x00, 0x20, 0x01, 0x20, 0x00, 0x11, 0x00, 0x00, 0x0b,
    0x0c, 0x00, 0x41, 0x01, 0x41, 0x00, 0x41, 0x01, 0xfc, 0x0c, 0x01, 0x00,
    0x0b, 0x05, 0x00, 0xfc, 0x0d, 0x01, 0x0b, 0x09, 0x00, 0xd0, 0x70, 0x20,
    0x00, 0xfc, 0x0f, 0x00, 0x0b,
};

/*
 * (module
 *   (import "env" "outer" (func $o))
 *   (memory (export "mem") 1)
 *   (func (export "run") (call $o)))
 */
static const uint8_t WASM_REENTER_A[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x02, 0x0d, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x6f, 0x75,
    0x74, 0x65, 0x72, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01,
    0x00, 0x01, 0x07, 0x0d, 0x02, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x03,
    0x72, 0x75, 0x6e, 0x00, 0x01, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00,
    0x0b,
};

/*
 * (module
 *   (import "env" "inner" (func $i))
 *   (memory (export "mem") 2)
 *   (func (export "run") (call $i)))
 */
static const uint8_t WASM_REENTER_B[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x02, 0x0d, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x69, 0x6e,
    0x6e, 0x65, 0x72, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01,
    0x00, 0x02, 0x07, 0x0d, 0x02, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x03,
    0x72, 0x75, 0x6e, 0x00, 0x01, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00,
    0x0b,
};

/*
 * (module
 *   (import "env" "tick" (func $t))
 *   (func (export "spin") (loop $l (call $t) (br $l))))
 */
static const uint8_t WASM_SPIN[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x02, 0x0c, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x04, 0x74, 0x69,
    0x63, 0x6b, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01, 0x04,
    0x73, 0x70, 0x69, 0x6e, 0x00, 0x01, 0x0a, 0x0b, 0x01, 0x09, 0x00, 0x03,
    0x40, 0x10, 0x00, 0x0c, 0x00, 0x0b, 0x0b,
};

/* ---- helpers ---------------------------------------------------------------- */

#define MODULE(e, NAME) load_module((e), WASM_##NAME, sizeof WASM_##NAME)

static const twine_bounds_t MODE_GUARD = TWINE_BOUNDS_GUARD_PAGES;
static const twine_bounds_t MODE_EXPLICIT = TWINE_BOUNDS_EXPLICIT;

static twine_engine_t *new_engine(twine_bounds_t bounds, uint64_t max_mem) {
  twine_config_t cfg;
  twine_config_default(&cfg);
  cfg.bounds = bounds;
  cfg.max_memory_bytes = max_mem;
  twine_engine_t *e = NULL;
  assert_int_equal(twine_engine_new(&cfg, &e), TWINE_OK);
  assert_non_null(e);
  return e;
}

/* The bounds mode a test runs in (its prestate); guard pages only where the
 * platform has them. */
static twine_bounds_t mode_of(void **state) {
  twine_bounds_t b =
      *state ? *(const twine_bounds_t *)*state : TWINE_BOUNDS_EXPLICIT;
#if !(defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__)))
  b = TWINE_BOUNDS_EXPLICIT;
#endif
  return b;
}

static twine_module_t *load_module(twine_engine_t *e, const uint8_t *b,
                                   size_t n) {
  twine_module_t *m = NULL;
  twine_error_t err;
  twine_status_t st = twine_module_new(e, b, n, &m, &err);
  if (st != TWINE_OK) fail_msg("module_new: %s", err.message);
  return m;
}

static twine_instance_t *instantiate(twine_store_t *s, twine_module_t *m,
                                     const twine_extern_t *imports, size_t n) {
  twine_instance_t *inst = NULL;
  twine_error_t err;
  twine_trap_t trap;
  twine_status_t st = twine_instance_new(s, m, imports, n, &inst, &err, &trap);
  if (st != TWINE_OK) fail_msg("instance_new: %s", err.message);
  return inst;
}

static twine_extern_t get_export(twine_instance_t *inst, const char *name) {
  twine_extern_t ext;
  memset(&ext, 0, sizeof ext);
  assert_int_equal(twine_instance_export(inst, name, strlen(name), &ext),
                   TWINE_OK);
  return ext;
}

static twine_func_t *export_func(twine_instance_t *inst, const char *name) {
  twine_extern_t ext = get_export(inst, name);
  assert_int_equal(ext.kind, TWINE_EXTERN_FUNC);
  return ext.of.func;
}

static twine_extern_t ext_func(twine_func_t *f) {
  twine_extern_t e = {.kind = TWINE_EXTERN_FUNC, .of.func = f};
  return e;
}
static twine_extern_t ext_table(twine_table_t *t) {
  twine_extern_t e = {.kind = TWINE_EXTERN_TABLE, .of.table = t};
  return e;
}
static twine_extern_t ext_mem(twine_memory_t *m) {
  twine_extern_t e = {.kind = TWINE_EXTERN_MEMORY, .of.memory = m};
  return e;
}
static twine_extern_t ext_global(twine_global_t *g) {
  twine_extern_t e = {.kind = TWINE_EXTERN_GLOBAL, .of.global = g};
  return e;
}

static twine_val_t vi32(int32_t v) {
  twine_val_t x = {.kind = TWINE_I32};
  x.of.i32 = v;
  return x;
}
static twine_val_t vi64(int64_t v) {
  twine_val_t x = {.kind = TWINE_I64};
  x.of.i64 = v;
  return x;
}
static twine_val_t vf32bits(uint32_t v) {
  twine_val_t x = {.kind = TWINE_F32};
  x.of.f32_bits = v;
  return x;
}
static twine_val_t vf64bits(uint64_t v) {
  twine_val_t x = {.kind = TWINE_F64};
  x.of.f64_bits = v;
  return x;
}
static twine_val_t vfuncref(twine_func_t *f) {
  twine_val_t x = {.kind = TWINE_FUNCREF};
  x.of.funcref = f;
  return x;
}
static twine_val_t vexternref(void *p) {
  twine_val_t x = {.kind = TWINE_EXTERNREF};
  x.of.externref = p;
  return x;
}

/* Call f with i32 arguments expecting one i32 result (or none). */
static twine_status_t call_i32(twine_func_t *f, int nargs, const int32_t *args,
                               int32_t *result, twine_trap_t *trap) {
  twine_val_t a[8], r[1];
  for (int i = 0; i < nargs; i++) a[i] = vi32(args[i]);
  twine_functype_t ft;
  twine_func_type(f, &ft);
  twine_status_t st = twine_func_call(f, a, (size_t)nargs, r, ft.nresults, trap);
  if (st == TWINE_OK && ft.nresults) {
    assert_int_equal(r[0].kind, TWINE_I32);
    *result = r[0].of.i32;
  }
  return st;
}

static int32_t call1(twine_func_t *f, int32_t a) {
  int32_t r = 0;
  twine_trap_t trap;
  twine_status_t st = call_i32(f, 1, &a, &r, &trap);
  if (st != TWINE_OK) fail_msg("call trapped: %s", trap.message);
  return r;
}

static twine_func_t *host_func(twine_store_t *s, const twine_valkind_t *params,
                               size_t np, const twine_valkind_t *results,
                               size_t nr, twine_host_func_cb cb, void *env) {
  twine_functype_t ft = {np, params, nr, results};
  twine_func_t *f = NULL;
  assert_int_equal(twine_func_new_host(s, &ft, cb, env, NULL, &f), TWINE_OK);
  return f;
}

static const twine_valkind_t K_I32[] = {TWINE_I32, TWINE_I32};
static const twine_valkind_t K_I64[] = {TWINE_I64};

/* cmocka replaces the SIGSEGV handler while a test runs, but guard-page
 * bounds checks need the interpreter's (installed on first use). main()
 * captures it before the tests start; a test that expects a guard-page trap
 * puts it back for the duration of the call. */
static struct sigaction interp_segv;

static void capture_interp_fault_handler(void) {
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
  twine_config_t cfg;
  twine_config_default(&cfg);
  cfg.bounds = TWINE_BOUNDS_GUARD_PAGES;
  twine_engine_t *e;
  twine_store_t *s;
  twine_module_t *m;
  twine_instance_t *inst;
  if (twine_engine_new(&cfg, &e) != TWINE_OK) return;
  if (twine_store_new(e, &s) == TWINE_OK) {
    if (twine_module_new(e, WASM_CALC, sizeof WASM_CALC, &m, NULL) == TWINE_OK) {
      if (twine_instance_new(s, m, NULL, 0, &inst, NULL, NULL) == TWINE_OK) {
        twine_extern_t ext;
        twine_val_t args[2] = {{.kind = TWINE_I32}, {.kind = TWINE_I32}}, r;
        if (twine_instance_export(inst, "add", 3, &ext) == TWINE_OK)
          (void)twine_func_call(ext.of.func, args, 2, &r, 1, NULL);
      }
      twine_module_free(m);
    }
    twine_store_free(s);
  }
  twine_engine_free(e);
#endif
  sigaction(SIGSEGV, NULL, &interp_segv);
}

static void use_interp_fault_handler(struct sigaction *saved) {
  sigaction(SIGSEGV, &interp_segv, saved);
}

/* ---- engine and configuration --------------------------------------------- */

static void test_engine_config(void **state) {
  (void)state;
  twine_config_t cfg;
  twine_config_default(&cfg);
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
  assert_int_equal(cfg.bounds, TWINE_BOUNDS_GUARD_PAGES);
#endif
  assert_int_equal(cfg.max_call_depth, 16384);
  assert_int_equal(cfg.value_stack_bytes, 8u << 20);
  assert_int_equal(cfg.max_memory_bytes, 0);

  twine_engine_t *e = NULL;
  assert_int_equal(twine_engine_new(NULL, &e), TWINE_OK);
  assert_int_equal(e->cfg.max_call_depth, 16384);
  twine_engine_free(e);
  twine_engine_free(NULL);

  twine_config_t bad = cfg;
  bad.bounds = (twine_bounds_t)7;
  e = NULL;
  assert_int_equal(twine_engine_new(&bad, &e), TWINE_ERR_ARG);
  assert_null(e);
  bad = cfg;
  bad.max_call_depth = 0;
  assert_int_equal(twine_engine_new(&bad, &e), TWINE_ERR_ARG);
  bad = cfg;
  bad.value_stack_bytes = 16;
  assert_int_equal(twine_engine_new(&bad, &e), TWINE_ERR_ARG);
  bad = cfg;
  bad.max_memory_bytes = ((uint64_t)4 << 30) + 1;
  assert_int_equal(twine_engine_new(&bad, &e), TWINE_ERR_ARG);
  assert_int_equal(twine_engine_new(&cfg, NULL), TWINE_ERR_ARG);
  assert_null(e);

  twine_store_t *s = NULL;
  assert_int_equal(twine_store_new(NULL, &s), TWINE_ERR_ARG);
  twine_store_free(NULL);
}

/* ---- function-type registry -------------------------------------------------- */

/* Type number i: i % 4 params and (i / 4) % 3 results, kinds from i's bits. */
static void make_type(unsigned i, tw_functype *ft, tw_valtype *buf) {
  static const tw_valtype kinds[] = {TW_I32, TW_I64, TW_F32, TW_F64,
                                     TW_FUNCREF, TW_EXTERNREF};
  ft->nparams = i % 4;
  ft->nresults = (i / 4) % 3;
  unsigned k = i / 12;
  for (unsigned j = 0; j < ft->nparams + ft->nresults; j++) {
    buf[j] = kinds[k % 6];
    k = k / 6 + j;
  }
  ft->types = buf;
}

#define REG_TYPES 600
#define REG_THREADS 6

typedef struct reg_job {
  twine_engine_t *e;
  unsigned offset;
  uint32_t ids[REG_TYPES];
  twine_status_t st;
} reg_job;

static void *reg_thread(void *arg) {
  reg_job *job = arg;
  job->st = TWINE_OK;
  for (unsigned n = 0; n < REG_TYPES; n++) {
    unsigned i = (n + job->offset) % REG_TYPES; /* different orders */
    tw_functype ft;
    tw_valtype buf[8];
    make_type(i, &ft, buf);
    twine_status_t st = tw_rt_type_id(job->e, &ft, &job->ids[i]);
    if (st != TWINE_OK) job->st = st;
  }
  return NULL;
}

static void test_type_registry(void **state) {
  (void)state;
  twine_engine_t *e = new_engine(TWINE_BOUNDS_EXPLICIT, 0);
  static reg_job jobs[REG_THREADS];
  pthread_t th[REG_THREADS];
  for (int t = 0; t < REG_THREADS; t++) {
    jobs[t].e = e;
    jobs[t].offset = (unsigned)t * 97;
    assert_int_equal(pthread_create(&th[t], NULL, reg_thread, &jobs[t]), 0);
  }
  for (int t = 0; t < REG_THREADS; t++) pthread_join(th[t], NULL);
  for (int t = 0; t < REG_THREADS; t++) {
    assert_int_equal(jobs[t].st, TWINE_OK);
    assert_memory_equal(jobs[t].ids, jobs[0].ids, sizeof jobs[0].ids);
  }
  /* equal ids <=> structurally equal types */
  for (unsigned i = 0; i < REG_TYPES; i += 7)
    for (unsigned j = 0; j < REG_TYPES; j += 5) {
      tw_functype a, b;
      tw_valtype ba[8], bb[8];
      make_type(i, &a, ba);
      make_type(j, &b, bb);
      bool same = a.nparams == b.nparams && a.nresults == b.nresults &&
                  memcmp(ba, bb, a.nparams + a.nresults) == 0;
      assert_int_equal(same, jobs[0].ids[i] == jobs[0].ids[j]);
    }
  /* the public view of a registered type */
  tw_functype ft;
  tw_valtype buf[8];
  make_type(13, &ft, buf); /* 1 param, 1 result */
  uint32_t id;
  assert_int_equal(tw_rt_type_id(e, &ft, &id), TWINE_OK);
  assert_int_equal(id, jobs[0].ids[13]);
  twine_engine_free(e);
}

/* ---- modules --------------------------------------------------------------------- */

static void test_module_errors(void **state) {
  (void)state;
  twine_engine_t *e = new_engine(TWINE_BOUNDS_EXPLICIT, 0);
  twine_module_t *m = NULL;
  twine_error_t err;

  static const uint8_t bad_magic[] = {0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0};
  assert_int_equal(twine_module_new(e, bad_magic, sizeof bad_magic, &m, &err),
                   TWINE_ERR_MALFORMED);
  assert_int_equal(err.status, TWINE_ERR_MALFORMED);
  assert_true(strlen(err.message) > 0);
  assert_null(m);
  assert_int_equal(twine_module_validate(e, bad_magic, sizeof bad_magic, NULL),
                   TWINE_ERR_MALFORMED);

  /* (func (result i32)) with an empty body: well-formed, invalid */
  static const uint8_t invalid[] = {0x00, 0x61, 0x73, 0x6d, 1,    0,    0,
                                    0,    0x01, 0x05, 0x01, 0x60, 0x00, 0x01,
                                    0x7f, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x04,
                                    0x01, 0x02, 0x00, 0x0b};
  assert_int_equal(twine_module_new(e, invalid, sizeof invalid, &m, &err),
                   TWINE_ERR_INVALID);
  assert_int_equal(err.status, TWINE_ERR_INVALID);
  assert_null(m);
  assert_int_equal(twine_module_validate(e, invalid, sizeof invalid, &err),
                   TWINE_ERR_INVALID);

  assert_int_equal(twine_module_validate(e, WASM_CALC, sizeof WASM_CALC, &err),
                   TWINE_OK);
  assert_int_equal(twine_module_new(NULL, WASM_CALC, sizeof WASM_CALC, &m, &err),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_module_new(e, NULL, 10, &m, &err), TWINE_ERR_ARG);
  assert_int_equal(twine_module_new(e, WASM_CALC, sizeof WASM_CALC, NULL, NULL),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_module_new(e, NULL, 0, &m, &err), TWINE_ERR_MALFORMED);
  twine_module_free(NULL);
  twine_engine_free(e);
}

static void test_module_introspection(void **state) {
  (void)state;
  twine_engine_t *e = new_engine(TWINE_BOUNDS_EXPLICIT, 0);
  twine_module_t *m = MODULE(e, IMPORTS);
  assert_int_equal(twine_module_import_count(m), 4);
  assert_int_equal(twine_module_export_count(m), 4);

  twine_import_info_t im;
  assert_int_equal(twine_module_import(m, 0, &im), TWINE_OK);
  assert_int_equal(im.module_len, 3);
  assert_memory_equal(im.module, "env", 3);
  assert_int_equal(im.name_len, 1);
  assert_memory_equal(im.name, "f", 1);
  assert_int_equal(im.type.kind, TWINE_EXTERN_FUNC);
  assert_int_equal(im.type.func.nparams, 1);
  assert_int_equal(im.type.func.params[0], TWINE_I32);
  assert_int_equal(im.type.func.nresults, 1);
  assert_int_equal(im.type.func.results[0], TWINE_I32);

  assert_int_equal(twine_module_import(m, 1, &im), TWINE_OK);
  assert_int_equal(im.type.kind, TWINE_EXTERN_TABLE);
  assert_int_equal(im.type.elem, TWINE_FUNCREF);
  assert_int_equal(im.type.limits.min, 2);
  assert_true(im.type.limits.has_max);
  assert_int_equal(im.type.limits.max, 10);

  assert_int_equal(twine_module_import(m, 2, &im), TWINE_OK);
  assert_int_equal(im.type.kind, TWINE_EXTERN_MEMORY);
  assert_int_equal(im.type.limits.min, 2);
  assert_false(im.type.limits.has_max);

  assert_int_equal(twine_module_import(m, 3, &im), TWINE_OK);
  assert_int_equal(im.type.kind, TWINE_EXTERN_GLOBAL);
  assert_int_equal(im.type.global_type, TWINE_I64);
  assert_true(im.type.global_mutable);
  assert_int_equal(twine_module_import(m, 4, &im), TWINE_ERR_NOTFOUND);

  twine_export_info_t ex;
  const char *names[] = {"f", "t", "m", "g"};
  const twine_externkind_t kinds[] = {TWINE_EXTERN_FUNC, TWINE_EXTERN_TABLE,
                                      TWINE_EXTERN_MEMORY, TWINE_EXTERN_GLOBAL};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(twine_module_export(m, i, &ex), TWINE_OK);
    assert_int_equal(ex.name_len, 1);
    assert_memory_equal(ex.name, names[i], 1);
    assert_int_equal(ex.type.kind, kinds[i]);
  }
  assert_int_equal(twine_module_export(m, 0, &ex), TWINE_OK);
  assert_int_equal(ex.type.func.params[0], TWINE_I32);
  assert_int_equal(twine_module_export(m, 3, &ex), TWINE_OK);
  assert_int_equal(ex.type.global_type, TWINE_I64);
  assert_int_equal(twine_module_export(m, 4, &ex), TWINE_ERR_NOTFOUND);

  twine_module_t *p = MODULE(e, PROVIDER);
  assert_int_equal(twine_module_export(p, 2, &ex), TWINE_OK);
  assert_int_equal(ex.type.kind, TWINE_EXTERN_MEMORY);
  assert_int_equal(ex.type.limits.min, 2);
  assert_int_equal(ex.type.limits.max, 3);
  assert_int_equal(twine_module_export(p, 1, &ex), TWINE_OK);
  assert_int_equal(ex.type.limits.min, 3);
  assert_int_equal(ex.type.limits.max, 8);
  twine_module_free(p);
  twine_module_free(m);
  twine_engine_free(e);
}

static void test_func_names(void **state) {
  (void)state;
  twine_engine_t *e = new_engine(TWINE_BOUNDS_EXPLICIT, 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  twine_module_t *m = MODULE(e, STARTTRAP);
  size_t len = 0;
  const char *n = twine_module_func_name(m, 0, &len);
  assert_non_null(n);
  assert_int_equal(len, 6);
  assert_memory_equal(n, "helper", 6);
  assert_null(twine_module_func_name(m, 1, &len)); /* no name section entry */
  n = tw_rt_func_name(m, 1, &len);                /* falls back to export */
  assert_non_null(n);
  assert_int_equal(len, 7);
  assert_memory_equal(n, "visible", 7);
  n = tw_rt_func_name(m, 2, &len);
  assert_non_null(n);
  assert_memory_equal(n, "start", 5);
  assert_null(tw_rt_func_name(m, 99, &len));

  /* the start function traps: instantiation fails with a backtrace */
  twine_instance_t *inst = NULL;
  twine_error_t err;
  twine_trap_t trap;
  assert_int_equal(twine_instance_new(s, m, NULL, 0, &inst, &err, &trap),
                   TWINE_ERR_TRAP);
  assert_null(inst);
  assert_int_equal(err.status, TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_UNREACHABLE);
  assert_string_equal(trap.message, "unreachable");
  assert_true(trap.nframes >= 3);
  assert_int_equal(trap.frames[0].func_index, 0);
  assert_non_null(trap.frames[0].func_name);
  assert_memory_equal(trap.frames[0].func_name, "helper", 6);
  assert_int_equal(trap.frames[1].func_index, 1);
  assert_memory_equal(trap.frames[1].func_name, "visible", 7);
  assert_int_equal(trap.frames[2].func_index, 2);
  twine_module_free(m);
  twine_store_free(s); /* frees the half-built instance */
  twine_engine_free(e);
}

/* ---- the call API --------------------------------------------------------------- */

static void test_call_api(void **state) {
  twine_engine_t *e = new_engine(mode_of(state), 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  twine_module_t *m = MODULE(e, CALC);
  twine_instance_t *inst = instantiate(s, m, NULL, 0);
  twine_module_free(m); /* the instance keeps the module alive */
  assert_ptr_equal(twine_instance_module(inst), m);
  assert_int_equal(twine_instance_export_count(inst), 4);

  twine_func_t *add = export_func(inst, "add");
  twine_val_t args[20], res[2];
  args[0] = vi32(-7);
  args[1] = vi32(3);
  twine_trap_t trap;
  assert_int_equal(twine_func_call(add, args, 2, res, 1, &trap), TWINE_OK);
  assert_int_equal(res[0].kind, TWINE_I32);
  assert_int_equal(res[0].of.i32, -4);

  /* arity and kinds */
  assert_int_equal(twine_func_call(add, args, 1, res, 1, &trap), TWINE_ERR_ARG);
  assert_int_equal(twine_func_call(add, args, 2, res, 0, &trap), TWINE_ERR_ARG);
  args[1] = vi64(3);
  res[0] = vi32(1234);
  assert_int_equal(twine_func_call(add, args, 2, res, 1, &trap), TWINE_ERR_ARG);
  assert_int_equal(res[0].of.i32, 1234); /* untouched on failure */
  assert_int_equal(twine_func_call(add, NULL, 2, res, 1, &trap), TWINE_ERR_ARG);
  assert_int_equal(twine_func_call(NULL, args, 2, res, 1, &trap), TWINE_ERR_ARG);

  /* multiple results, 64-bit values, float bit patterns */
  twine_func_t *swap = export_func(inst, "swap");
  args[0] = vi64(INT64_MIN + 5);
  args[1] = vf64bits(0x7ff4000000000123ull); /* signalling NaN payload */
  assert_int_equal(twine_func_call(swap, args, 2, res, 2, &trap), TWINE_OK);
  assert_int_equal(res[0].kind, TWINE_F64);
  assert_true(res[0].of.f64_bits == 0x7ff4000000000123ull);
  assert_int_equal(res[1].kind, TWINE_I64);
  assert_true(res[1].of.i64 == INT64_MIN + 5);

  twine_func_t *f32id = export_func(inst, "f32id");
  args[0] = vf32bits(0xffa00001u);
  assert_int_equal(twine_func_call(f32id, args, 1, res, 1, &trap), TWINE_OK);
  assert_int_equal(res[0].kind, TWINE_F32);
  assert_int_equal(res[0].of.f32_bits, 0xffa00001u);

  /* more arguments than the on-stack conversion buffer holds */
  twine_func_t *many = export_func(inst, "many");
  for (int i = 0; i < 20; i++) args[i] = vi32(i + 1);
  assert_int_equal(twine_func_call(many, args, 20, res, 1, &trap), TWINE_OK);
  assert_int_equal(res[0].of.i32, 21);

  twine_functype_t ft;
  twine_func_type(swap, &ft);
  assert_int_equal(ft.nparams, 2);
  assert_int_equal(ft.params[0], TWINE_I64);
  assert_int_equal(ft.params[1], TWINE_F64);
  assert_int_equal(ft.nresults, 2);
  assert_int_equal(ft.results[0], TWINE_F64);
  assert_int_equal(ft.results[1], TWINE_I64);

  /* exports by index and missing names */
  const char *name;
  size_t len;
  twine_extern_t ext;
  assert_int_equal(twine_instance_export_at(inst, 1, &name, &len, &ext),
                   TWINE_OK);
  assert_int_equal(len, 4);
  assert_memory_equal(name, "swap", 4);
  assert_ptr_equal(ext.of.func, swap);
  assert_int_equal(twine_instance_export_at(inst, 4, &name, &len, &ext),
                   TWINE_ERR_NOTFOUND);
  assert_int_equal(twine_instance_export(inst, "ad", 2, &ext),
                   TWINE_ERR_NOTFOUND);
  assert_int_equal(twine_instance_export(inst, "add\0", 4, &ext),
                   TWINE_ERR_NOTFOUND);
  twine_store_free(s);
  twine_engine_free(e);
}

/* ---- host functions ------------------------------------------------------------- */

typedef struct host_ctx {
  twine_store_t *store;
  int add_mode; /* 0 add, 1 wrong result kind */
  int calls;
  bool check_ok;
} host_ctx;

static twine_status_t host_add(twine_caller_t *c, void *env,
                               const twine_val_t *args, twine_val_t *results) {
  host_ctx *ctx = env;
  ctx->calls++;
  if (ctx->add_mode == 1) {
    results[0] = vi64(1);
    return TWINE_OK;
  }
  if (results[0].kind != TWINE_I32) return twine_caller_trap(c, "kind not prefilled");
  results[0].of.i32 = args[0].of.i32 + args[1].of.i32;
  return TWINE_OK;
}

static twine_status_t host_check(twine_caller_t *c, void *env,
                                 const twine_val_t *args, twine_val_t *results) {
  (void)results;
  host_ctx *ctx = env;
  twine_extern_t ext;
  switch (args[0].of.i32) {
    case 0: {
      ctx->check_ok = false;
      twine_memory_t *mem = twine_caller_memory(c);
      char buf[5];
      if (!mem || twine_memory_read(mem, 16, buf, 5) != TWINE_OK ||
          memcmp(buf, "twine", 5) != 0)
        return TWINE_OK;
      if (twine_caller_store(c) != ctx->store) return TWINE_OK;
      if (twine_caller_export(c, "nope", &ext) != TWINE_ERR_NOTFOUND)
        return TWINE_OK;
      if (twine_caller_export(c, "counter", &ext) != TWINE_OK ||
          ext.kind != TWINE_EXTERN_GLOBAL ||
          twine_global_set(ext.of.global, vi32(41)) != TWINE_OK)
        return TWINE_OK;
      ctx->check_ok = true;
      return TWINE_OK;
    }
    case 1: return twine_caller_trap(c, "custom failure");
    case 2: return twine_caller_exit(c, 42);
    case 3: return TWINE_ERR_NOMEM;
    default: return TWINE_ERR_TRAP;
  }
}

static int env_freed;
static void count_free(void *env) {
  (void)env;
  env_freed++;
}

static void test_host_functions(void **state) {
  twine_engine_t *e = new_engine(mode_of(state), 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  host_ctx ctx = {.store = s};
  twine_functype_t add_t = {2, K_I32, 1, K_I32};
  twine_functype_t check_t = {1, K_I32, 0, NULL};
  twine_func_t *add = NULL, *check = NULL;
  env_freed = 0;
  assert_int_equal(
      twine_func_new_host(s, &add_t, host_add, &ctx, count_free, &add),
      TWINE_OK);
  assert_int_equal(
      twine_func_new_host(s, &check_t, host_check, &ctx, count_free, &check),
      TWINE_OK);
  /* bad host function types */
  twine_func_t *bad = NULL;
  twine_valkind_t v128 = TWINE_V128, junk = (twine_valkind_t)99;
  twine_functype_t v128_t = {1, &v128, 0, NULL};
  twine_functype_t junk_t = {1, &junk, 0, NULL};
  twine_functype_t null_t = {2, NULL, 0, NULL};
  assert_int_equal(twine_func_new_host(s, &v128_t, host_add, NULL, NULL, &bad),
                   TWINE_ERR_UNSUPPORTED);
  assert_int_equal(twine_func_new_host(s, &junk_t, host_add, NULL, NULL, &bad),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_func_new_host(s, &null_t, host_add, NULL, NULL, &bad),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_func_new_host(s, &add_t, NULL, NULL, NULL, &bad),
                   TWINE_ERR_ARG);
  assert_null(bad);

  /* a host function called directly */
  twine_val_t args[2] = {vi32(40), vi32(2)}, res[1];
  twine_trap_t trap;
  assert_int_equal(twine_func_call(add, args, 2, res, 1, &trap), TWINE_OK);
  assert_int_equal(res[0].of.i32, 42);
  twine_functype_t ft;
  twine_func_type(add, &ft);
  assert_int_equal(ft.nparams, 2);
  assert_int_equal(ft.nresults, 1);
  assert_int_equal(ft.results[0], TWINE_I32);

  twine_module_t *m = MODULE(e, HOST);
  twine_extern_t imports[2] = {ext_func(add), ext_func(check)};
  twine_instance_t *inst = instantiate(s, m, imports, 2);

  int32_t r = 0, a2[2] = {1000, 337};
  assert_int_equal(call_i32(export_func(inst, "call_add"), 2, a2, &r, &trap),
                   TWINE_OK);
  assert_int_equal(r, 1337);

  /* the caller context: memory, exports, store */
  twine_func_t *call_check = export_func(inst, "call_check");
  int32_t code = 0;
  assert_int_equal(call_i32(call_check, 1, &code, NULL, &trap), TWINE_OK);
  assert_true(ctx.check_ok);
  twine_val_t gv;
  twine_global_get(get_export(inst, "counter").of.global, &gv);
  assert_int_equal(gv.of.i32, 41);

  /* traps and exits from host functions */
  code = 1;
  assert_int_equal(call_i32(call_check, 1, &code, NULL, &trap), TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_HOST);
  assert_string_equal(trap.message, "custom failure");
  code = 2;
  assert_int_equal(call_i32(call_check, 1, &code, NULL, &trap), TWINE_ERR_EXIT);
  assert_int_equal(trap.kind, TWINE_TRAP_EXIT);
  assert_int_equal(trap.exit_code, 42);
  code = 3; /* any other status becomes a trap */
  assert_int_equal(call_i32(call_check, 1, &code, NULL, &trap), TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_HOST);
  assert_non_null(strstr(trap.message, "out of memory"));
  code = 4; /* TWINE_ERR_TRAP without a message */
  assert_int_equal(call_i32(call_check, 1, &code, NULL, &trap), TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_HOST);
  assert_true(strlen(trap.message) > 0);
  ctx.add_mode = 1; /* a result of the wrong kind */
  assert_int_equal(call_i32(export_func(inst, "call_add"), 2, a2, &r, &trap),
                   TWINE_ERR_TRAP);
  assert_non_null(strstr(trap.message, "wrong type"));
  ctx.add_mode = 0;
  assert_int_equal(call_i32(export_func(inst, "call_add"), 2, a2, &r, &trap),
                   TWINE_OK); /* the store is still usable */
  assert_int_equal(r, 1337);
  /* the same host function twice in one instance's imports is fine */
  twine_module_free(m);
  assert_int_equal(env_freed, 0);
  twine_store_free(s);
  assert_int_equal(env_freed, 2); /* env_free runs with the store */
  twine_engine_free(e);
}

/* ---- import matching -------------------------------------------------------------- */

static twine_status_t host_i32_i64(twine_caller_t *c, void *env,
                                   const twine_val_t *args,
                                   twine_val_t *results) {
  (void)c, (void)env;
  results[0].of.i64 = args[0].of.i32;
  return TWINE_OK;
}

static twine_status_t try_instantiate(twine_store_t *s, twine_module_t *m,
                                      const twine_extern_t *imports, size_t n,
                                      twine_error_t *err) {
  twine_instance_t *inst = NULL;
  twine_trap_t trap;
  twine_status_t st = twine_instance_new(s, m, imports, n, &inst, err, &trap);
  if (st != TWINE_OK) assert_null(inst);
  return st;
}

static void test_import_matching(void **state) {
  twine_engine_t *e = new_engine(mode_of(state), 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  twine_module_t *m = MODULE(e, IMPORTS);
  twine_module_t *pm = MODULE(e, PROVIDER);
  twine_instance_t *prov = instantiate(s, pm, NULL, 0);
  twine_extern_t good[4] = {get_export(prov, "f"), get_export(prov, "t"),
                            get_export(prov, "m"), get_export(prov, "g")};
  twine_extern_t imp[4];
  twine_error_t err;

  assert_int_equal(try_instantiate(s, m, good, 3, &err), TWINE_ERR_UNLINKABLE);
  assert_non_null(strstr(err.message, "number of imports"));

  /* function type */
  twine_func_t *wrong_f =
      host_func(s, K_I32, 1, K_I64, 1, host_i32_i64, NULL);
  memcpy(imp, good, sizeof imp);
  imp[0] = ext_func(wrong_f);
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_UNLINKABLE);
  assert_int_equal(err.status, TWINE_ERR_UNLINKABLE);
  assert_string_equal(err.message,
                      "incompatible import type for env.f: expected (func "
                      "(param i32) (result i32)), got (func (param i32) "
                      "(result i64))");

  /* table: too small, no maximum, wrong element type */
  twine_table_t *t;
  twine_limits_t lim = {1, 10, true};
  assert_int_equal(twine_table_new(s, TWINE_FUNCREF, lim, vfuncref(NULL), &t),
                   TWINE_OK);
  memcpy(imp, good, sizeof imp);
  imp[1] = ext_table(t);
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_UNLINKABLE);
  assert_non_null(strstr(err.message, "env.t: expected table 2..10 funcref, "
                                      "got table 1..10 funcref"));
  lim = (twine_limits_t){2, 0, false};
  assert_int_equal(twine_table_new(s, TWINE_FUNCREF, lim, vfuncref(NULL), &t),
                   TWINE_OK);
  imp[1] = ext_table(t);
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_UNLINKABLE);
  lim = (twine_limits_t){2, 11, true};
  assert_int_equal(twine_table_new(s, TWINE_FUNCREF, lim, vfuncref(NULL), &t),
                   TWINE_OK);
  imp[1] = ext_table(t);
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_UNLINKABLE);
  lim = (twine_limits_t){2, 10, true};
  assert_int_equal(
      twine_table_new(s, TWINE_EXTERNREF, lim, vexternref(NULL), &t), TWINE_OK);
  imp[1] = ext_table(t);
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_UNLINKABLE);
  assert_non_null(strstr(err.message, "externref"));

  /* memory: the current size counts as the minimum */
  twine_memory_t *mem;
  assert_int_equal(twine_memory_new(s, (twine_limits_t){1, 1, true}, &mem),
                   TWINE_OK);
  memcpy(imp, good, sizeof imp);
  imp[2] = ext_mem(mem);
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_UNLINKABLE);
  assert_string_equal(err.message,
                      "incompatible import type for env.m: expected memory "
                      "2..? pages, got memory 1..1 pages");
  assert_int_equal(twine_memory_new(s, (twine_limits_t){1, 0, false}, &mem),
                   TWINE_OK);
  imp[2] = ext_mem(mem);
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_UNLINKABLE);
  assert_int_equal(twine_memory_grow(mem, 1, NULL), TWINE_OK);
  twine_instance_t *inst = NULL;
  twine_trap_t trap;
  assert_int_equal(twine_instance_new(s, m, imp, 4, &inst, &err, &trap),
                   TWINE_OK);
  assert_ptr_equal(get_export(inst, "m").of.memory, mem);

  /* globals: value type and mutability */
  twine_global_t *g;
  memcpy(imp, good, sizeof imp);
  assert_int_equal(twine_global_new(s, vi64(1), false, &g), TWINE_OK);
  imp[3] = ext_global(g);
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_UNLINKABLE);
  assert_non_null(strstr(err.message,
                         "expected global (mut i64), got global i64"));
  assert_int_equal(twine_global_new(s, vi32(1), true, &g), TWINE_OK);
  imp[3] = ext_global(g);
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_UNLINKABLE);

  /* kind mismatch, missing objects */
  memcpy(imp, good, sizeof imp);
  imp[0] = good[2];
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_UNLINKABLE);
  assert_non_null(strstr(err.message, "env.f"));
  imp[0] = ext_func(NULL);
  assert_int_equal(try_instantiate(s, m, imp, 4, &err), TWINE_ERR_ARG);
  assert_int_equal(try_instantiate(s, m, NULL, 4, &err), TWINE_ERR_ARG);

  /* and the good set links, sharing the objects */
  inst = instantiate(s, m, good, 4);
  assert_ptr_equal(get_export(inst, "g").of.global, good[3].of.global);
  assert_ptr_equal(get_export(inst, "f").of.func, good[0].of.func);
  assert_int_equal(call1(get_export(inst, "f").of.func, 1), 101);
  twine_module_free(m);
  twine_module_free(pm);
  twine_store_free(s);
  twine_engine_free(e);
}

static void test_cross_store(void **state) {
  (void)state;
  twine_engine_t *e = new_engine(TWINE_BOUNDS_EXPLICIT, 0);
  twine_engine_t *e2 = new_engine(TWINE_BOUNDS_EXPLICIT, 0);
  twine_store_t *s1, *s2, *s3;
  assert_int_equal(twine_store_new(e, &s1), TWINE_OK);
  assert_int_equal(twine_store_new(e, &s2), TWINE_OK);
  assert_int_equal(twine_store_new(e2, &s3), TWINE_OK);
  twine_func_t *f2 = host_func(s2, K_I32, 1, K_I32, 1, host_add, NULL);
  twine_module_t *m = MODULE(e, IMPORTS);
  twine_error_t err;
  twine_extern_t imp[4] = {ext_func(f2)};
  twine_table_t *t;
  twine_memory_t *mem;
  twine_global_t *g;
  assert_int_equal(twine_table_new(s1, TWINE_FUNCREF,
                                   (twine_limits_t){2, 10, true},
                                   vfuncref(NULL), &t),
                   TWINE_OK);
  assert_int_equal(twine_memory_new(s1, (twine_limits_t){2, 0, false}, &mem),
                   TWINE_OK);
  assert_int_equal(twine_global_new(s1, vi64(0), true, &g), TWINE_OK);
  imp[1] = ext_table(t);
  imp[2] = ext_mem(mem);
  imp[3] = ext_global(g);
  assert_int_equal(try_instantiate(s1, m, imp, 4, &err), TWINE_ERR_ARG);
  assert_non_null(strstr(err.message, "another store"));
  /* references into another store are refused everywhere */
  assert_int_equal(twine_table_set(t, 0, vfuncref(f2)), TWINE_ERR_ARG);
  assert_int_equal(twine_global_new(s1, vfuncref(f2), false, &g),
                   TWINE_ERR_ARG);
  twine_table_t *t2;
  assert_int_equal(twine_table_new(s1, TWINE_FUNCREF,
                                   (twine_limits_t){1, 0, false}, vfuncref(f2),
                                   &t2),
                   TWINE_ERR_ARG);
  twine_linker_t *l;
  assert_int_equal(twine_linker_new(s1, &l), TWINE_OK);
  assert_int_equal(twine_linker_define(l, "env", 3, "f", 1, ext_func(f2)),
                   TWINE_ERR_ARG);
  twine_linker_free(l);
  /* a module of another engine */
  twine_instance_t *inst = NULL;
  twine_trap_t trap;
  assert_int_equal(twine_instance_new(s3, m, imp, 4, &inst, &err, &trap),
                   TWINE_ERR_ARG);
  twine_module_free(m);
  twine_store_free(s1);
  twine_store_free(s2);
  twine_store_free(s3);
  twine_engine_free(e);
  twine_engine_free(e2);
}

/* ---- linker ------------------------------------------------------------------------ */

static twine_status_t host_plus1000(twine_caller_t *c, void *env,
                                    const twine_val_t *args,
                                    twine_val_t *results) {
  (void)c, (void)env;
  results[0].of.i32 = args[0].of.i32 + 1000;
  return TWINE_OK;
}
static twine_status_t host_plus2000(twine_caller_t *c, void *env,
                                    const twine_val_t *args,
                                    twine_val_t *results) {
  (void)c, (void)env;
  results[0].of.i32 = args[0].of.i32 + 2000;
  return TWINE_OK;
}

static void test_linker(void **state) {
  twine_engine_t *e = new_engine(mode_of(state), 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  twine_module_t *m = MODULE(e, IMPORTS);
  twine_module_t *pm = MODULE(e, PROVIDER);
  twine_linker_t *l;
  assert_int_equal(twine_linker_new(s, &l), TWINE_OK);
  twine_instance_t *inst = NULL;
  twine_error_t err;
  twine_trap_t trap;

  assert_int_equal(twine_linker_instantiate(l, m, &inst, &err, &trap),
                   TWINE_ERR_UNLINKABLE);
  assert_string_equal(err.message,
                      "unknown import: env.f (func (param i32) (result i32))");
  assert_null(inst);

  twine_instance_t *prov = instantiate(s, pm, NULL, 0);
  assert_int_equal(twine_linker_define(l, "env", 3, "f", 1,
                                       get_export(prov, "f")),
                   TWINE_OK);
  assert_int_equal(twine_linker_instantiate(l, m, &inst, &err, &trap),
                   TWINE_ERR_UNLINKABLE);
  assert_string_equal(err.message,
                      "unknown import: env.t (table 2..10 funcref)");
  assert_int_equal(twine_linker_define_instance(l, "env", 3, prov), TWINE_OK);
  assert_int_equal(twine_linker_instantiate(l, m, &inst, &err, &trap),
                   TWINE_OK);
  assert_int_equal(call1(get_export(inst, "f").of.func, 1), 101);
  assert_ptr_equal(get_export(inst, "g").of.global,
                   get_export(prov, "g").of.global);
  assert_ptr_equal(get_export(inst, "t").of.table,
                   get_export(prov, "t").of.table);

  /* a later definition replaces an earlier one */
  twine_func_t *h1 = host_func(s, K_I32, 1, K_I32, 1, host_plus1000, NULL);
  twine_func_t *h2 = host_func(s, K_I32, 1, K_I32, 1, host_plus2000, NULL);
  assert_int_equal(twine_linker_define(l, "env", 3, "f", 1, ext_func(h1)),
                   TWINE_OK);
  assert_int_equal(twine_linker_instantiate(l, m, &inst, &err, &trap),
                   TWINE_OK);
  assert_int_equal(call1(get_export(inst, "f").of.func, 1), 1001);
  assert_int_equal(twine_linker_define(l, "env", 3, "f", 1, ext_func(h2)),
                   TWINE_OK);
  assert_int_equal(twine_linker_instantiate(l, m, &inst, &err, &trap),
                   TWINE_OK);
  assert_int_equal(call1(get_export(inst, "f").of.func, 1), 2001);

  /* a wrongly typed definition is unlinkable, not unknown */
  assert_int_equal(twine_linker_define(l, "env", 3, "g", 1,
                                       get_export(prov, "m")),
                   TWINE_OK);
  assert_int_equal(twine_linker_instantiate(l, m, &inst, &err, &trap),
                   TWINE_ERR_UNLINKABLE);
  assert_non_null(strstr(err.message, "incompatible import type for env.g"));

  /* names are byte strings: "env\0" and "en" are other modules */
  assert_int_equal(twine_linker_define(l, "env\0", 4, "q", 1, ext_func(h1)),
                   TWINE_OK);
  assert_int_equal(twine_linker_define(l, "en", 2, "vq", 2, ext_func(h1)),
                   TWINE_OK);
  /* many definitions (index growth) keep earlier ones reachable */
  for (int i = 0; i < 300; i++) {
    char name[16];
    int n = snprintf(name, sizeof name, "x%d", i);
    assert_int_equal(twine_linker_define(l, "many", 4, name, (size_t)n,
                                         ext_func(h1)),
                     TWINE_OK);
  }
  assert_int_equal(twine_linker_define(l, "env", 3, "g", 1,
                                       get_export(prov, "g")),
                   TWINE_OK);
  assert_int_equal(twine_linker_instantiate(l, m, &inst, &err, &trap),
                   TWINE_OK);
  assert_int_equal(call1(get_export(inst, "f").of.func, 5), 2005);

  assert_int_equal(twine_linker_define(l, NULL, 3, "f", 1, ext_func(h1)),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_linker_define(l, "env", 3, "f", 1, ext_func(NULL)),
                   TWINE_ERR_ARG);
  twine_linker_free(l);
  twine_linker_free(NULL);
  twine_module_free(m);
  twine_module_free(pm);
  twine_store_free(s);
  twine_engine_free(e);
}

/* ---- memories --------------------------------------------------------------------- */

static bool all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

static void test_memory_api(void **state) {
  twine_bounds_t mode = mode_of(state);
  twine_engine_t *e = new_engine(mode, 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  twine_memory_t *mem = NULL;

  assert_int_equal(twine_memory_new(s, (twine_limits_t){3, 2, true}, &mem),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_memory_new(s, (twine_limits_t){65537, 0, false}, &mem),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_memory_new(s, (twine_limits_t){0, 65537, true}, &mem),
                   TWINE_ERR_ARG);
  assert_null(mem);

  assert_int_equal(twine_memory_new(s, (twine_limits_t){0, 2, true}, &mem),
                   TWINE_OK);
  assert_non_null(twine_memory_data(mem)); /* even with 0 bytes */
  assert_int_equal(twine_memory_size(mem), 0);
  assert_int_equal(mem->guarded, mode == TWINE_BOUNDS_GUARD_PAGES);
  if (mem->guarded)
    assert_int_equal(mem->reserved, ((size_t)8 << 30) + 65536);
  uint8_t *base0 = twine_memory_data(mem);

  uint64_t old = 99;
  assert_int_equal(twine_memory_grow(mem, 1, &old), TWINE_OK);
  assert_int_equal(old, 0);
  assert_int_equal(twine_memory_size(mem), 65536);
  assert_int_equal(mem->pages, 1);
  assert_true(all_zero(twine_memory_data(mem), 65536));
  if (mem->guarded) assert_ptr_equal(twine_memory_data(mem), base0);

  /* bounds-checked copies */
  char buf[8] = {0};
  assert_int_equal(twine_memory_write(mem, 65531, "hello", 5), TWINE_OK);
  assert_int_equal(twine_memory_read(mem, 65531, buf, 5), TWINE_OK);
  assert_memory_equal(buf, "hello", 5);
  assert_int_equal(twine_memory_write(mem, 65532, "hello", 5), TWINE_ERR_ARG);
  assert_int_equal(twine_memory_read(mem, 65536, buf, 1), TWINE_ERR_ARG);
  assert_int_equal(twine_memory_read(mem, UINT64_MAX, buf, 2), TWINE_ERR_ARG);
  assert_int_equal(twine_memory_read(mem, 65536, buf, 0), TWINE_OK);
  assert_int_equal(twine_memory_read(mem, 0, NULL, 1), TWINE_ERR_ARG);

  /* the maximum */
  assert_int_equal(twine_memory_grow(mem, 2, &old), TWINE_ERR_LIMIT);
  assert_int_equal(twine_memory_grow(mem, UINT64_MAX, &old), TWINE_ERR_LIMIT);
  assert_int_equal(tw_rt_memory_grow(mem, 2), -1);
  assert_int_equal(tw_rt_memory_grow(mem, 1), 1);
  assert_int_equal(tw_rt_memory_grow(mem, 0), 2);
  assert_int_equal(twine_memory_size(mem), 2 * 65536);
  assert_int_equal(twine_memory_read(mem, 65531, buf, 5), TWINE_OK);
  assert_memory_equal(buf, "hello", 5); /* contents survive a grow */
  assert_true(all_zero(twine_memory_data(mem) + 65536, 65536));
  twine_limits_t lim;
  twine_memory_limits(mem, &lim);
  assert_int_equal(lim.min, 2);
  assert_true(lim.has_max);
  assert_int_equal(lim.max, 2);
  twine_store_free(s);
  twine_engine_free(e);

  /* the engine's cap on memory size */
  e = new_engine(mode, 3 * 65536);
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  assert_int_equal(twine_memory_new(s, (twine_limits_t){4, 0, false}, &mem),
                   TWINE_ERR_LIMIT);
  assert_int_equal(twine_memory_new(s, (twine_limits_t){1, 0, false}, &mem),
                   TWINE_OK);
  assert_int_equal(twine_memory_grow(mem, 2, &old), TWINE_OK);
  assert_int_equal(twine_memory_grow(mem, 1, &old), TWINE_ERR_LIMIT);
  twine_limits_t l2;
  twine_memory_limits(mem, &l2);
  assert_false(l2.has_max); /* the declared type is unchanged */
  twine_store_free(s);
  twine_engine_free(e);
}

static void test_memory_wasm(void **state) {
  twine_bounds_t mode = mode_of(state);
  twine_engine_t *e = new_engine(mode, 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  host_ctx ctx = {.store = s};
  twine_func_t *add = host_func(s, K_I32, 2, K_I32, 1, host_add, &ctx);
  twine_func_t *check = host_func(s, K_I32, 1, NULL, 0, host_check, &ctx);
  twine_module_t *m = MODULE(e, HOST);
  twine_extern_t imports[2] = {ext_func(add), ext_func(check)};
  twine_instance_t *inst = instantiate(s, m, imports, 2);
  twine_memory_t *mem = get_export(inst, "mem").of.memory;
  assert_ptr_equal(inst->mem0, mem);
  assert_int_equal(mem->guarded, mode == TWINE_BOUNDS_GUARD_PAGES);
  uint8_t *data = twine_memory_data(mem);
  assert_memory_equal(data + 16, "twine", 5); /* data segment */

  twine_func_t *grow = export_func(inst, "grow");
  twine_func_t *load8 = export_func(inst, "load8");
  data[65535] = 0xab;
  assert_int_equal(call1(load8, 65535), 0xab);
  assert_int_equal(call1(grow, 1), 1);
  assert_int_equal(call1(load8, 65536), 0);
  assert_int_equal(call1(load8, 131071), 0);
  assert_int_equal(call1(grow, 1), -1); /* over the declared max of 2 */
  assert_int_equal(call1(grow, 0), 2);
  assert_int_equal(call1(load8, 65535), 0xab);
  int32_t r, a = 131072;
  twine_trap_t trap;
  struct sigaction saved;
  if (mode == TWINE_BOUNDS_GUARD_PAGES) use_interp_fault_handler(&saved);
  twine_status_t st = call_i32(load8, 1, &a, &r, &trap);
  if (mode == TWINE_BOUNDS_GUARD_PAGES) sigaction(SIGSEGV, &saved, NULL);
  assert_int_equal(st, TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_MEMORY_OOB);
  twine_module_free(m);
  twine_store_free(s);
  twine_engine_free(e);

  /* a module memory larger than the engine allows */
  e = new_engine(mode, 65536);
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  m = MODULE(e, PROVIDER); /* memory 2 3 */
  twine_instance_t *none = NULL;
  twine_error_t err;
  assert_int_equal(twine_instance_new(s, m, NULL, 0, &none, &err, &trap),
                   TWINE_ERR_LIMIT);
  assert_non_null(strstr(err.message, "memory 0"));
  assert_null(none);
  twine_module_free(m);
  twine_store_free(s);
  twine_engine_free(e);
}

/* ---- tables ------------------------------------------------------------------------ */

static twine_status_t host_triple(twine_caller_t *c, void *env,
                                  const twine_val_t *args,
                                  twine_val_t *results) {
  (void)c, (void)env;
  results[0].of.i32 = args[0].of.i32 * 3;
  return TWINE_OK;
}

static void test_tables(void **state) {
  twine_engine_t *e = new_engine(mode_of(state), 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  twine_module_t *m = MODULE(e, TABLE);
  twine_instance_t *inst = instantiate(s, m, NULL, 0);
  twine_table_t *tab = get_export(inst, "tab").of.table;
  twine_func_t *call = export_func(inst, "call");
  assert_int_equal(twine_table_size(tab), 2);
  assert_int_equal(twine_table_elem(tab), TWINE_FUNCREF);

  int32_t r, a[2] = {0, 5};
  twine_trap_t trap;
  assert_int_equal(call_i32(call, 2, a, &r, &trap), TWINE_OK);
  assert_int_equal(r, 10);
  a[0] = 1;
  assert_int_equal(call_i32(call, 2, a, &r, &trap), TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_UNINITIALIZED_ELEMENT);

  /* a host function in the table: same canonical type as the wasm type */
  twine_func_t *triple = host_func(s, K_I32, 1, K_I32, 1, host_triple, NULL);
  assert_int_equal(twine_table_set(tab, 1, vfuncref(triple)), TWINE_OK);
  assert_int_equal(call_i32(call, 2, a, &r, &trap), TWINE_OK);
  assert_int_equal(r, 15);
  twine_func_t *other = host_func(s, K_I64, 1, K_I32, 1, host_triple, NULL);
  assert_int_equal(twine_table_set(tab, 1, vfuncref(other)), TWINE_OK);
  assert_int_equal(call_i32(call, 2, a, &r, &trap), TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_INDIRECT_CALL_TYPE);

  /* the passive segment */
  assert_int_equal(call_i32(export_func(inst, "init"), 0, NULL, NULL, &trap),
                   TWINE_OK);
  twine_val_t v0, v1;
  assert_int_equal(twine_table_get(tab, 0, &v0), TWINE_OK);
  assert_int_equal(twine_table_get(tab, 1, &v1), TWINE_OK);
  assert_int_equal(v1.kind, TWINE_FUNCREF);
  assert_ptr_equal(v0.of.funcref, v1.of.funcref);
  assert_int_equal(call_i32(call, 2, a, &r, &trap), TWINE_OK);
  assert_int_equal(r, 10);
  assert_int_equal(call_i32(export_func(inst, "drop"), 0, NULL, NULL, &trap),
                   TWINE_OK);
  assert_int_equal(call_i32(export_func(inst, "init"), 0, NULL, NULL, &trap),
                   TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_TABLE_OOB);

  /* growth up to the declared max of 5 */
  twine_func_t *grow = export_func(inst, "grow");
  assert_int_equal(call1(grow, 2), 2);
  assert_int_equal(twine_table_size(tab), 4);
  uint64_t old;
  assert_int_equal(twine_table_grow(tab, 2, vfuncref(NULL), &old),
                   TWINE_ERR_LIMIT);
  assert_int_equal(twine_table_grow(tab, 1, vfuncref(triple), &old), TWINE_OK);
  assert_int_equal(old, 4);
  assert_int_equal(twine_table_get(tab, 4, &v0), TWINE_OK);
  assert_ptr_equal(v0.of.funcref, triple);
  assert_int_equal(call1(grow, 1), -1);
  assert_int_equal(call1(grow, 0), 5);
  twine_limits_t lim;
  twine_table_limits(tab, &lim);
  assert_int_equal(lim.min, 5);
  assert_true(lim.has_max);
  assert_int_equal(lim.max, 5);
  assert_int_equal(twine_table_get(tab, 5, &v0), TWINE_ERR_ARG);
  assert_int_equal(twine_table_set(tab, 5, vfuncref(NULL)), TWINE_ERR_ARG);
  assert_int_equal(twine_table_set(tab, 0, vexternref(NULL)), TWINE_ERR_ARG);

  /* host-created externref tables */
  twine_table_t *xt;
  int marker;
  assert_int_equal(twine_table_new(s, TWINE_I32, (twine_limits_t){1, 0, false},
                                   vi32(0), &xt),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_table_new(s, TWINE_EXTERNREF,
                                   (twine_limits_t){2, 1, true},
                                   vexternref(NULL), &xt),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_table_new(s, TWINE_EXTERNREF,
                                   (twine_limits_t){2, 0, false},
                                   vfuncref(NULL), &xt),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_table_new(s, TWINE_EXTERNREF,
                                   (twine_limits_t){2, 0, false},
                                   vexternref(&marker), &xt),
                   TWINE_OK);
  assert_int_equal(twine_table_elem(xt), TWINE_EXTERNREF);
  assert_int_equal(twine_table_get(xt, 1, &v0), TWINE_OK);
  assert_int_equal(v0.kind, TWINE_EXTERNREF);
  assert_ptr_equal(v0.of.externref, &marker);
  assert_int_equal(twine_table_grow(xt, 3, vexternref(NULL), &old), TWINE_OK);
  assert_int_equal(old, 2);
  assert_int_equal(twine_table_get(xt, 4, &v0), TWINE_OK);
  assert_null(v0.of.externref);
  assert_int_equal(twine_table_grow(xt, TW_MAX_TABLE_SIZE, vexternref(NULL),
                                    &old),
                   TWINE_ERR_LIMIT);
  twine_module_free(m);
  twine_store_free(s);
  twine_engine_free(e);
}

/* ---- globals ---------------------------------------------------------------------- */

static void test_globals(void **state) {
  twine_engine_t *e = new_engine(mode_of(state), 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  twine_global_t *base, *mg, *bad;
  assert_int_equal(twine_global_new(s, vi32(32), false, &base), TWINE_OK);
  assert_int_equal(twine_global_new(s, vi32(5), true, &mg), TWINE_OK);
  twine_val_t v128 = {.kind = TWINE_V128};
  assert_int_equal(twine_global_new(s, v128, false, &bad),
                   TWINE_ERR_UNSUPPORTED);
  twine_val_t junk = {.kind = (twine_valkind_t)42};
  assert_int_equal(twine_global_new(s, junk, false, &bad), TWINE_ERR_ARG);
  assert_int_equal(twine_global_kind(mg), TWINE_I32);
  assert_true(twine_global_mutable(mg));
  assert_false(twine_global_mutable(base));

  twine_module_t *m = MODULE(e, GLOBALS);
  twine_extern_t imports[2] = {ext_global(base), ext_global(mg)};
  twine_instance_t *inst = instantiate(s, m, imports, 2);
  twine_val_t v;
  twine_global_get(get_export(inst, "a").of.global, &v);
  assert_int_equal(v.kind, TWINE_I32);
  assert_int_equal(v.of.i32, 32);
  twine_global_get(get_export(inst, "c").of.global, &v);
  assert_int_equal(v.kind, TWINE_F64);
  assert_true(v.of.f64_bits == 0x3ff8000000000000ull);
  twine_global_get(get_export(inst, "x").of.global, &v);
  assert_int_equal(v.kind, TWINE_EXTERNREF);
  assert_null(v.of.externref);
  twine_func_t *f = export_func(inst, "f");
  twine_global_get(get_export(inst, "r").of.global, &v);
  assert_int_equal(v.kind, TWINE_FUNCREF);
  assert_ptr_equal(v.of.funcref, f);

  /* a shared mutable global */
  int32_t r = 0;
  twine_trap_t trap;
  assert_int_equal(call_i32(f, 0, NULL, &r, &trap), TWINE_OK);
  assert_int_equal(r, 5);
  assert_int_equal(twine_global_set(mg, vi32(9)), TWINE_OK);
  assert_int_equal(call_i32(f, 0, NULL, &r, &trap), TWINE_OK);
  assert_int_equal(r, 9);
  assert_int_equal(call_i32(export_func(inst, "bump"), 0, NULL, NULL, &trap),
                   TWINE_OK);
  twine_global_get(mg, &v);
  assert_int_equal(v.of.i32, 10);

  assert_int_equal(twine_global_set(base, vi32(1)), TWINE_ERR_ARG);
  assert_int_equal(twine_global_set(get_export(inst, "a").of.global, vi32(1)),
                   TWINE_ERR_ARG);
  assert_int_equal(twine_global_set(mg, vi64(1)), TWINE_ERR_ARG);
  twine_global_get(mg, &v);
  assert_int_equal(v.of.i32, 10);

  /* float globals keep NaN payloads */
  twine_global_t *fg;
  assert_int_equal(twine_global_new(s, vf32bits(0x7f800001u), true, &fg),
                   TWINE_OK);
  twine_global_get(fg, &v);
  assert_int_equal(v.of.f32_bits, 0x7f800001u);
  twine_module_free(m);
  twine_store_free(s);
  twine_engine_free(e);
}

/* ---- segment initialisation order and traps ----------------------------------- */

static void test_segment_traps(void **state) {
  twine_engine_t *e = new_engine(mode_of(state), 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  twine_table_t *tab;
  twine_memory_t *mem;
  assert_int_equal(twine_table_new(s, TWINE_FUNCREF,
                                   (twine_limits_t){4, 0, false},
                                   vfuncref(NULL), &tab),
                   TWINE_OK);
  assert_int_equal(twine_memory_new(s, (twine_limits_t){1, 0, false}, &mem),
                   TWINE_OK);

  /* elem 0 fits, elem 1 does not: elem 0's writes stay, data never runs */
  twine_module_t *m = MODULE(e, ELEMTRAP);
  twine_extern_t imports[2] = {ext_table(tab), ext_mem(mem)};
  twine_instance_t *inst = NULL;
  twine_error_t err;
  twine_trap_t trap;
  assert_int_equal(twine_instance_new(s, m, imports, 2, &inst, &err, &trap),
                   TWINE_ERR_TRAP);
  assert_null(inst);
  assert_int_equal(trap.kind, TWINE_TRAP_TABLE_OOB);
  assert_string_equal(trap.message, "out of bounds table access");
  assert_int_equal(err.status, TWINE_ERR_TRAP);
  twine_val_t v;
  assert_int_equal(twine_table_get(tab, 0, &v), TWINE_OK);
  assert_non_null(v.of.funcref);
  twine_func_t *one = v.of.funcref;
  assert_int_equal(twine_table_get(tab, 1, &v), TWINE_OK);
  assert_ptr_equal(v.of.funcref, one);
  assert_int_equal(twine_table_get(tab, 2, &v), TWINE_OK);
  assert_null(v.of.funcref);
  assert_int_equal(twine_table_get(tab, 3, &v), TWINE_OK);
  assert_null(v.of.funcref);
  assert_int_equal(twine_memory_data(mem)[0], 0);
  /* the failed instance's function still works (its store owns it) */
  int32_t r = 0;
  assert_int_equal(call_i32(one, 0, NULL, &r, &trap), TWINE_OK);
  assert_int_equal(r, 1);
  twine_module_free(m);

  /* data 0 fits, data 1 does not, data 2 never runs */
  m = MODULE(e, DATATRAP);
  assert_int_equal(twine_instance_new(s, m, imports + 1, 1, &inst, &err, &trap),
                   TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_MEMORY_OOB);
  assert_string_equal(trap.message, "out of bounds memory access");
  uint8_t *d = twine_memory_data(mem);
  assert_memory_equal(d, "ab", 2);
  assert_int_equal(d[4], 0);
  assert_int_equal(d[65535], 0);
  twine_module_free(m);

  /* data segments are applied before the start function runs */
  m = MODULE(e, START);
  inst = instantiate(s, m, imports + 1, 1);
  assert_int_equal(d[7], 'a');
  assert_int_equal(d[8], 'b');
  twine_module_free(m);
  twine_store_free(s);
  twine_engine_free(e);
}

/* ---- re-entrant host calls and interruption -------------------------------------- */

typedef struct reenter_ctx {
  twine_func_t *b_run;
  twine_memory_t *a_mem, *b_mem;
  int inner_calls;
  bool outer_ok, inner_ok;
} reenter_ctx;

static twine_status_t host_inner(twine_caller_t *c, void *env,
                                 const twine_val_t *args,
                                 twine_val_t *results) {
  (void)args, (void)results;
  reenter_ctx *ctx = env;
  ctx->inner_calls++;
  ctx->inner_ok = twine_caller_memory(c) == ctx->b_mem;
  return TWINE_OK;
}

static twine_status_t host_outer(twine_caller_t *c, void *env,
                                 const twine_val_t *args,
                                 twine_val_t *results) {
  (void)args, (void)results;
  reenter_ctx *ctx = env;
  bool before = twine_caller_memory(c) == ctx->a_mem;
  twine_trap_t trap;
  if (twine_func_call(ctx->b_run, NULL, 0, NULL, 0, &trap) != TWINE_OK)
    return twine_caller_trap(c, "nested call failed");
  twine_extern_t ext;
  ctx->outer_ok = before && twine_caller_memory(c) == ctx->a_mem &&
                  twine_caller_export(c, "mem", &ext) == TWINE_OK &&
                  ext.of.memory == ctx->a_mem;
  return TWINE_OK;
}

static void test_reentrant_host(void **state) {
  twine_engine_t *e = new_engine(mode_of(state), 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  reenter_ctx ctx = {0};
  twine_func_t *outer = host_func(s, NULL, 0, NULL, 0, host_outer, &ctx);
  twine_func_t *inner = host_func(s, NULL, 0, NULL, 0, host_inner, &ctx);
  twine_module_t *ma = MODULE(e, REENTER_A), *mb = MODULE(e, REENTER_B);
  twine_extern_t ia = ext_func(outer), ib = ext_func(inner);
  twine_instance_t *a = instantiate(s, ma, &ia, 1);
  twine_instance_t *b = instantiate(s, mb, &ib, 1);
  ctx.a_mem = get_export(a, "mem").of.memory;
  ctx.b_mem = get_export(b, "mem").of.memory;
  ctx.b_run = export_func(b, "run");
  assert_ptr_not_equal(ctx.a_mem, ctx.b_mem);
  twine_trap_t trap;
  assert_int_equal(twine_func_call(export_func(a, "run"), NULL, 0, NULL, 0,
                                   &trap),
                   TWINE_OK);
  assert_int_equal(ctx.inner_calls, 1);
  assert_true(ctx.inner_ok);
  assert_true(ctx.outer_ok);
  /* called from the embedder, a host function has no calling instance */
  assert_int_equal(twine_func_call(inner, NULL, 0, NULL, 0, &trap), TWINE_OK);
  assert_false(ctx.inner_ok);
  twine_module_free(ma);
  twine_module_free(mb);
  twine_store_free(s);
  twine_engine_free(e);
}

typedef struct tick_ctx {
  twine_store_t *store;
  int calls, limit;
} tick_ctx;

static twine_status_t host_tick(twine_caller_t *c, void *env,
                                const twine_val_t *args, twine_val_t *results) {
  (void)c, (void)args, (void)results;
  tick_ctx *t = env;
  if (++t->calls == t->limit) twine_store_interrupt(t->store);
  return TWINE_OK;
}

static void test_interrupt(void **state) {
  twine_engine_t *e = new_engine(mode_of(state), 0);
  twine_store_t *s;
  assert_int_equal(twine_store_new(e, &s), TWINE_OK);
  tick_ctx t = {s, 0, 100};
  twine_func_t *tick = host_func(s, NULL, 0, NULL, 0, host_tick, &t);
  twine_module_t *m = MODULE(e, SPIN);
  twine_extern_t imp = ext_func(tick);
  twine_instance_t *inst = instantiate(s, m, &imp, 1);
  twine_func_t *spin = export_func(inst, "spin");
  twine_trap_t trap;
  assert_int_equal(twine_func_call(spin, NULL, 0, NULL, 0, &trap),
                   TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_INTERRUPTED);
  assert_int_equal(t.calls, 100);
  /* the flag is cleared when the next top-level call starts */
  t.limit = 150;
  assert_int_equal(twine_func_call(spin, NULL, 0, NULL, 0, &trap),
                   TWINE_ERR_TRAP);
  assert_int_equal(trap.kind, TWINE_TRAP_INTERRUPTED);
  assert_int_equal(t.calls, 150);
  twine_store_interrupt(NULL);
  twine_module_free(m);
  twine_store_free(s);
  twine_engine_free(e);
}

/* ---- main --------------------------------------------------------------------------- */

#define BOTH(fn)                                                        \
  cmocka_unit_test_prestate(fn, (void *)&MODE_GUARD),                   \
      cmocka_unit_test_prestate(fn, (void *)&MODE_EXPLICIT)

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_engine_config),
      cmocka_unit_test(test_type_registry),
      cmocka_unit_test(test_module_errors),
      cmocka_unit_test(test_module_introspection),
      cmocka_unit_test(test_func_names),
      BOTH(test_call_api),
      BOTH(test_host_functions),
      BOTH(test_import_matching),
      cmocka_unit_test(test_cross_store),
      BOTH(test_linker),
      BOTH(test_memory_api),
      BOTH(test_memory_wasm),
      BOTH(test_tables),
      BOTH(test_globals),
      BOTH(test_segment_traps),
      BOTH(test_reentrant_host),
      BOTH(test_interrupt),
  };
  capture_interp_fault_handler();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
