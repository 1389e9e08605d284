/*
 * qgc portable int8 kernels (C99, no malloc, no float outside qgc_quantize_f32 and
 * qgc_dequantize_f32). Written by qgc next to every compiled network; the same file for every
 * network of one qgc version.
 *
 * The arithmetic is CMSIS-NN's default build, bit for bit (see src/quant/intmath.ts in qgc):
 * arm_nn_requantize without CMSIS_NN_USE_SINGLE_ROUNDING, arm_softmax_s8, arm_avgpool_s8's
 * rounding, arm_elementwise_add_s8's left shift. Activations are NHWC, conv weights OHWI
 * ([C_out, kH, kW, C_in / groups]). Offsets follow CMSIS-NN: input_offset = -input zero point,
 * output_offset = +output zero point.
 *
 * Where C99 leaves behaviour implementation-defined (right shift of a negative value,
 * conversion of an out-of-range unsigned value to a signed type), these kernels rely on what
 * every compiler for Arm and x86 does (arithmetic shift, two's complement wrap); they never rely
 * on undefined behaviour (left shifts are done on unsigned values).
 */
#ifndef QGC_KERNELS_H
#define QGC_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this kernel file; networks check it at compile time. */
#define QGC_KERNELS_VERSION 3

/** Largest rank of the strided copy, pad and boundary kernels. */
#define QGC_MAX_RANK 8

/** An NHWC shape. */
typedef struct
{
    int32_t n, h, w, c;
} qgc_dims;

/** A window (conv or pool): kernel size, stride, leading padding and dilation per spatial dim. */
typedef struct
{
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;
    int32_t dilation_h, dilation_w;
} qgc_window;

typedef struct
{
    qgc_dims input, output;
    qgc_window window;
    int32_t groups;
    int32_t input_offset, output_offset;
    int32_t act_min, act_max;
} qgc_conv_params;

typedef struct
{
    int32_t batches, in_features, out_features;
    int32_t input_offset, output_offset;
    int32_t act_min, act_max;
    /** 1: one multiplier/shift per output feature; 0: one for all. */
    int32_t per_channel;
} qgc_fc_params;

typedef struct
{
    int32_t size;
    int32_t input1_offset, input1_mult, input1_shift;
    int32_t input2_offset, input2_mult, input2_shift;
    int32_t left_shift;
    int32_t output_offset, output_mult, output_shift;
    int32_t act_min, act_max;
} qgc_add_params;

/** Elementwise multiply (TFLite's integer Mul): offsets are negated zero points. */
typedef struct
{
    int32_t size;
    int32_t input1_offset, input2_offset;
    int32_t output_offset, output_mult, output_shift;
    int32_t act_min, act_max;
} qgc_mul_params;

/** How a broadcasting kernel walks its operands: the output is written in order over `dims`
 * (outermost first); operand j reads element sum(i_k * strides_j[k]) (stride 0: broadcast). */
typedef struct
{
    int32_t rank;
    int32_t dims[QGC_MAX_RANK];
    int32_t strides1[QGC_MAX_RANK];
    int32_t strides2[QGC_MAX_RANK];
} qgc_broadcast_walk;

typedef struct
{
    qgc_dims input, output;
    qgc_window window;
    int32_t act_min, act_max;
} qgc_pool_params;

typedef struct
{
    int32_t rows, row_size;
    int32_t mult, shift, diff_min;
} qgc_softmax_params;

/** PRelu over a channels-last tensor: `channels` slopes (1: one for all), element i uses slope
 * i % channels. x + input_offset >= 0 is requantized by the identity multiplier, below it
 * (x + input_offset) * (slope + slope_offset) by the negative one (TFLite's
 * reference_ops::BroadcastPrelu4DSlow). */
typedef struct
{
    int32_t size, channels;
    int32_t input_offset, slope_offset, output_offset;
    int32_t identity_mult, identity_shift, negative_mult, negative_shift;
} qgc_prelu_params;

/** A reduction of a row-major tensor viewed as [outer, reduce, inner] over its middle axis;
 * the output is [outer, inner]. Mean (TFLite's reference_ops::QuantizedMeanOrSum): the sum of
 * x + input_offset requantized by mult/shift (1 / count folded in) + output_offset, saturated. */
typedef struct
{
    int32_t outer, reduce, inner;
    int32_t input_offset, output_offset, mult, shift;
} qgc_reduce_params;

/** One input of a concatenation: `outer` rows of `src_row` bytes go to rows of `dst_row` bytes
 * (dst already points at this input's column); requantized unless `copy`. */
typedef struct
{
    int32_t outer, src_row, dst_row;
    int32_t copy;
    int32_t input_offset, mult, shift, output_offset;
} qgc_concat_params;

/** A strided copy: the destination is written in order over dims[0..rank) (outermost first);
 * element (i0, i1, ...) comes from src[sum i_k * src_strides[k]]. */
