/*
 * qgc portable data-movement kernels (concat, clamp, strided copy, pad, convolution row gather) and the float boundary
 * (quantize, dequantize): see qgc_kernels.h.
 */
#include "qgc_kernels.h"

#include <string.h>

#include "qgc_math.h"

void qgc_concat_s8(const qgc_concat_params *p, const int8_t *src, int8_t *dst)
{
    int32_t o, j;
    for (o = 0; o < p->outer; o++)
    {
        const int8_t *s = src + o * p->src_row;
        int8_t *d = dst + o * p->dst_row;
        if (p->copy)
        {
            memcpy(d, s, (size_t)p->src_row);
            continue;
        }
        for (j = 0; j < p->src_row; j++)
        {
            const int32_t v = qgc_requantize_inline((int32_t)s[j] + p->input_offset, p->mult, p->shift) + p->output_offset;
            d[j] = (int8_t)clamp_i32(v, -128, 127);
        }
    }
}

void qgc_clamp_s8(const int8_t *input, int8_t *output, int32_t size, int32_t act_min, int32_t act_max)
{
    int32_t i;
    for (i = 0; i < size; i++)
    {
        output[i] = (int8_t)clamp_i32(input[i], act_min, act_max);
    }
}

/* Advances the odometer idx over dims[0..rank-1) (all but the innermost dim); returns the
 * source offset change. */
static int32_t next_row(int32_t rank, const int32_t *dims, const int32_t *strides, int32_t *idx)
{
    int32_t k, delta = 0;
    for (k = rank - 2; k >= 0; k--)
    {
        delta += strides[k];
        if (++idx[k] < dims[k])
        {
            break;
        }
        delta -= strides[k] * dims[k];
        idx[k] = 0;
    }
    return delta;
}

static int32_t total_of(int32_t rank, const int32_t *dims)
{
    int32_t k, total = 1;
    for (k = 0; k < rank; k++)
    {
        total *= dims[k];
    }
    return total;
}

void qgc_copy_s8(const qgc_copy_params *p, const int8_t *src, int8_t *dst)
{
    int32_t idx[QGC_MAX_RANK] = {0};
    const int32_t total = total_of(p->rank, p->dims);
    const int32_t inner = p->dims[p->rank - 1];
    const int32_t step = p->src_strides[p->rank - 1];
    int32_t o, i, off = 0;
    for (o = 0; o < total; o += inner)
    {
        if (step == 1)
        {
            memcpy(dst + o, src + off, (size_t)inner);
        }
        else
        {
            for (i = 0; i < inner; i++)
            {
                dst[o + i] = src[off + i * step];
            }
        }
        off += next_row(p->rank, p->dims, p->src_strides, idx);
    }
}

void qgc_pad_s8(const qgc_pad_params *p, const int32_t *maps, const int8_t *src, int8_t *dst)
{
    int32_t idx[QGC_MAX_RANK] = {0};
    int32_t base[QGC_MAX_RANK];
    const int32_t total = total_of(p->rank, p->dims);
    int32_t o, k;
    base[0] = 0;
    for (k = 1; k < p->rank; k++)
    {
        base[k] = base[k - 1] + p->dims[k - 1];
    }
    for (o = 0; o < total; o++)
    {
        int32_t off = 0;
        int32_t pad = 0;
        for (k = 0; k < p->rank; k++)
        {
            const int32_t j = maps[base[k] + idx[k]];
            if (j < 0)
            {
                pad = 1;
                break;
            }
            off += j * p->src_strides[k];
        }
        dst[o] = pad ? (int8_t)p->fill : src[off];
        for (k = p->rank - 1; k >= 0; k--)
        {
            if (++idx[k] < p->dims[k])
            {
                break;
            }
            idx[k] = 0;
        }
    }
}

