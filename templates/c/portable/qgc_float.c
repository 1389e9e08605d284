/*
 * qgc's float kernels, for the nodes the quantizer kept in float (see qgc_kernels.h). Written
 * next to the network only when it has such nodes; they need the C math library (-lm).
 */
#include "qgc_kernels.h"

#include <math.h>
#include <stddef.h>

/* Elements of a tensor of `rank` dims. */
static int32_t total_of(int32_t rank, const int32_t *dims)
{
    int32_t k, total = 1;
    for (k = 0; k < rank; k++)
    {
        total *= dims[k];
    }
    return total;
}

/* Advances the multi-index `idx` over all dims but the last; returns the source offset change. */
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

/*
 * Float kernels. Each follows qgc's float interpreter (src/interp/) formula for formula; the
 * interpreter computes in float64 and stores float32, these compute in float32, so results agree
 * to a few float32 steps. No fused multiply-add contraction: the result must not depend on -O or
 * on whether the core has an FMA instruction.
 */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

static float unary_f32(int32_t op, float alpha, float beta, float v)
{
    float t;
    switch (op)
    {
    case QGC_F32_SIGMOID:
        if (v >= 0.0f)
        {
            return 1.0f / (1.0f + expf(-v));
        }
        t = expf(v);
        return t / (1.0f + t);
    case QGC_F32_TANH:
        return tanhf(v);
    case QGC_F32_HARD_SIGMOID:
        t = alpha * v + beta;
        return t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    case QGC_F32_HARD_SWISH:
        t = v / 6.0f + 0.5f;
        return v * (t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t));
    case QGC_F32_LEAKY_RELU:
        return v >= 0.0f ? v : v * alpha;
    case QGC_F32_RELU:
        return v > 0.0f ? v : 0.0f;
    case QGC_F32_EXP:
        return expf(v);
    case QGC_F32_ERF:
        return erff(v);
    case QGC_F32_GELU:
        return 0.5f * v * (1.0f + erff(v / 1.41421356f));
    case QGC_F32_GELU_TANH:
        return 0.5f * v * (1.0f + tanhf(0.797884561f * (v + 0.044715f * v * v * v)));
    case QGC_F32_ABS:
        return fabsf(v);
    case QGC_F32_NEG:
        return -v;
    case QGC_F32_SQRT:
        return sqrtf(v);
    default: /* QGC_F32_RECIPROCAL */
        return 1.0f / v;
    }
}

void qgc_unary_f32(int32_t op, float alpha, float beta, int32_t size, const float *x, float *y)
{
    int32_t i;
    for (i = 0; i < size; i++)
    {
        y[i] = unary_f32(op, alpha, beta, x[i]);
    }
}

void qgc_binary_f32(int32_t op, const qgc_broadcast_params *p, const float *a, const float *b, float *y)
{
    int32_t idx[QGC_MAX_RANK] = {0};
    const int32_t total = total_of(p->rank, p->dims);
    int32_t o, k, ia = 0, ib = 0;
    for (o = 0; o < total; o++)
    {
        const float u = a[ia], v = b[ib];
        y[o] = op == QGC_F32_ADD ? u + v : op == QGC_F32_SUB ? u - v : op == QGC_F32_MUL ? u * v : u / v;
        for (k = p->rank - 1; k >= 0; k--)
        {
            ia += p->a_strides[k];
            ib += p->b_strides[k];
            if (++idx[k] < p->dims[k])
            {
                break;
            }
            ia -= p->a_strides[k] * p->dims[k];
            ib -= p->b_strides[k] * p->dims[k];
            idx[k] = 0;
        }
    }
}

void qgc_clamp_f32(float *y, int32_t size, float lo, float hi)
{
    int32_t i;
    for (i = 0; i < size; i++)
    {
        y[i] = y[i] < lo ? lo : (y[i] > hi ? hi : y[i]);
    }
}

void qgc_layer_norm_f32(int32_t outer, int32_t inner, float epsilon, const float *x, const float *scale, const float *bias, float *y)
{
    int32_t o, i;
    for (o = 0; o < outer; o++)
    {
        const float *xr = x + o * inner;
        float *yr = y + o * inner;
        float sum = 0.0f, var = 0.0f, mean, inv;
        for (i = 0; i < inner; i++)
        {
            sum += xr[i];
        }
        mean = sum / (float)inner;
        for (i = 0; i < inner; i++)
        {
            const float d = xr[i] - mean;
            var += d * d;
        }
        inv = 1.0f / sqrtf(var / (float)inner + epsilon);
        for (i = 0; i < inner; i++)
        {
            yr[i] = (xr[i] - mean) * inv * scale[i] + (bias != NULL ? bias[i] : 0.0f);
        }
    }
}

void qgc_softmax_f32(int32_t outer, int32_t len, int32_t inner, const float *x, float *y)
{
    int32_t o, s, k;
    for (o = 0; o < outer; o++)
    {
        for (s = 0; s < inner; s++)
        {
            const int32_t base = o * len * inner + s;
            float max = x[base], sum = 0.0f;
            for (k = 1; k < len; k++)
            {
                max = x[base + k * inner] > max ? x[base + k * inner] : max;
            }
            for (k = 0; k < len; k++)
            {
                const float e = expf(x[base + k * inner] - max);
                y[base + k * inner] = e;
                sum += e;
            }
            for (k = 0; k < len; k++)
            {
                y[base + k * inner] /= sum;
            }
        }
    }
}

void qgc_reduce_mean_f32(int32_t outer, int32_t len, int32_t inner, const float *x, float *y)
{
    int32_t o, s, k;
    for (o = 0; o < outer; o++)
    {
        for (s = 0; s < inner; s++)
        {
            float sum = 0.0f;
            for (k = 0; k < len; k++)
            {
                sum += x[(o * len + k) * inner + s];
            }
            y[o * inner + s] = sum / (float)len;
        }
    }
}

void qgc_fully_connected_f32(int32_t batches, int32_t in_features, int32_t out_features, const float *x, const float *w, const float *bias,
                             float *y)
{
    int32_t b, o, k;
    for (b = 0; b < batches; b++)
    {
        const float *xr = x + b * in_features;
        for (o = 0; o < out_features; o++)
        {
            const float *wr = w + o * in_features;
            float acc = 0.0f;
            for (k = 0; k < in_features; k++)
            {
                acc += xr[k] * wr[k];
            }
            y[b * out_features + o] = acc + (bias != NULL ? bias[o] : 0.0f);
        }
    }
}

void qgc_copy_f32(const qgc_copy_params *p, const float *src, float *dst)
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
            dst[o + i] = src[off + i * step];
        }
        off += next_row(p->rank, p->dims, p->src_strides, idx);
    }
}