typedef struct
{
    int32_t rank;
    int32_t dims[QGC_MAX_RANK];
    int32_t src_strides[QGC_MAX_RANK];
} qgc_copy_params;

/** Pad (any mode): like a strided copy over the output dims, but output index i of dim k reads
 * source index maps[k][i] along that dim, or writes `fill` when that index is -1. `maps` holds
 * the per-dim tables one after another. */
typedef struct
{
    int32_t rank;
    int32_t dims[QGC_MAX_RANK];
    int32_t src_strides[QGC_MAX_RANK];
    int32_t fill;
} qgc_pad_params;

/** The input rows one output row of a convolution reads (qgc_gather_rows_s8): `kernel_h` rows
 * from `stride_h * oy - pad_top` on, `dilation_h` apart, and `width` columns from `-pad_left`
 * on. `fill` (the input zero point) stands for padding. */
typedef struct
{
    qgc_dims input;
    int32_t output_h;
    int32_t kernel_h, stride_h, dilation_h, pad_top, pad_left;
    int32_t width;
    int32_t fill;
} qgc_rows_params;

/** arm_nn_requantize (CMSIS-NN default build). */
int32_t qgc_requantize(int32_t value, int32_t multiplier, int32_t shift);

/** Convolution (grouped and depthwise included); mult/shift per output channel. */
void qgc_conv_s8(const qgc_conv_params *p, const int32_t *mult, const int32_t *shift, const int8_t *input,
                 const int8_t *filter, const int32_t *bias, int8_t *output);
void qgc_fully_connected_s8(const qgc_fc_params *p, const int32_t *mult, const int32_t *shift, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, int8_t *output);
/** The same two with 4-bit weights packed two per byte, low nibble first (CMSIS-NN's _s4
 * packing), over the flattened OHWI (conv) or [out_features, in_features] (FC) order. */
void qgc_conv_s4(const qgc_conv_params *p, const int32_t *mult, const int32_t *shift, const int8_t *input,
                 const int8_t *filter, const int32_t *bias, int8_t *output);
void qgc_fully_connected_s4(const qgc_fc_params *p, const int32_t *mult, const int32_t *shift, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, int8_t *output);
/** Matrix product of two activations (TFLite's BatchMatMul): lhs [M, K] x rhs [K, N] row-major per
 * batch; the batch walk (rank - 1 axes over the batches and one of size 1) moves lhs and rhs by
 * whole matrices, broadcasting a batch dim with stride 0. */
typedef struct
{
    int32_t m, k, n;
    int32_t lhs_offset, rhs_offset;
    int32_t output_offset, output_mult, output_shift;
    int32_t act_min, act_max;
} qgc_batch_matmul_params;

void qgc_batch_matmul_s8(const qgc_batch_matmul_params *p, const qgc_broadcast_walk *w, const int8_t *lhs, const int8_t *rhs,
                         int8_t *output);