/* Nearest integer, ties to even, for |v| <= 512. */
static int32_t round_half_even(float v)
{
    float fl = (float)(int32_t)v;
    float d;
    int32_t r;
    if (fl > v)
    {
        fl -= 1.0f;
    }
    d = v - fl;
    r = (int32_t)fl;
    if (d > 0.5f || (d == 0.5f && (r & 1) != 0))
    {
        r++;
    }
    return r;
}

void qgc_quantize_f32(const qgc_copy_params *p, const float *src, int8_t *dst, float scale, int32_t zero_point)
{
    int32_t idx[QGC_MAX_RANK] = {0};
    const int32_t total = total_of(p->rank, p->dims);
    const int32_t inner = p->dims[p->rank - 1];
    const int32_t step = p->src_strides[p->rank - 1];
    int32_t o, i, off = 0;
    for (o = 0; o < total; o += inner)
    {
        for (i = 0; i < inner; i++)
        {
            float q = src[off + i * step] / scale;
            int32_t v;
            if (q != q)
            {
                v = zero_point;
            }
            else
            {
                q = q > 512.0f ? 512.0f : (q < -512.0f ? -512.0f : q);
                v = round_half_even(q) + zero_point;
            }
            dst[o + i] = (int8_t)clamp_i32(v, -128, 127);
        }
        off += next_row(p->rank, p->dims, p->src_strides, idx);
    }
}

void qgc_dequantize_f32(const qgc_copy_params *p, const int8_t *src, float *dst, float scale, int32_t zero_point)
{
    int32_t idx[QGC_MAX_RANK] = {0};
    const int32_t total = total_of(p->rank, p->dims);
    const int32_t inner = p->dims[p->rank - 1];
    const int32_t step = p->src_strides[p->rank - 1];
    int32_t o, i, off = 0;
    for (o = 0; o < total; o += inner)
    {
        for (i = 0; i < inner; i++)
        {
            dst[o + i] = (float)((int32_t)src[off + i * step] - zero_point) * scale;
        }
        off += next_row(p->rank, p->dims, p->src_strides, idx);
    }
}

void qgc_gather_rows_s8(const qgc_rows_params *p, int32_t row, const int8_t *input, int8_t *dst)
{
    /* Locals: the int8 stores may alias *p, so the compiler would reload every field. */
    const int32_t c = p->input.c, in_h = p->input.h, in_w = p->input.w;
    const int32_t kernel_h = p->kernel_h, width = p->width, pad_left = p->pad_left;
    const int8_t fill = (int8_t)p->fill;
    const int32_t step = kernel_h * c;
    const int32_t b = row / p->output_h;
    const int32_t y0 = (row % p->output_h) * p->stride_h - p->pad_top;
    const int32_t dilation = p->dilation_h;
    /* Columns [x0, x1) of the gathered width hold input columns 0.., the rest are padding. */
    const int32_t x0 = pad_left < width ? pad_left : width;
    const int32_t x1 = in_w + pad_left < width ? in_w + pad_left : width;
    int32_t ky, x, k;
    for (ky = 0; ky < kernel_h; ky++)
    {
        const int32_t iy = y0 + ky * dilation;
        int8_t *d = dst + ky * c;
        const int8_t *s;
        if (iy < 0 || iy >= in_h)
        {
            for (x = 0; x < width; x++, d += step)
            {
                memset(d, fill, (size_t)c);
            }
            continue;
        }
        for (x = 0; x < x0; x++, d += step)
        {
            memset(d, fill, (size_t)c);
        }
        s = input + (b * in_h + iy) * in_w * c; /* input column 0 = gathered column pad_left */
        if (c == 1)
        {
            for (; x < x1; x++, d += step)
            {
                *d = *s++;
            }
        }
        else
        {
            for (; x < x1; x++, d += step, s += c)
            {
                for (k = 0; k < c; k++)
                {
                    d[k] = s[k];
                }
            }
        }
        for (; x < width; x++, d += step)
        {
            memset(d, fill, (size_t)c);
        }
    }
}
