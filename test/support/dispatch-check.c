/*
 * Checks which geometries two CMSIS-NN kernels compute exactly, for test/c-backend-dispatch.test.ts:
 * for each record of input.bin (int32: kind, W, H, C, C_out, kernel_h, kernel_w, stride_w,
 * stride_h, pad_w, pad_h, out_w, out_h), runs
 *   kind 0: arm_depthwise_conv_3x3_s8 and the generic arm_depthwise_conv_s8 (reference),
 *   kind 1: arm_convolve_1_x_n_s8 and arm_convolve_s8 (reference),
 * on pseudo-random data whose input sits at the end of a buffer followed by bytes that are not
 * the zero point (so a read past the input changes the result), and prints one line per record:
 * "<status of the kernel> <1 if its output equals the reference, else 0>".
 */
#include <stdint.h>
#include <string.h>

#include "arm_nnfunctions.h"
#include "qgc_runtime.h"

#define MAX_IN 4096
#define TAIL 64

static int32_t rec[512][13];
static int8_t in_buf[MAX_IN + TAIL];
static int8_t w[4096];
static int32_t bias[64], mult[64], shift[64];
static int8_t out_ref[8192], out_k[8192];
static int32_t scratch[4096];
static uint32_t seed = 12345u;

static int8_t next_byte(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (int8_t)(seed >> 24);
}

int main(void)
{
    const long n = qgc_read_file("input.bin", rec, sizeof(rec)) / (long)sizeof(rec[0]);
    long i;
    int32_t k;
    for (k = 0; k < 64; k++)
    {
        bias[k] = (int32_t)next_byte() * 50;
        mult[k] = 1200000000 + (int32_t)next_byte() * 1000000;
        shift[k] = -7;
    }
    for (k = 0; k < (int32_t)sizeof(w); k++)
    {
        w[k] = next_byte();
    }
    for (i = 0; i < n; i++)
    {
        const int32_t *r = rec[i];
        const int32_t size = r[1] * r[2] * r[3];
        int8_t *in = in_buf + MAX_IN - size;
        const cmsis_nn_context ctx = {scratch, sizeof(scratch)};
        const cmsis_nn_dims in_d = {1, r[2], r[1], r[3]};
        const cmsis_nn_dims out_d = {1, r[12], r[11], r[4]};
        const cmsis_nn_dims bias_d = {1, 1, 1, r[4]};
        const cmsis_nn_per_channel_quant_params q = {mult, shift};
        const int32_t out_size = r[11] * r[12] * r[4];
        arm_cmsis_nn_status st;
        for (k = 0; k < MAX_IN + TAIL; k++)
        {
            in_buf[k] = k < MAX_IN ? next_byte() : (int8_t)(100 + k % 20);
        }
        memset(out_ref, 0x33, sizeof(out_ref));
        memset(out_k, 0x55, sizeof(out_k));
        if (r[0] == 0)
        {
            const cmsis_nn_dw_conv_params p = {7, -3, 1, {r[7], r[8]}, {r[9], r[10]}, {1, 1}, {-128, 127}};
            const cmsis_nn_dims f_d = {1, r[5], r[6], r[4]};
            arm_depthwise_conv_s8(&ctx, &p, &q, &in_d, in, &f_d, w, &bias_d, bias, &out_d, out_ref);
            st = arm_depthwise_conv_3x3_s8(&ctx, &p, &q, &in_d, in, &f_d, w, &bias_d, bias, &out_d, out_k);
        }
        else
        {
            const cmsis_nn_conv_params p = {7, -3, {r[7], r[8]}, {r[9], r[10]}, {1, 1}, {-128, 127}};
            const cmsis_nn_dims f_d = {r[4], r[5], r[6], r[3]};
            arm_convolve_s8(&ctx, &p, &q, &in_d, in, &f_d, w, &bias_d, bias, NULL, &out_d, out_ref);
            st = arm_convolve_1_x_n_s8(&ctx, &p, &q, &in_d, in, &f_d, w, &bias_d, bias, &out_d, out_k);
        }
        qgc_print_i64(st);
        qgc_print(memcmp(out_ref, out_k, (size_t)out_size) == 0 ? " 1\n" : " 0\n");
    }
    return 0;
}
