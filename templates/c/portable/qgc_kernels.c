/*
 * qgc portable int8 kernels with arithmetic (conv, fully connected, add, pooling, softmax; int8 or
 * packed int4 weights): see
 * qgc_kernels.h. Every function mirrors the matching kernel of qgc's integer interpreter
 * (src/interp/int8/) and CMSIS-NN's default build.
 */
#include "qgc_kernels.h"

#include "qgc_math.h"

int32_t qgc_requantize(int32_t value, int32_t multiplier, int32_t shift)
{
    return qgc_requantize_inline(value, multiplier, shift);
}

static int32_t in_range(int32_t v, int32_t size)
{
    return v >= 0 && v < size;
}

void qgc_conv_s8(const qgc_conv_params *p, const int32_t *mult, const int32_t *shift, const int8_t *input,
                 const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const qgc_window *w = &p->window;
    const int32_t in_per_group = p->input.c / p->groups;
    const int32_t out_per_group = p->output.c / p->groups;
    int32_t b, oy, ox, m, ky, kx, ci;
    for (b = 0; b < p->output.n; b++)
    {
        const int8_t *in_b = input + (int32_t)b * p->input.h * p->input.w * p->input.c;
        for (oy = 0; oy < p->output.h; oy++)
        {
            for (ox = 0; ox < p->output.w; ox++)
            {
                for (m = 0; m < p->output.c; m++)
                {
                    const int32_t g = m / out_per_group;
                    const int8_t *f = filter + m * w->kernel_h * w->kernel_w * in_per_group;
                    uint32_t acc = bias ? (uint32_t)bias[m] : 0u;
                    int32_t v;
                    for (ky = 0; ky < w->kernel_h; ky++)
                    {
                        const int32_t iy = oy * w->stride_h - w->pad_h + ky * w->dilation_h;
                        for (kx = 0; kx < w->kernel_w; kx++)
                        {
                            const int32_t ix = ox * w->stride_w - w->pad_w + kx * w->dilation_w;
                            const int8_t *fk = f + (ky * w->kernel_w + kx) * in_per_group;
                            const int8_t *x;
                            if (!in_range(iy, p->input.h) || !in_range(ix, p->input.w))
                            {
                                continue; /* padding: x - zero point = 0 */
                            }
                            x = in_b + (iy * p->input.w + ix) * p->input.c + g * in_per_group;
                            for (ci = 0; ci < in_per_group; ci++)
                            {
                                acc += (uint32_t)(((int32_t)x[ci] + p->input_offset) * (int32_t)fk[ci]);
                            }
                        }
                    }
                    v = qgc_requantize_inline((int32_t)acc, mult[m], shift[m]) + p->output_offset;
                    *output++ = (int8_t)clamp_i32(v, p->act_min, p->act_max);
                }
            }
        }
    }
}

void qgc_fully_connected_s8(const qgc_fc_params *p, const int32_t *mult, const int32_t *shift, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, int8_t *output)
{
    int32_t b, m, k;
    for (b = 0; b < p->batches; b++)
    {
        const int8_t *x = input + b * p->in_features;
        for (m = 0; m < p->out_features; m++)
        {
            const int8_t *w = weights + m * p->in_features;
            const int32_t q = p->per_channel ? m : 0;
            uint32_t acc = bias ? (uint32_t)bias[m] : 0u;
            int32_t v;
            for (k = 0; k < p->in_features; k++)
            {
                acc += (uint32_t)(((int32_t)x[k] + p->input_offset) * (int32_t)w[k]);
            }
            v = qgc_requantize_inline((int32_t)acc, mult[q], shift[q]) + p->output_offset;
            *output++ = (int8_t)clamp_i32(v, p->act_min, p->act_max);
        }
    }
}

/* Weight i of 4-bit values packed two per byte, low nibble first (CMSIS-NN's _s4 packing). */
static int32_t s4_at(const int8_t *packed, int32_t i)
{
    const int32_t nibble = ((int32_t)(uint8_t)packed[i >> 1] >> ((i & 1) * 4)) & 0xF;
    return nibble >= 8 ? nibble - 16 : nibble;
}

/* The s4 kernels are the s8 ones with the weight read through s4_at (kept apart so that the s8
 * loops stay as the compiler optimizes them best). */
