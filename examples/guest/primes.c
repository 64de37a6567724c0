/*
 * primes.c - a freestanding WebAssembly guest (no libc, no imports) used by
 * `make run` and the quick start: numbers anyone can check.
 *
 *   count_primes(n)  number of primes <= n (sieve of Eratosthenes);
 *                    count_primes(10000000) = 664579
 *   nth_prime(k)     the k-th prime (1-based); nth_prime(10000) = 104729
 *   fib(n)           n-th Fibonacci number as i64; fib(90) = 2880067194370816120
 *
 * Out-of-range arguments return -1 instead of touching memory they should
 * not.
 */
#include <stdint.h>

#define SIEVE_MAX 20000000 /* 20 MB of guest memory at most */

static uint8_t composite[SIEVE_MAX + 1];

/* Mark composites up to n; returns the number of primes <= n. */
static int32_t sieve(int32_t n) {
  int32_t count = 0;
  for (int32_t i = 0; i <= n; i++)
    composite[i] = 0;
  for (int32_t i = 2; i <= n; i++) {
    if (composite[i])
      continue;
    count++;
    for (int64_t j = (int64_t)i * i; j <= n; j += i)
      composite[j] = 1;
  }
  return count;
}

int32_t count_primes(int32_t n) {
  if (n < 0 || n > SIEVE_MAX)
    return -1;
  return sieve(n);
}

int32_t nth_prime(int32_t k) {
  if (k < 1)
    return -1;
  /* p_k < k (ln k + ln ln k) for k >= 6; a generous linear bound will do:
   * grow the sieve until it holds k primes. */
  int32_t n = 64;
  while (n <= SIEVE_MAX) {
    if (sieve(n) >= k) {
      for (int32_t i = 2; i <= n; i++)
        if (!composite[i] && --k == 0)
          return i;
    }
    if (n > SIEVE_MAX / 2)
      break;
    n *= 2;
  }
  return -1;
}

int64_t fib(int32_t n) {
  if (n < 0 || n > 92)
    return -1;
  int64_t a = 0, b = 1;
  for (int32_t i = 0; i < n; i++) {
    int64_t t = a + b;
    a = b;
    b = t;
  }
  return a;
}
