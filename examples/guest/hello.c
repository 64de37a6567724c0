/*
 * hello.c - the guest of the embedding example (examples/embed.c). It imports
 * one host function, env.log_i32, and exports:
 *
 *   list_primes(n)   calls log_i32(p) for every prime p < n, returns the count
 *   greeting()       address of a NUL-terminated string in linear memory
 *   greeting_len()   its length in bytes
 *   divide(a, b)     a / b with i32.div_s: traps when b == 0
 *   memory           the linear memory (exported by the linker)
 */
#include <stdint.h>

__attribute__((import_module("env"), import_name("log_i32")))
void log_i32(int32_t value);

int32_t list_primes(int32_t n) {
  int32_t count = 0;
  for (int32_t p = 2; p < n; p++) {
    int32_t prime = 1;
    for (int32_t d = 2; d * d <= p; d++) {
      if (p % d == 0) {
        prime = 0;
        break;
      }
    }
    if (prime) {
      log_i32(p);
      count++;
    }
  }
  return count;
}

static char message[64];
static const char text[] = "Hello from a WebAssembly guest!";

/* Build the string at run time so that the host reads memory the guest
 * wrote, not just a data segment. */
int32_t greeting(void) {
  for (uint32_t i = 0; i < sizeof text; i++)
    message[i] = text[i];
  return (int32_t)(uintptr_t)message;
}

int32_t greeting_len(void) { return (int32_t)(sizeof text - 1); }

int32_t divide(int32_t a, int32_t b) { return a / b; }
