/*
 * qgc bare-metal runtime for Arm Cortex-M: vector table, SysTick instruction counter,
 * semihosting I/O and exit, newlib syscalls, stack high-water mark. See qgc_runtime.h.
 * Builds clean with -std=c99 -pedantic -Wall -Wextra -Werror on Armv6-M to Armv8.1-M.
 */
#include "qgc_runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#ifndef QGC_TICK_NUM
#define QGC_TICK_NUM 1u /* instructions (or cycles) per SysTick tick: numerator */
#endif
#ifndef QGC_TICK_DEN
#define QGC_TICK_DEN 1u /* ... and denominator (mps3-an547: 125/4 = 31.25) */
#endif

#ifndef QGC_SYSTICK_RELOAD
#define QGC_SYSTICK_RELOAD 0xFFFFFFu /* SysTick period - 1; smaller only to test the wrap logic */
#endif

#define QGC_STACK_PAINT 0xA55AA55Au

#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__) || \
    defined(__ARM_ARCH_8_1M_MAIN__)
#define QGC_HAS_CFSR 1
#else
#define QGC_HAS_CFSR 0
#endif

/* ---- memory-mapped system registers ---- */
#define QGC_REG(addr) (*(volatile uint32_t *)(addr))
#define SYST_CSR QGC_REG(0xE000E010u)
#define SYST_RVR QGC_REG(0xE000E014u)
#define SYST_CVR QGC_REG(0xE000E018u)
#define SCB_CFSR QGC_REG(0xE000ED28u)
#define SCB_HFSR QGC_REG(0xE000ED2Cu)
#define SCB_MMFAR QGC_REG(0xE000ED34u)
#define SCB_BFAR QGC_REG(0xE000ED38u)

/* ---- linker symbols (qgc_link.ld.hbs) ---- */
extern uint32_t __stack_top[];
extern uint32_t __stack_limit[];
extern uint32_t __heap_start[];
typedef void (*qgc_handler_t)(void);
extern qgc_handler_t __preinit_array_start[];
extern qgc_handler_t __preinit_array_end[];
extern qgc_handler_t __init_array_start[];
extern qgc_handler_t __init_array_end[];

int main(void);
void qgc_start(void) __attribute__((noreturn));
void qgc_reset_handler(void);
void qgc_fault_entry(void);
void qgc_fault_report(const uint32_t *frame) __attribute__((noreturn));
void qgc_systick_handler(void);

/* ---- vector table: initial SP and the 15 core exceptions (no external IRQs are used) ---- */
struct qgc_vector_table {
  uint32_t *initial_sp;
  qgc_handler_t handlers[15];
};

__attribute__((section(".vectors"), used)) const struct qgc_vector_table qgc_vectors = {
    __stack_top,
    {
        qgc_reset_handler, /* 1  Reset */
        qgc_fault_entry,   /* 2  NMI */
        qgc_fault_entry,   /* 3  HardFault */
        qgc_fault_entry,   /* 4  MemManage */
        qgc_fault_entry,   /* 5  BusFault */
        qgc_fault_entry,   /* 6  UsageFault */
        qgc_fault_entry,   /* 7  SecureFault (Armv8-M) */
        0,                 /* 8  reserved */
        0,                 /* 9  reserved */
        0,                 /* 10 reserved */
        qgc_fault_entry,   /* 11 SVCall */
        qgc_fault_entry,   /* 12 DebugMonitor */
        0,                 /* 13 reserved */
        qgc_fault_entry,   /* 14 PendSV */
        qgc_systick_handler, /* 15 SysTick */
    },
};

/* ---- semihosting ---- */
enum {
  SYS_OPEN = 0x01,
  SYS_CLOSE = 0x02,
  SYS_WRITE = 0x05,
  SYS_READ = 0x06,
  SYS_EXIT = 0x18,
  SYS_EXIT_EXTENDED = 0x20,
};
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static uint32_t qgc_semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static size_t qgc_strlen(const char *s) {
  size_t n = 0;
  while (s[n] != '\0') n++;
  return n;
}

static int32_t qgc_open(const char *path, uint32_t mode) {
  uint32_t args[3];
  args[0] = (uint32_t)(uintptr_t)path;
  args[1] = mode;
  args[2] = (uint32_t)qgc_strlen(path);
  return (int32_t)qgc_semihost(SYS_OPEN, args);
}

static int32_t qgc_stdout_handle = -1;
static int32_t qgc_stdin_handle = -1;

