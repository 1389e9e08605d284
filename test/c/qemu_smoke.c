/*
 * Smoke test of qgc's Cortex-M runtime (test/qemu-runtime.test.ts): semihosting output,
 * an FPU operation, one CMSIS-NN s8 kernel, the SysTick instruction counter against a loop
 * of known length, the stack high-water mark, and the exit status. Builds for the host too.
 */
#include <stdint.h>

#include "arm_nnfunctions.h"
#include "qgc_runtime.h"

#ifndef QGC_TARGET_NAME
#define QGC_TARGET_NAME "unknown"
#endif

#define IN_DIM 16
#define OUT_DIM 4

/* Exactly two instructions per iteration (SUBS, BNE). */
static void spin(uint32_t n) {
#if defined(__arm__)
  __asm__ volatile(".syntax unified\n1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
#else
  volatile uint32_t k = n;
  while (k != 0u) k--;
#endif
}

static volatile float fa = 1.5f;
static volatile float fb = 2.25f;

static int8_t input[IN_DIM];
static int8_t weights[OUT_DIM * IN_DIM];
static int32_t bias[OUT_DIM];
static int8_t output[OUT_DIM];
static int32_t scratch[OUT_DIM];

/* Small deterministic generator (the test recomputes it in TypeScript). */
static uint32_t lcg_state = 12345u;
static uint32_t lcg_next(void) {
  lcg_state = lcg_state * 1103515245u + 12345u;
  return lcg_state >> 16;
}
static int8_t lcg_s8(void) {
  int32_t v = (int32_t)(lcg_next() & 0xFFu);
  return (int8_t)(v >= 128 ? v - 256 : v);
}

static int run_fc(void) {
  cmsis_nn_context ctx;
  cmsis_nn_fc_params fc;
  cmsis_nn_per_tensor_quant_params q;
  cmsis_nn_dims in_dims = {1, 1, 1, IN_DIM};
  cmsis_nn_dims filter_dims = {IN_DIM, 1, 1, OUT_DIM};
  cmsis_nn_dims bias_dims = {1, 1, 1, OUT_DIM};
  cmsis_nn_dims out_dims = {1, 1, 1, OUT_DIM};
  int32_t buf_size = arm_fully_connected_s8_get_buffer_size(&filter_dims);

  fc.input_offset = 3;
  fc.filter_offset = 0;
  fc.output_offset = -5;
  fc.activation.min = -128;
  fc.activation.max = 127;
  q.multiplier = 1518500250; /* 0.7071 in Q31 */
  q.shift = -9;
  ctx.buf = 0;
  ctx.size = 0;
  if (buf_size > 0) {
    if ((size_t)buf_size > sizeof scratch) return -1;
    ctx.buf = scratch;
    ctx.size = buf_size;
    arm_vector_sum_s8(scratch, IN_DIM, OUT_DIM, weights, fc.input_offset, 0, bias);
  }
  return (int)arm_fully_connected_s8(&ctx, &fc, &q, &in_dims, input, &filter_dims, weights, &bias_dims, bias,
                                     &out_dims, output);
}

int main(void) {
  int i;
  int status;
  uint64_t t0, t1, t2;
  size_t depth;
  uint64_t ticks_at_main = qgc_ticks(); /* SysTick was enabled just before main */

  qgc_print("hello from qgc on " QGC_TARGET_NAME "\n");
  qgc_report("ticks_at_main", ticks_at_main);

  /* Float: faults (NOCP UsageFault) unless the reset handler enabled the FPU. */
  qgc_print("float=");
  qgc_print_i64((int64_t)(fa * fb * 100.0f / fa * fa));
  qgc_print("\n");

  for (i = 0; i < IN_DIM; i++) input[i] = lcg_s8();
  for (i = 0; i < OUT_DIM * IN_DIM; i++) {
    int8_t w = lcg_s8();
    weights[i] = w == -128 ? -127 : w;
  }
  for (i = 0; i < OUT_DIM; i++) bias[i] = (int32_t)(lcg_next() % 2001u) - 1000;

  depth = qgc_stack_depth();
  qgc_stack_paint();
  qgc_cycles_begin();
  status = run_fc();
  qgc_report("fc_instructions", qgc_cycles_end());
  qgc_report("fc_stack", qgc_stack_high_water() - depth);
  qgc_print("fc_status=");
  qgc_print_i64(status);
  qgc_print("\nfc=");
  qgc_print_hex(output, sizeof output);
  qgc_print("\n");

  /* Calibration: spin(N) runs 2N instructions; report raw SysTick ticks and scaled counts. */
  t0 = qgc_ticks();
  spin(100000u);
  t1 = qgc_ticks();
  spin(300000u);
  t2 = qgc_ticks();
  qgc_report("ticks_100k", t1 - t0);
  qgc_report("ticks_300k", t2 - t1);
  qgc_cycles_begin();
  spin(200000u);
  qgc_report("spin_200k_instructions", qgc_cycles_end());

  qgc_report("stack_high_water", qgc_stack_high_water());
  qgc_report("stack_size", qgc_stack_size());
  qgc_exit(37);
}
