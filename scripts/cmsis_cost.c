/*
 * Executed instructions of CMSIS-NN kernels, for the cost models in targets/<name>.json: conv
 * and fully connected at two accumulation depths with the same outputs (_a, _b), so the
 * script can split the cost into a marginal cost per MAC and a cost per output element;
 * depthwise 3x3 at one shape (its depth is fixed). Run by scripts/measure-cmsis-cost.ts (buildElf + runQemu on every target).
 * Weights are zero constants in flash (the kernels have no data-dependent branches per MAC),
 * activations are pseudo-random. Sizes are kept small enough for the micro:bit's 16 KiB RAM.
 */
#include <stdint.h>
#include <string.h>

#include "arm_nnfunctions.h"
#include "qgc_runtime.h"

#define H 8 /* depthwise: 8x8x16, 3x3 */
#define W 8
#define CDW 16
#define S 4 /* conv: 4x4 spatial, two input depths each (marginal cost per MAC vs per output) */
#define C3O 16
#define C1O 32
#define FCO 32

static const int8_t w_conv[64 * 9 * 32];
static const int8_t w_dw[9 * CDW];
static const int8_t w_fc[256 * FCO];

static int16_t in_buf[1024]; /* int8 views use the first half */
static int16_t out_buf[1024];
#if defined(__ARM_FEATURE_MVE)
static int32_t scratch[4096];
#else
static int32_t scratch[1024];
#endif
static int32_t mult[32];
static int32_t shift[32];
static int32_t bias32[FCO];
static int64_t bias64[FCO];

static void report(const char *name, arm_cmsis_nn_status st, uint64_t instr, uint64_t macs) {
  qgc_print(name);
  qgc_print(" status=");
  qgc_print_i64(st);
  qgc_print(" instructions=");
  qgc_print_u64(instr);
  qgc_print(" macs=");
  qgc_print_u64(macs);
  qgc_print("\n");
}

static cmsis_nn_context ctx_of(int32_t size) {
  cmsis_nn_context c;
  c.buf = size > 0 ? scratch : NULL;
  c.size = size;
  if ((size_t)size > sizeof scratch) {
    qgc_print("scratch too small\n");
    qgc_exit(2);
  }
  return c;
}

#define MEASURE(name, macs, call)              \
  do {                                         \
    arm_cmsis_nn_status st_;                   \
    qgc_cycles_begin();                        \
    st_ = (call);                              \
    report(name, st_, qgc_cycles_end(), macs); \
  } while (0)

static void conv(const char *s8, const char *s4, const char *s16, int k, int ci, int co) {
  cmsis_nn_conv_params p;
  cmsis_nn_per_channel_quant_params q;
  cmsis_nn_dims in = {1, S, S, 0}, f = {0, 0, 0, 0}, b = {1, 1, 1, 0}, out = {1, S, S, 0};
  cmsis_nn_bias_data b16;
  cmsis_nn_context ctx;
  const int8_t *wt = w_conv;
  uint64_t macs = (uint64_t)S * S * co * ci * k * k;
  in.c = ci;
  f.n = co;
  f.h = k;
  f.w = k;
  f.c = ci;
  b.c = co;
  out.c = co;
  memset(&p, 0, sizeof p);
  p.input_offset = 3;
  p.output_offset = -2;
  p.stride.w = p.stride.h = 1;
  p.padding.w = p.padding.h = k / 2;
  p.dilation.w = p.dilation.h = 1;
  p.activation.min = -128;
  p.activation.max = 127;
  q.multiplier = mult;
  q.shift = shift;
  ctx = ctx_of(arm_convolve_wrapper_s8_get_buffer_size(&p, &in, &f, &out));
  MEASURE(s8, macs,
          arm_convolve_wrapper_s8(&ctx, &p, &q, &in, (const int8_t *)in_buf, &f, wt, &b, bias32, &out, (int8_t *)out_buf));
  ctx = ctx_of(arm_convolve_wrapper_s4_get_buffer_size(&p, &in, &f, &out));
  MEASURE(s4, macs,
          arm_convolve_wrapper_s4(&ctx, &p, &q, &in, (const int8_t *)in_buf, &f, wt, &b, bias32, &out, (int8_t *)out_buf));
  p.input_offset = 0;
  p.output_offset = 0;
  p.activation.min = -32768;
  p.activation.max = 32767;
  b16.data = bias64;
  ctx = ctx_of(arm_convolve_wrapper_s16_get_buffer_size(&p, &in, &f, &out));
  MEASURE(s16, macs,
          arm_convolve_wrapper_s16(&ctx, &p, &q, &in, in_buf, &f, wt, &b, &b16, &out, out_buf));
}