void qgc_conv_s4(const qgc_conv_params *p, const int32_t *mult, const int32_t *shift, const int8_t *input,
                 const int8_t *filter, const int32_t *bias, int8_t *output)
{
    const qgc_window *w = &p->window;
    const int32_t in_per_group = p->input.c / p->groups;
    const int32_t out_per_group = p->output.c / p->groups;
    int32_t b, oy, ox, m, ky, kx, ci;
    for (b = 0; b < p->output.n; b++)
    {
        const int8_t *in_b = input + (int32_t)b * p->input.h * p->input.w * p->input.c;
        for (oy = 0; oy < p->output.h; oy++)
        {
            for (ox = 0; ox < p->output.w; ox++)
            {
                for (m = 0; m < p->output.c; m++)
                {
                    const int32_t g = m / out_per_group;
                    const int32_t f = m * w->kernel_h * w->kernel_w * in_per_group;
                    uint32_t acc = bias ? (uint32_t)bias[m] : 0u;
                    int32_t v;
                    for (ky = 0; ky < w->kernel_h; ky++)
                    {
                        const int32_t iy = oy * w->stride_h - w->pad_h + ky * w->dilation_h;
                        for (kx = 0; kx < w->kernel_w; kx++)
                        {
                            const int32_t ix = ox * w->stride_w - w->pad_w + kx * w->dilation_w;
                            const int32_t fk = f + (ky * w->kernel_w + kx) * in_per_group;
                            const int8_t *x;
                            if (!in_range(iy, p->input.h) || !in_range(ix, p->input.w))
                            {
                                continue; /* padding: x - zero point = 0 */
                            }
                            x = in_b + (iy * p->input.w + ix) * p->input.c + g * in_per_group;
                            for (ci = 0; ci < in_per_group; ci++)
                            {
                                acc += (uint32_t)(((int32_t)x[ci] + p->input_offset) * s4_at(filter, fk + ci));
                            }
                        }
                    }
                    v = qgc_requantize_inline((int32_t)acc, mult[m], shift[m]) + p->output_offset;
                    *output++ = (int8_t)clamp_i32(v, p->act_min, p->act_max);
                }
            }
        }
    }
}

void qgc_fully_connected_s4(const qgc_fc_params *p, const int32_t *mult, const int32_t *shift, const int8_t *input,
                            const int8_t *weights, const int32_t *bias, int8_t *output)
{
    int32_t b, m, k;
    for (b = 0; b < p->batches; b++)
    {
        const int8_t *x = input + b * p->in_features;
        for (m = 0; m < p->out_features; m++)
        {
            const int32_t w = m * p->in_features;
            const int32_t q = p->per_channel ? m : 0;
            uint32_t acc = bias ? (uint32_t)bias[m] : 0u;
            int32_t v;
            for (k = 0; k < p->in_features; k++)
            {
                acc += (uint32_t)(((int32_t)x[k] + p->input_offset) * s4_at(weights, w + k));
            }
            v = qgc_requantize_inline((int32_t)acc, mult[q], shift[q]) + p->output_offset;
            *output++ = (int8_t)clamp_i32(v, p->act_min, p->act_max);
        }
    }
}

void qgc_add_s8(const qgc_add_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; i++)
    {
        const int32_t a = qgc_requantize_inline(shift_left((int32_t)input1[i] + p->input1_offset, p->left_shift), p->input1_mult,
                                         p->input1_shift);
        const int32_t b = qgc_requantize_inline(shift_left((int32_t)input2[i] + p->input2_offset, p->left_shift), p->input2_mult,
                                         p->input2_shift);
        const int32_t v = qgc_requantize_inline(wrap_add(a, b), p->output_mult, p->output_shift) + p->output_offset;
        output[i] = (int8_t)clamp_i32(v, p->act_min, p->act_max);
    }
}

static int32_t add_one(const qgc_add_params *p, int32_t x1, int32_t x2)
{
    const int32_t a = qgc_requantize_inline(shift_left(x1 + p->input1_offset, p->left_shift), p->input1_mult, p->input1_shift);
    const int32_t b = qgc_requantize_inline(shift_left(x2 + p->input2_offset, p->left_shift), p->input2_mult, p->input2_shift);
    const int32_t v = qgc_requantize_inline(wrap_add(a, b), p->output_mult, p->output_shift) + p->output_offset;
    return clamp_i32(v, p->act_min, p->act_max);
}

