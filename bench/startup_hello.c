/*
 * startup_hello.c - the start-up benchmark's program: a WASI "hello,
 * world" through stdio, as small as a real C program gets. Built natively
 * and to wasm32-wasi; bench/run.py times whole processes of both (median of
 * many runs), so the difference is Twine's start-up: reading, validating
 * and lowering the module, setting up WASI, and tearing it all down.
 */
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  return 0;
}