/** Elementwise add; output may be input1 or input2 (same pointer). */
void qgc_add_s8(const qgc_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
/** Add with numpy broadcasting (TFLite's BroadcastAdd4DSlow): each element as qgc_add_s8 computes it. */
void qgc_add_broadcast_s8(const qgc_add_params *p, const qgc_broadcast_walk *w, const int8_t *input1, const int8_t *input2,
                          int8_t *output);
/** Elementwise multiply (TFLite's MulElementwise); output may be input1 or input2. */
void qgc_mul_s8(const qgc_mul_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
/** Multiply with numpy broadcasting (TFLite's BroadcastMul6DSlow). */
void qgc_mul_broadcast_s8(const qgc_mul_params *p, const qgc_broadcast_walk *w, const int8_t *input1, const int8_t *input2,
                          int8_t *output);
/** The same add with each input's rescaling read from a table: lut1[q + 128] is input 1's value
 * q rescaled (offset, left shift, requantization), lut2 likewise; the output requantization is
 * computed. Same bytes as qgc_add_s8. */
void qgc_add_lut_s8(const qgc_add_params *p, const int32_t *lut1, const int32_t *lut2, const int8_t *input1, const int8_t *input2,
                    int8_t *output);
void qgc_max_pool_s8(const qgc_pool_params *p, const int8_t *input, int8_t *output);
void qgc_avg_pool_s8(const qgc_pool_params *p, const int8_t *input, int8_t *output);
void qgc_softmax_s8(const qgc_softmax_params *p, const int8_t *input, int8_t *output);
void qgc_concat_s8(const qgc_concat_params *p, const int8_t *src, int8_t *dst);
/** Clamp; output may be the input. */
void qgc_clamp_s8(const int8_t *input, int8_t *output, int32_t size, int32_t act_min, int32_t act_max);
/** An elementwise function of one int8 value from its table: output[i] = table[input[i] + 128]
 * (Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu: the table holds the interpreter's value for
 * every int8 input). Output may be the input. */
void qgc_lut_s8(const int8_t *table, const int8_t *input, int8_t *output, int32_t size);
/** PRelu (see qgc_prelu_params); output may be the input. */
void qgc_prelu_s8(const qgc_prelu_params *p, const int8_t *slope, const int8_t *input, int8_t *output);
/** Mean over the middle axis (see qgc_reduce_params). */
void qgc_mean_s8(const qgc_reduce_params *p, const int8_t *input, int8_t *output);
/** Maximum over the middle axis (scale and zero point kept). */
void qgc_reduce_max_s8(const qgc_reduce_params *p, const int8_t *input, int8_t *output);
void qgc_copy_s8(const qgc_copy_params *p, const int8_t *src, int8_t *dst);
void qgc_pad_s8(const qgc_pad_params *p, const int32_t *maps, const int8_t *src, int8_t *dst);
/** Gathers the input of output row `row` (batch row / output_h, row % output_h) as
 * dst[x][ky][c] (width * kernel_h * input.c bytes): the window of output column ox is then the
 * kernel_w * kernel_h * input.c contiguous bytes from x = ox * stride_w, in (kx, ky, c) order,
 * ready for a matrix multiplication with weights in [C_out, kW, kH, C_in] order. */
void qgc_gather_rows_s8(const qgc_rows_params *p, int32_t row, const int8_t *input, int8_t *dst);

/** float -> int8 (ONNX QuantizeLinear: x / scale in float, round half to even, + zero point,
 * saturate; NaN gives the zero point), destination in order, source strided as qgc_copy_s8. */
void qgc_quantize_f32(const qgc_copy_params *p, const float *src, int8_t *dst, float scale, int32_t zero_point);
/** int8 -> float: (q - zero point) * scale, destination in order, source strided. */
void qgc_dequantize_f32(const qgc_copy_params *p, const int8_t *src, float *dst, float scale, int32_t zero_point);

/*
 * Float kernels, for the nodes the quantizer kept in float (between a dequantize and a quantize
 * step). They compute what qgc's float interpreter computes (ONNX semantics), in float32, with
 * products and sums not contracted into fused multiply-adds; they need the C math library (-lm).
 * Tensors are row-major float arrays unless said otherwise.
 */

/** The elementwise functions of qgc_unary_f32. */
enum
{
    QGC_F32_SIGMOID, QGC_F32_TANH, QGC_F32_HARD_SIGMOID, QGC_F32_HARD_SWISH, QGC_F32_LEAKY_RELU, QGC_F32_RELU, QGC_F32_EXP,
    QGC_F32_ERF, QGC_F32_GELU, QGC_F32_GELU_TANH, QGC_F32_ABS, QGC_F32_NEG, QGC_F32_SQRT, QGC_F32_RECIPROCAL
};

/** The operators of qgc_binary_f32. */
enum
{
    QGC_F32_ADD, QGC_F32_SUB, QGC_F32_MUL, QGC_F32_DIV
};

/** A broadcast binary op over the output's dims: the element of the output at index i reads a at
 * sum i[d] * a_strides[d] and b likewise (stride 0 along a broadcast dim). */
typedef struct
{
    int32_t rank;
    int32_t dims[QGC_MAX_RANK];
    int32_t a_strides[QGC_MAX_RANK];
    int32_t b_strides[QGC_MAX_RANK];
} qgc_broadcast_params;

/** y[i] = f(x[i]) for `size` elements (alpha, beta: HardSigmoid's, LeakyRelu's alpha); y may be x. */
void qgc_unary_f32(int32_t op, float alpha, float beta, int32_t size, const float *x, float *y);
/** y = a op b with numpy broadcasting. */
void qgc_binary_f32(int32_t op, const qgc_broadcast_params *p, const float *a, const float *b, float *y);
/** Clamps y[0..size) to [lo, hi] in place (a Relu/Clip fused into a float node). */
void qgc_clamp_f32(float *y, int32_t size, float lo, float hi);
/** LayerNormalization of `outer` rows of `inner` elements: (x - mean) / sqrt(var + epsilon) *
 * scale[i] + bias[i] (bias may be NULL). */
void qgc_layer_norm_f32(int32_t outer, int32_t inner, float epsilon, const float *x, const float *scale, const float *bias, float *y);
/** Softmax over `len` elements spaced `inner` apart, for each of outer * inner groups. */
void qgc_softmax_f32(int32_t outer, int32_t len, int32_t inner, const float *x, float *y);
/** Mean over `len` elements spaced `inner` apart: y has outer * inner elements. */
void qgc_reduce_mean_f32(int32_t outer, int32_t len, int32_t inner, const float *x, float *y);
/** y[b][o] = sum_k x[b][k] * w[o][k] + bias[o] (bias may be NULL). */
void qgc_fully_connected_f32(int32_t batches, int32_t in_features, int32_t out_features, const float *x, const float *w, const float *bias,
                             float *y);
/** The strided copy of qgc_copy_s8 on float elements. */
void qgc_copy_f32(const qgc_copy_params *p, const float *src, float *dst);

#ifdef __cplusplus
}
#endif

#endif /* QGC_KERNELS_H */
