/*
 * qgc bare-metal runtime for Arm Cortex-M (and a host stand-in with the same API).
 *
 * Linked into every program that qgc's verifier builds (src/verify/toolchain.ts):
 *   qgc_startup.S   reset handler: FPU on (CPACR), .data copy, .bss zero, stack paint
 *   qgc_runtime.c   vector table, SysTick counter, semihosting I/O, newlib syscalls
 *   qgc_link.ld.hbs linker script, memory map filled in from targets/<target>.json
 *   qgc_runtime_host.c  the same API on a hosted C library (for `cc` builds)
 *
 * Output goes through Arm semihosting (QEMU: -semihosting-config enable=on,target=native).
 * newlib's printf also works (its _write is retargeted here); qgc_print* write directly,
 * so call fflush(stdout) before mixing the two on one line.
 *
 * Instruction counting: SysTick runs from the core clock. Under QEMU with -icount shift=0
 * every executed instruction advances virtual time by 1 ns, so one SysTick tick is a fixed
 * number of instructions (the board's clock period in ns: 40 on mps2 boards, 31.25 on
 * mps3-an547; see docs/cortex-m.md). The build defines QGC_TICK_NUM / QGC_TICK_DEN to
 * that ratio, and qgc_cycles_*() return instructions. On real hardware (the defaults 1/1)
 * they return core clock cycles.
 */
#ifndef QGC_RUNTIME_H
#define QGC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Exit status used when the program takes a fault (HardFault, UsageFault, ...). */
#define QGC_EXIT_FAULT 126

/* ---- output (semihosting stdout) ---- */

/** Writes `n` bytes to stdout. */
void qgc_write(const void *buf, size_t n);
/** Writes a NUL-terminated string (no newline added). */
void qgc_print(const char *s);
/** Writes a signed decimal number. */
void qgc_print_i64(int64_t v);
/** Writes an unsigned decimal number. */
void qgc_print_u64(uint64_t v);
/** Writes `n` bytes as lowercase hex, two digits each, no separators. */
void qgc_print_hex(const void *buf, size_t n);
/**
 * Writes one machine-readable line `qgc.<key>=<value>`; src/verify/qemu.ts parseReports()
 * collects them (e.g. qgc_report("instructions", n), qgc_report("stack", bytes)).
 */
void qgc_report(const char *key, uint64_t value);

/* ---- input ---- */

/**
 * Reads up to `cap` bytes of the host file `path` into `buf` (semihosting SYS_OPEN/SYS_READ;
 * a relative path is relative to the directory QEMU runs in). Returns the byte count read,
 * or -1 if the file cannot be opened.
 */
long qgc_read_file(const char *path, void *buf, size_t cap);
/** Reads `cap` bytes from stdin, fewer only at end of input; returns the count read. */
long qgc_read_stdin(void *buf, size_t cap);

/* ---- exit ---- */

/** Flushes stdio and ends the program; QEMU exits with `status & 0xff`. */
void qgc_exit(int status) __attribute__((noreturn));

/* ---- instruction / cycle counting ---- */

/** Raw SysTick ticks since reset (64-bit, wrap-extended). */
uint64_t qgc_ticks(void);
/** Ticks scaled by QGC_TICK_NUM/QGC_TICK_DEN: instructions under QEMU -icount shift=0. */
uint64_t qgc_cycles_now(void);
/** Starts a measurement. Resolution is one tick (e.g. 40 instructions). */
void qgc_cycles_begin(void);
/** Instructions (QEMU) or cycles (hardware) since the matching qgc_cycles_begin(). */
uint64_t qgc_cycles_end(void);

/* ---- stack high-water mark ---- */

/** Bytes reserved for the stack (linker symbol __stack_size). */
size_t qgc_stack_size(void);
/** Bytes of stack in use right now (from the top of the stack to SP). */
size_t qgc_stack_depth(void);
/** Repaints the unused part of the stack (below SP), so the high-water mark restarts here. */
void qgc_stack_paint(void);
/** Deepest stack use, in bytes from the top of the stack, since reset or qgc_stack_paint(). */
size_t qgc_stack_high_water(void);

#ifdef __cplusplus
}
#endif

#endif /* QGC_RUNTIME_H */