void qgc_write(const void *buf, size_t n) {
  uint32_t args[3];
  if (n == 0) return;
  if (qgc_stdout_handle < 0) qgc_stdout_handle = qgc_open(":tt", 4); /* mode 4 = "w" */
  args[0] = (uint32_t)qgc_stdout_handle;
  args[1] = (uint32_t)(uintptr_t)buf;
  args[2] = (uint32_t)n;
  (void)qgc_semihost(SYS_WRITE, args);
}

void qgc_print(const char *s) { qgc_write(s, qgc_strlen(s)); }

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
  static const char digits[] = "0123456789abcdef";
  const uint8_t *p = (const uint8_t *)buf;
  char out[64];
  size_t k = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    out[k++] = digits[p[i] >> 4];
    out[k++] = digits[p[i] & 15u];
    if (k == sizeof out) {
      qgc_write(out, k);
      k = 0;
    }
  }
  qgc_write(out, k);
}

void qgc_report(const char *key, uint64_t value) {
  qgc_print("qgc.");
  qgc_print(key);
  qgc_print("=");
  qgc_print_u64(value);
  qgc_print("\n");
}

static long qgc_read_handle(int32_t handle, void *buf, size_t cap) {
  uint32_t args[3];
  uint32_t left;
  args[0] = (uint32_t)handle;
  args[1] = (uint32_t)(uintptr_t)buf;
  args[2] = (uint32_t)cap;
  left = qgc_semihost(SYS_READ, args); /* returns the number of bytes NOT read */
  if (left > cap) return -1;
  return (long)(cap - left);
}

long qgc_read_file(const char *path, void *buf, size_t cap) {
  int32_t h = qgc_open(path, 1); /* mode 1 = "rb" */
  long total = 0;
  uint32_t args[1];
  if (h < 0) return -1;
  while ((size_t)total < cap) {
    long got = qgc_read_handle(h, (uint8_t *)buf + total, cap - (size_t)total);
    if (got <= 0) break;
    total += got;
  }
  args[0] = (uint32_t)h;
  (void)qgc_semihost(SYS_CLOSE, args);
  return total;
}

long qgc_read_stdin(void *buf, size_t cap) {
  long total = 0;
  if (qgc_stdin_handle < 0) qgc_stdin_handle = qgc_open(":tt", 0); /* mode 0 = "r" */
  while ((size_t)total < cap) {
    long got = qgc_read_handle(qgc_stdin_handle, (uint8_t *)buf + total, cap - (size_t)total);
    if (got <= 0) break;
    total += got;
  }
  return total;
}

/* ---- exit ---- */
void _exit(int status) __attribute__((noreturn));
void _exit(int status) {
  uint32_t block[2];
  block[0] = ADP_STOPPED_APPLICATION_EXIT;
  block[1] = (uint32_t)status;
  /* SYS_EXIT_EXTENDED carries the status; QEMU exits with it. SYS_EXIT is the fallback
   * for hosts without the extension (status 0 or 1 only). */
  (void)qgc_semihost(SYS_EXIT_EXTENDED, block);
  (void)qgc_semihost(SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT : 0x20024u));
  for (;;) {
  }
}

void qgc_exit(int status) { exit(status); }

/* ---- SysTick: free-running 24-bit down-counter, extended to 64 bits by counting wraps ---- */
static volatile uint32_t qgc_systick_wraps;
static uint64_t qgc_cycles_start;

void qgc_systick_handler(void) { qgc_systick_wraps++; }

uint64_t qgc_ticks(void) {
  uint32_t w1, w2, v;
  do {
    w1 = qgc_systick_wraps;
    v = SYST_CVR;
    w2 = qgc_systick_wraps;
  } while (w1 != w2);
  /*
   * After enabling, VAL reads 0 until the first tick loads RELOAD; from then on a period is
   * RELOAD, ..., 1, 0, and reaching 0 pends the wrap interrupt. So tick t (t >= 1) reads
   * v = RELOAD - ((t - 1) mod (RELOAD + 1)), with w = number of zeros reached so far.
   */
  if (v == 0u) return (uint64_t)w1 * (QGC_SYSTICK_RELOAD + 1u);
  return (uint64_t)w1 * (QGC_SYSTICK_RELOAD + 1u) + (QGC_SYSTICK_RELOAD + 1u - v);
}

static uint64_t qgc_scale(uint64_t ticks) { return ticks * QGC_TICK_NUM / QGC_TICK_DEN; }

uint64_t qgc_cycles_now(void) { return qgc_scale(qgc_ticks()); }

void qgc_cycles_begin(void) { qgc_cycles_start = qgc_ticks(); }