static int32_t mul_one(const qgc_mul_params *p, int32_t x1, int32_t x2)
{
    const int32_t v = qgc_requantize_inline((x1 + p->input1_offset) * (x2 + p->input2_offset), p->output_mult, p->output_shift) +
                      p->output_offset;
    return clamp_i32(v, p->act_min, p->act_max);
}

/** Rows of the broadcast walk: everything but the innermost axis. */
static int32_t walk_rows(const qgc_broadcast_walk *w)
{
    int32_t rows = 1, k;
    for (k = 0; k < w->rank - 1; k++)
    {
        rows *= w->dims[k];
    }
    return rows;
}

/** Moves the operand offsets to the next row: the outer axes count like an odometer, each
 * moving the offsets by its strides and back when it wraps. */
static void walk_next_row(const qgc_broadcast_walk *w, int32_t *idx, int32_t *o1, int32_t *o2)
{
    int32_t k;
    for (k = w->rank - 2; k >= 0; k--)
    {
        *o1 += w->strides1[k];
        *o2 += w->strides2[k];
        if (++idx[k] < w->dims[k])
        {
            return;
        }
        *o1 -= w->dims[k] * w->strides1[k];
        *o2 -= w->dims[k] * w->strides2[k];
        idx[k] = 0;
    }
}

void qgc_add_broadcast_s8(const qgc_add_params *p, const qgc_broadcast_walk *w, const int8_t *input1, const int8_t *input2,
                          int8_t *output)
{
    const int32_t last = w->rank - 1, inner = w->dims[last], s1 = w->strides1[last], s2 = w->strides2[last];
    const int32_t rows = walk_rows(w);
    int32_t idx[QGC_MAX_RANK] = {0};
    int32_t row, i, o1 = 0, o2 = 0;
    for (row = 0; row < rows; row++)
    {
        for (i = 0; i < inner; i++)
        {
            *output++ = (int8_t)add_one(p, input1[o1 + i * s1], input2[o2 + i * s2]);
        }
        walk_next_row(w, idx, &o1, &o2);
    }
}

void qgc_mul_s8(const qgc_mul_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    int32_t i;
    for (i = 0; i < p->size; i++)
    {
        output[i] = (int8_t)mul_one(p, input1[i], input2[i]);
    }
}

void qgc_mul_broadcast_s8(const qgc_mul_params *p, const qgc_broadcast_walk *w, const int8_t *input1, const int8_t *input2,
                          int8_t *output)
{
    const int32_t last = w->rank - 1, inner = w->dims[last], s1 = w->strides1[last], s2 = w->strides2[last];
    const int32_t rows = walk_rows(w);
    int32_t idx[QGC_MAX_RANK] = {0};
    int32_t row, i, o1 = 0, o2 = 0;
    for (row = 0; row < rows; row++)
    {
        for (i = 0; i < inner; i++)
        {
            *output++ = (int8_t)mul_one(p, input1[o1 + i * s1], input2[o2 + i * s2]);
        }
        walk_next_row(w, idx, &o1, &o2);
    }
}

void qgc_batch_matmul_s8(const qgc_batch_matmul_params *p, const qgc_broadcast_walk *w, const int8_t *lhs, const int8_t *rhs,
                         int8_t *output)
{
    const int32_t batches = walk_rows(w);
    int32_t idx[QGC_MAX_RANK] = {0};
    int32_t t, i, j, l, o1 = 0, o2 = 0;
    for (t = 0; t < batches; t++)
    {
        for (i = 0; i < p->m; i++)
        {
            const int8_t *a = lhs + o1 + i * p->k;
            for (j = 0; j < p->n; j++)
            {
                const int8_t *b = rhs + o2 + j;
                uint32_t acc = 0u;
                int32_t v;
                for (l = 0; l < p->k; l++)
                {
                    acc += (uint32_t)(((int32_t)a[l] + p->lhs_offset) * ((int32_t)b[l * p->n] + p->rhs_offset));
                }
                v = qgc_requantize_inline((int32_t)acc, p->output_mult, p->output_shift) + p->output_offset;
                *output++ = (int8_t)clamp_i32(v, p->act_min, p->act_max);
            }
        }
        walk_next_row(w, idx, &o1, &o2);
    }
}

