/*
 * Test driver: runs CMSIS-NN's s16 kernels (int16 activations, int8 weights, int64 bias) on
 * cases read from stdin as whitespace-separated integers; prints one line of int16 outputs (or
 * "error <status>") per case. Used by test/s16-kernels.test.ts. NHWC activations, OHWI conv
 * weights, [1, H, W, C_OUT] depthwise weights.
 *
 *   c n h w c_in c_out kh kw sw sh pw ph dw dh act_min act_max oh ow  mult[c_out] shift[c_out]
 *     input[n*h*w*c_in] filter[c_out*kh*kw*c_in] has_bias bias[c_out]     arm_convolve_wrapper_s16
 *   d ... the same fields, filter[kh*kw*c_out]                             arm_depthwise_conv_wrapper_s16
 *   f batches k m act_min act_max mult shift input[batches*k] filter[m*k] has_bias bias[m]
 *                                                                           arm_fully_connected_s16
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "arm_nnfunctions.h"

static int64_t next(void)
{
    int64_t v;
    if (scanf("%" SCNd64, &v) != 1)
    {
        fprintf(stderr, "cmsis-s16-driver: truncated input\n");
        exit(2);
    }
    return v;
}

static void *alloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p)
        exit(3);
    return p;
}

static int16_t *read_s16(int64_t n)
{
    int16_t *p = alloc((size_t)n, sizeof(int16_t));
    for (int64_t i = 0; i < n; i++)
        p[i] = (int16_t)next();
    return p;
}

static int8_t *read_s8(int64_t n)
{
    int8_t *p = alloc((size_t)n, sizeof(int8_t));
    for (int64_t i = 0; i < n; i++)
        p[i] = (int8_t)next();
    return p;
}

static int32_t *read_s32(int64_t n)
{
    int32_t *p = alloc((size_t)n, sizeof(int32_t));
    for (int64_t i = 0; i < n; i++)
        p[i] = (int32_t)next();
    return p;
}

static int64_t *read_bias(int64_t n)
{
    if (!next())
        return NULL;
    int64_t *p = alloc((size_t)n, sizeof(int64_t));
    for (int64_t i = 0; i < n; i++)
        p[i] = next();
    return p;
}

static void print(arm_cmsis_nn_status status, const int16_t *out, int64_t n)
{
    if (status != ARM_CMSIS_NN_SUCCESS)
    {
        printf("error %d\n", (int)status);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        printf(i ? " %d" : "%d", out[i]);
    printf("\n");
}

static void conv(int depthwise)
{
    const int32_t n = (int32_t)next(), h = (int32_t)next(), w = (int32_t)next(), c_in = (int32_t)next(), c_out = (int32_t)next();
    const int32_t kh = (int32_t)next(), kw = (int32_t)next(), sw = (int32_t)next(), sh = (int32_t)next();
    const int32_t pw = (int32_t)next(), ph = (int32_t)next(), dw = (int32_t)next(), dh = (int32_t)next();
    const int32_t act_min = (int32_t)next(), act_max = (int32_t)next(), oh = (int32_t)next(), ow = (int32_t)next();
    int32_t *mult = read_s32(c_out);
    int32_t *shift = read_s32(c_out);
    int16_t *input = read_s16((int64_t)n * h * w * c_in);
    const int64_t filter_count = depthwise ? (int64_t)kh * kw * c_out : (int64_t)c_out * kh * kw * c_in;
    int8_t *filter = read_s8(filter_count);
    int64_t *bias = read_bias(c_out);
    const cmsis_nn_dims in_dims = {n, h, w, c_in};
    const cmsis_nn_dims filter_dims = depthwise ? (cmsis_nn_dims){1, kh, kw, c_out} : (cmsis_nn_dims){c_out, kh, kw, c_in};
    const cmsis_nn_dims bias_dims = {1, 1, 1, c_out};
    const cmsis_nn_dims out_dims = {n, oh, ow, c_out};
    const cmsis_nn_per_channel_quant_params quant = {mult, shift};
    const int64_t out_count = (int64_t)n * oh * ow * c_out;
    int16_t *out = alloc((size_t)out_count, sizeof(int16_t));
    arm_cmsis_nn_status status;
    cmsis_nn_context ctx = {NULL, 0};
    if (depthwise)
    {
        const cmsis_nn_dw_conv_params params = {0, 0, c_out / c_in, {sw, sh}, {pw, ph}, {dw, dh}, {act_min, act_max}};
        ctx.size = arm_depthwise_conv_wrapper_s16_get_buffer_size(&params, &in_dims, &filter_dims, &out_dims);
        ctx.buf = ctx.size > 0 ? alloc((size_t)ctx.size, 1) : NULL;
        status = arm_depthwise_conv_wrapper_s16(&ctx, &params, &quant, &in_dims, input, &filter_dims, filter, &bias_dims, bias, &out_dims, out);
    }
    else
    {
        const cmsis_nn_conv_params params = {0, 0, {sw, sh}, {pw, ph}, {dw, dh}, {act_min, act_max}};
        const cmsis_nn_bias_data bias_data = {bias, false};
        ctx.size = arm_convolve_wrapper_s16_get_buffer_size(&params, &in_dims, &filter_dims, &out_dims);
        ctx.buf = ctx.size > 0 ? alloc((size_t)ctx.size, 1) : NULL;
        status = arm_convolve_wrapper_s16(&ctx, &params, &quant, &in_dims, input, &filter_dims, filter, &bias_dims, &bias_data, &out_dims, out);
    }
    print(status, out, out_count);
    free(ctx.buf);
    free(mult);
    free(shift);
    free(input);
    free(filter);
    free(bias);
    free(out);
}

static void fully_connected(void)
{
    const int32_t batches = (int32_t)next(), k = (int32_t)next(), m = (int32_t)next();
    const int32_t act_min = (int32_t)next(), act_max = (int32_t)next();
    const int32_t mult = (int32_t)next(), shift = (int32_t)next();
    int16_t *input = read_s16((int64_t)batches * k);
    int8_t *filter = read_s8((int64_t)m * k);
    int64_t *bias = read_bias(m);
    const cmsis_nn_fc_params params = {0, 0, 0, {act_min, act_max}};
    const cmsis_nn_per_tensor_quant_params quant = {mult, shift};
    const cmsis_nn_dims in_dims = {batches, 1, 1, k};
    const cmsis_nn_dims filter_dims = {k, 1, 1, m};
    const cmsis_nn_dims bias_dims = {1, 1, 1, m};
    const cmsis_nn_dims out_dims = {batches, 1, 1, m};
    int16_t *out = alloc((size_t)batches * (size_t)m, sizeof(int16_t));
    cmsis_nn_context ctx = {NULL, 0};
    ctx.size = arm_fully_connected_s16_get_buffer_size(&filter_dims);
    ctx.buf = ctx.size > 0 ? alloc((size_t)ctx.size, 1) : NULL;
    print(arm_fully_connected_s16(&ctx, &params, &quant, &in_dims, input, &filter_dims, filter, &bias_dims, bias, &out_dims, out), out,
          (int64_t)batches * m);
    free(ctx.buf);
    free(input);
    free(filter);
    free(bias);
    free(out);
}

int main(void)
{
    char op;
    while (scanf(" %c", &op) == 1)
    {
        if (op == 'c' || op == 'd')
            conv(op == 'd');
        else if (op == 'f')
            fully_connected();
        else
            return 4;
    }
    return 0;
}