uint64_t qgc_cycles_end(void) {
  uint64_t t = qgc_ticks();
  return qgc_scale(t - qgc_cycles_start);
}

/* ---- stack high-water mark ---- */
static uintptr_t qgc_sp(void) {
  uintptr_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

size_t qgc_stack_size(void) { return (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit); }

size_t qgc_stack_depth(void) { return (size_t)((uintptr_t)__stack_top - qgc_sp()); }

void qgc_stack_paint(void) {
  volatile uint32_t *p = __stack_limit;
  /* Leave 64 bytes below SP alone: this function's caller-visible frame ends at SP. */
  volatile uint32_t *end = (volatile uint32_t *)((qgc_sp() - 64u) & ~(uintptr_t)3u);
  while (p < end) *p++ = QGC_STACK_PAINT;
}

size_t qgc_stack_high_water(void) {
  const volatile uint32_t *p = __stack_limit;
  const volatile uint32_t *top = __stack_top;
  while (p < top && *p == QGC_STACK_PAINT) p++;
  return (size_t)((uintptr_t)top - (uintptr_t)p);
}

/* ---- faults ---- */
static void qgc_print_hex32(const char *label, uint32_t v) {
  uint8_t b[4];
  b[0] = (uint8_t)(v >> 24);
  b[1] = (uint8_t)(v >> 16);
  b[2] = (uint8_t)(v >> 8);
  b[3] = (uint8_t)v;
  qgc_print(label);
  qgc_print("0x");
  qgc_print_hex(b, 4);
}

void qgc_fault_report(const uint32_t *frame) {
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  qgc_print("\nqgc: fault: exception ");
  qgc_print_u64(ipsr & 0x1FFu);
  qgc_print_hex32(" pc=", frame[6]);
  qgc_print_hex32(" lr=", frame[5]);
#if QGC_HAS_CFSR
  qgc_print_hex32(" cfsr=", SCB_CFSR);
  qgc_print_hex32(" hfsr=", SCB_HFSR);
  qgc_print_hex32(" mmfar=", SCB_MMFAR);
  qgc_print_hex32(" bfar=", SCB_BFAR);
#endif
  qgc_print("\n");
  _exit(QGC_EXIT_FAULT);
}

/* ---- C entry after qgc_reset_handler ---- */
void qgc_start(void) {
  qgc_handler_t *f;
  SYST_RVR = QGC_SYSTICK_RELOAD;
  SYST_CVR = 0u;
  SYST_CSR = 7u; /* ENABLE | TICKINT | CLKSOURCE = core clock */
  for (f = __preinit_array_start; f < __preinit_array_end; f++) (*f)();
  for (f = __init_array_start; f < __init_array_end; f++) (*f)();
  exit(main());
}

/* ---- newlib syscalls (printf, malloc) ---- */
int _write(int fd, const void *buf, size_t n);
int _read(int fd, void *buf, size_t n);
int _close(int fd);
int _open(const char *path, int flags, ...);
int _lseek(int fd, int offset, int whence);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _kill(int pid, int sig);
int _getpid(void);
void *_sbrk(ptrdiff_t incr);

int _write(int fd, const void *buf, size_t n) {
  if (fd != 1 && fd != 2) {
    errno = EBADF;
    return -1;
  }
  qgc_write(buf, n);
  return (int)n;
}

int _read(int fd, void *buf, size_t n) {
  if (fd != 0) {
    errno = EBADF;
    return -1;
  }
  return (int)qgc_read_stdin(buf, n);
}

int _close(int fd) {
  (void)fd;
  return -1;
}

int _open(const char *path, int flags, ...) {
  (void)path;
  (void)flags;
  errno = ENOSYS;
  return -1;
}

int _lseek(int fd, int offset, int whence) {
  (void)fd;
  (void)offset;
  (void)whence;
  return 0;
}

int _fstat(int fd, struct stat *st) {
  (void)fd;
  st->st_mode = S_IFCHR;
  return 0;
}

int _isatty(int fd) { return fd >= 0 && fd <= 2; }

int _kill(int pid, int sig) {
  (void)pid;
  (void)sig;
  errno = EINVAL;
  return -1;
}

int _getpid(void) { return 1; }

void *_sbrk(ptrdiff_t incr) {
  static uint8_t *brk = 0;
  uint8_t *prev;
  if (brk == 0) brk = (uint8_t *)__heap_start;
  if (incr > (uint8_t *)__stack_limit - brk || incr < (uint8_t *)__heap_start - brk) {
    errno = ENOMEM;
    return (void *)-1;
  }
  prev = brk;
  brk += incr;
  return prev;
}