static void dwconv(void) {
  cmsis_nn_dw_conv_params p;
  cmsis_nn_per_channel_quant_params q;
  cmsis_nn_dims in = {1, H, W, CDW}, f = {1, 3, 3, CDW}, b = {1, 1, 1, CDW}, out = {1, H, W, CDW};
  cmsis_nn_context ctx;
  uint64_t macs = (uint64_t)H * W * CDW * 9;
  memset(&p, 0, sizeof p);
  p.input_offset = 3;
  p.output_offset = -2;
  p.ch_mult = 1;
  p.stride.w = p.stride.h = 1;
  p.padding.w = p.padding.h = 1;
  p.dilation.w = p.dilation.h = 1;
  p.activation.min = -128;
  p.activation.max = 127;
  q.multiplier = mult;
  q.shift = shift;
  ctx = ctx_of(arm_depthwise_conv_wrapper_s8_get_buffer_size(&p, &in, &f, &out));
  MEASURE("dwconv3x3_s8", macs,
          arm_depthwise_conv_wrapper_s8(&ctx, &p, &q, &in, (const int8_t *)in_buf, &f, w_dw, &b, bias32, &out, (int8_t *)out_buf));
  ctx = ctx_of(arm_depthwise_conv_wrapper_s4_get_buffer_size(&p, &in, &f, &out));
  MEASURE("dwconv3x3_s4", macs,
          arm_depthwise_conv_wrapper_s4(&ctx, &p, &q, &in, (const int8_t *)in_buf, &f, w_dw, &b, bias32, &out, (int8_t *)out_buf));
  p.input_offset = 0;
  p.output_offset = 0;
  p.activation.min = -32768;
  p.activation.max = 32767;
  ctx = ctx_of(arm_depthwise_conv_wrapper_s16_get_buffer_size(&p, &in, &f, &out));
  MEASURE("dwconv3x3_s16", macs,
          arm_depthwise_conv_wrapper_s16(&ctx, &p, &q, &in, in_buf, &f, w_dw, &b, bias64, &out, out_buf));
}

static void fc(const char *s8, const char *s4, const char *s16, int ci) {
  cmsis_nn_fc_params p;
  cmsis_nn_per_tensor_quant_params q;
  cmsis_nn_dims in = {1, 1, 1, 0}, f = {0, 1, 1, FCO}, b = {1, 1, 1, FCO}, out = {1, 1, 1, FCO};
  cmsis_nn_context ctx;
  uint64_t macs = (uint64_t)ci * FCO;
  in.c = ci;
  f.n = ci;
  memset(&p, 0, sizeof p);
  p.input_offset = 3;
  p.output_offset = -2;
  p.activation.min = -128;
  p.activation.max = 127;
  q.multiplier = 1518500250;
  q.shift = -9;
  ctx = ctx_of(arm_fully_connected_s8_get_buffer_size(&f));
  if (ctx.size > 0) arm_vector_sum_s8(scratch, ci, FCO, w_fc, p.input_offset, 0, bias32); /* done once, at init */
  MEASURE(s8, macs, arm_fully_connected_s8(&ctx, &p, &q, &in, (const int8_t *)in_buf, &f, w_fc, &b, bias32, &out, (int8_t *)out_buf));
  ctx = ctx_of(0);
  MEASURE(s4, macs, arm_fully_connected_s4(&ctx, &p, &q, &in, (const int8_t *)in_buf, &f, w_fc, &b, bias32, &out, (int8_t *)out_buf));
  p.input_offset = 0;
  p.output_offset = 0;
  p.activation.min = -32768;
  p.activation.max = 32767;
  ctx = ctx_of(arm_fully_connected_s16_get_buffer_size(&f));
  MEASURE(s16, macs, arm_fully_connected_s16(&ctx, &p, &q, &in, in_buf, &f, w_fc, &b, bias64, &out, out_buf));
}

int main(void) {
  uint32_t s = 1u;
  size_t i;
  for (i = 0; i < sizeof in_buf / sizeof in_buf[0]; i++) {
    s = s * 1103515245u + 12345u;
    in_buf[i] = (int16_t)((int32_t)(s >> 16) % 2000 - 1000);
  }
  for (i = 0; i < 32; i++) {
    mult[i] = 1518500250;
    shift[i] = -9;
  }
  conv("conv3x3_s8_a", "conv3x3_s4_a", "conv3x3_s16_a", 3, 8, C3O);
  conv("conv3x3_s8_b", "conv3x3_s4_b", "conv3x3_s16_b", 3, 32, C3O);
  conv("conv1x1_s8_a", "conv1x1_s4_a", "conv1x1_s16_a", 1, 16, C1O);
  conv("conv1x1_s8_b", "conv1x1_s4_b", "conv1x1_s16_b", 1, 64, C1O);
  dwconv();
  fc("fc_s8_a", "fc_s4_a", "fc_s16_a", 64);
  fc("fc_s8_b", "fc_s4_b", "fc_s16_b", 256);
  return 0;
}
