/*
 * qgc runtime API (qgc_runtime.h) on a hosted C library, so that one test driver builds
 * both for a Cortex-M board under QEMU and for the host with `cc`.
 * Differences from the device runtime: qgc_cycles_*() count nanoseconds of
 * CLOCK_MONOTONIC (not instructions), and the stack functions return 0 (not measured).
 */
#define _POSIX_C_SOURCE 199309L
#include "qgc_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void qgc_write(const void *buf, size_t n) {
  fwrite(buf, 1, n, stdout);
}

void qgc_print(const char *s) { fputs(s, stdout); }

void qgc_print_u64(uint64_t v) {
  char buf[21];
  size_t i = sizeof buf;
  do {
    buf[--i] = (char)('0' + (unsigned)(v % 10u));
    v /= 10u;
  } while (v != 0u);
  qgc_write(buf + i, sizeof buf - i);
}

void qgc_print_i64(int64_t v) {
  if (v < 0) {
    qgc_write("-", 1);
    qgc_print_u64((uint64_t)0 - (uint64_t)v);
  } else {
    qgc_print_u64((uint64_t)v);
  }
}

void qgc_print_hex(const void *buf, size_t n) {
  const uint8_t *p = (const uint8_t *)buf;
  size_t i;
  for (i = 0; i < n; i++) printf("%02x", (unsigned)p[i]);
}

void qgc_report(const char *key, uint64_t value) {
  qgc_print("qgc.");
  qgc_print(key);
  qgc_print("=");
  qgc_print_u64(value);
  qgc_print("\n");
}

long qgc_read_file(const char *path, void *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  size_t n;
  if (f == NULL) return -1;
  n = fread(buf, 1, cap, f);
  fclose(f);
  return (long)n;
}

long qgc_read_stdin(void *buf, size_t cap) { return (long)fread(buf, 1, cap, stdin); }

void qgc_exit(int status) {
  fflush(stdout);
  exit(status);
}

static uint64_t qgc_cycles_start;

uint64_t qgc_ticks(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t qgc_cycles_now(void) { return qgc_ticks(); }

void qgc_cycles_begin(void) { qgc_cycles_start = qgc_ticks(); }

uint64_t qgc_cycles_end(void) { return qgc_ticks() - qgc_cycles_start; }

size_t qgc_stack_size(void) { return 0; }
size_t qgc_stack_depth(void) { return 0; }
void qgc_stack_paint(void) {}
size_t qgc_stack_high_water(void) { return 0; }