void qgc_add_lut_s8(const qgc_add_params *p, const int32_t *lut1, const int32_t *lut2, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    /* Locals: the int8 stores may alias *p, so the compiler would reload every field. */
    const int32_t size = p->size, mult = p->output_mult, shift = p->output_shift, offset = p->output_offset;
    const int32_t lo = p->act_min, hi = p->act_max;
    const int32_t *t1 = lut1 + 128, *t2 = lut2 + 128;
    int32_t i;
    for (i = 0; i < size; i++)
    {
        const int32_t sum = wrap_add(t1[input1[i]], t2[input2[i]]);
        const int32_t v = qgc_requantize_inline(sum, mult, shift) + offset;
        output[i] = (int8_t)clamp_i32(v, lo, hi);
    }
}

/* Runs `op` over every window of a pool: 0 = max, 1 = average. */
static void pool_s8(const qgc_pool_params *p, const int8_t *input, int8_t *output, int average)
{
    const qgc_window *w = &p->window;
    const int32_t c_n = p->input.c;
    int32_t b, oy, ox, c, ky, kx;
    for (b = 0; b < p->output.n; b++)
    {
        const int8_t *in_b = input + b * p->input.h * p->input.w * c_n;
        for (oy = 0; oy < p->output.h; oy++)
        {
            for (ox = 0; ox < p->output.w; ox++)
            {
                for (c = 0; c < c_n; c++)
                {
                    int32_t acc = average ? 0 : -128;
                    int32_t count = 0;
                    int32_t v;
                    for (ky = 0; ky < w->kernel_h; ky++)
                    {
                        const int32_t iy = oy * w->stride_h - w->pad_h + ky * w->dilation_h;
                        for (kx = 0; kx < w->kernel_w; kx++)
                        {
                            const int32_t ix = ox * w->stride_w - w->pad_w + kx * w->dilation_w;
                            int32_t x;
                            if (!in_range(iy, p->input.h) || !in_range(ix, p->input.w))
                            {
                                continue;
                            }
                            x = in_b[(iy * p->input.w + ix) * c_n + c];
                            if (average)
                            {
                                acc += x;
                            }
                            else if (x > acc)
                            {
                                acc = x;
                            }
                            count++;
                        }
                    }
                    if (average)
                    {
                        const int32_t half = count / 2;
                        v = count == 0 ? 0 : (acc > 0 ? acc + half : acc - half) / count;
                    }
                    else
                    {
                        v = acc;
                    }
                    *output++ = (int8_t)clamp_i32(v, p->act_min, p->act_max);
                }
            }
        }
    }
}

void qgc_max_pool_s8(const qgc_pool_params *p, const int8_t *input, int8_t *output)
{
    pool_s8(p, input, output, 0);
}

void qgc_avg_pool_s8(const qgc_pool_params *p, const int8_t *input, int8_t *output)
{
    pool_s8(p, input, output, 1);
}

/* arm_nn_exp_on_negative_values: exp(val) for val <= 0 in Q5.26, result in Q0.31. */
static int32_t exp_on_negative(int32_t val)
{
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t val_mod_minus_quarter = (val & ((1 << 24) - 1)) - (1 << 24);
    const int32_t remainder = wrap_sub(val_mod_minus_quarter, val);
    const int32_t x = wrap_add(shift_left(val_mod_minus_quarter, 5), 1 << 28);
    const int32_t x2 = mul_sat(x, x);
    const int32_t op1 = wrap_add(divide_by_pot(mul_sat(x2, x2), 2), mul_sat(x2, x));
    const int32_t op2 = wrap_add(x, divide_by_pot(wrap_add(mul_sat(op1, 715827883), x2), 1));
    int32_t result = wrap_add(1895147668, mul_sat(1895147668, op2));
    int32_t i;
    for (i = 0; i < 7; i++)
    {
        if (remainder & (1 << (24 + i)))
        {
            result = mul_sat(result, barrel[i]);
        }
    }
    return val == 0 ? QGC_I32_MAX : result;
}

/* arm_nn_one_over_one_plus_x_for_x_in_0_1. */
static int32_t one_over_one_plus_x(int32_t val)
{
    const int64_t sum = (int64_t)val + (int64_t)QGC_I32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = wrap_add(1515870810, mul_sat(half_denominator, -1010580540));
    int32_t i;
    for (i = 0; i < 3; i++)
    {
        x = wrap_add(x, mul_pow2(mul_sat(x, wrap_sub(1 << 29, mul_sat(half_denominator, x))), 2));
    }
    return mul_pow2(x, 1);
}

static int32_t count_leading_zeros(uint32_t v)
{
    int32_t n = 0;
    if (v == 0u)
    {
        return 32;
    }
    while ((v & 0x80000000u) == 0u)
    {
        v <<= 1;
        n++;
    }
    return n;
}

#define QGC_SOFTMAX_ACCUM_BITS 12

void qgc_softmax_s8(const qgc_softmax_params *p, const int8_t *input, int8_t *output)
{
    const int64_t scale = (int64_t)1 << p->shift;
    int32_t r, c;
    for (r = 0; r < p->rows; r++)
    {
        const int8_t *in = input + r * p->row_size;
        int8_t *out = output + r * p->row_size;
        int32_t max = in[0];
        int32_t sum = 0;
        int32_t headroom, shifted_scale, bits_over_unit;
        for (c = 1; c < p->row_size; c++)
        {
            if (in[c] > max)
            {
                max = in[c];
            }
        }
        for (c = 0; c < p->row_size; c++)
        {
            const int32_t diff = in[c] - max;
            if (diff >= p->diff_min)
            {
                const int32_t e = exp_on_negative(mul_sat((int32_t)(diff * scale), p->mult));
                sum = wrap_add(sum, divide_by_pot(e, QGC_SOFTMAX_ACCUM_BITS));
            }
        }
        headroom = count_leading_zeros((uint32_t)sum);
        shifted_scale = one_over_one_plus_x(
            (int32_t)((sum > 0 ? ((uint32_t)sum << headroom) : 0u) - 0x80000000u));
        bits_over_unit = QGC_SOFTMAX_ACCUM_BITS - headroom + 23;
        for (c = 0; c < p->row_size; c++)
        {
            const int32_t diff = in[c] - max;
            if (diff >= p->diff_min)
            {
                const int32_t e = exp_on_negative(mul_sat((int32_t)(diff * scale), p->mult));
                const int32_t v = divide_by_pot(mul_sat(shifted_scale, e), bits_over_unit) - 128;
                out[c] = (int8_t)clamp_i32(v, -128, 127);
            }
            else
            {
                out[c] = -128;
            }
        }
    }
}

void qgc_lut_s8(const int8_t *table, const int8_t *input, int8_t *output, int32_t size)
{
    const int8_t *t = table + 128;
    int32_t i;
    for (i = 0; i < size; i++)
    {
        output[i] = t[input[i]];
    }
}

void qgc_prelu_s8(const qgc_prelu_params *p, const int8_t *slope, const int8_t *input, int8_t *output)
{
    const int32_t size = p->size, channels = p->channels, in_off = p->input_offset, slope_off = p->slope_offset, out_off = p->output_offset;
    const int32_t m1 = p->identity_mult, s1 = p->identity_shift, m2 = p->negative_mult, s2 = p->negative_shift;
    int32_t i, c = 0;
    for (i = 0; i < size; i++)
    {
        const int32_t x = input[i] + in_off;
        const int32_t y = x >= 0 ? qgc_requantize_inline(x, m1, s1) : qgc_requantize_inline(x * (slope[c] + slope_off), m2, s2);
        output[i] = (int8_t)clamp_i32(y + out_off, -128, 127);
        if (++c == channels)
        {
            c = 0;
        }
    }
}

void qgc_mean_s8(const qgc_reduce_params *p, const int8_t *input, int8_t *output)
{
    const int32_t reduce = p->reduce, inner = p->inner;
    const int32_t bias = p->input_offset * reduce; /* the zero point, once per summed element */
    int32_t o, k, j;
    for (o = 0; o < p->outer; o++)
    {
        const int8_t *in = input + o * reduce * inner;
        for (j = 0; j < inner; j++)
        {
            int32_t sum = bias;
            for (k = 0; k < reduce; k++)
            {
                sum += in[k * inner + j];
            }
            output[o * inner + j] = (int8_t)clamp_i32(qgc_requantize_inline(sum, p->mult, p->shift) + p->output_offset, -128, 127);
        }
    }
}

void qgc_reduce_max_s8(const qgc_reduce_params *p, const int8_t *input, int8_t *output)
{
    const int32_t reduce = p->reduce, inner = p->inner;
    int32_t o, k, j;
    for (o = 0; o < p->outer; o++)
    {
        const int8_t *in = input + o * reduce * inner;
        for (j = 0; j < inner; j++)
        {
            int8_t best = in[j];
            for (k = 1; k < reduce; k++)
            {
                const int8_t v = in[k * inner + j];
                best = v > best ? v : best;
            }
            output[o * inner + j] = best;
        }
    }
}
