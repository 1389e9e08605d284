/*
 * Test driver: runs CMSIS-NN int8 kernels on cases written by test/support/cmsis.ts.
 *
 *   cmsis-driver IN OUT
 *
 * IN is a sequence of cases, every number a little-endian int32:
 *   op, nParams, params[nParams], nArrays, then per array: elemSize (1 or 4), count, data
 *   (count * elemSize bytes, int8 or int32).
 * OUT gets, per case: status (arm_cmsis_nn_status), count, then count int8 output bytes.
 * Activations are NHWC, conv weights OHWI, depthwise weights [1, H, W, C_OUT].
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arm_nnfunctions.h"

enum { OP_CONV = 1, OP_DWCONV = 2, OP_FC = 3, OP_ADD = 4, OP_MAXPOOL = 5, OP_AVGPOOL = 6, OP_SOFTMAX = 7, OP_MUL = 8 };

#define MAX_PARAMS 32
#define MAX_ARRAYS 8

static void die(const char *msg)
{
    fprintf(stderr, "cmsis-driver: %s\n", msg);
    exit(2);
}

static int read_i32(FILE *f, int32_t *v)
{
    return fread(v, sizeof(*v), 1, f) == 1;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void write_out(FILE *f, int32_t status, const int8_t *data, int32_t count)
{
    if (fwrite(&status, sizeof(status), 1, f) != 1 || fwrite(&count, sizeof(count), 1, f) != 1 ||
        (count > 0 && fwrite(data, 1, (size_t)count, f) != (size_t)count))
        die("write failed");
}

static cmsis_nn_dims dims(int32_t n, int32_t h, int32_t w, int32_t c)
{
    cmsis_nn_dims d = {n, h, w, c};
    return d;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        die("usage: cmsis-driver IN OUT");
    FILE *in = fopen(argv[1], "rb");
    FILE *out = fopen(argv[2], "wb");
    if (!in || !out)
        die("cannot open files");

    int32_t op;
    while (read_i32(in, &op))
    {
        int32_t np, na, p[MAX_PARAMS];
        void *arr[MAX_ARRAYS] = {0};
        int32_t len[MAX_ARRAYS] = {0};
        if (!read_i32(in, &np) || np < 0 || np > MAX_PARAMS)
            die("bad param count");
        for (int i = 0; i < np; i++)
            if (!read_i32(in, &p[i]))
                die("truncated params");
        if (!read_i32(in, &na) || na < 0 || na > MAX_ARRAYS)
            die("bad array count");
        for (int i = 0; i < na; i++)
        {
            int32_t size, count;
            if (!read_i32(in, &size) || !read_i32(in, &count) || (size != 1 && size != 4) || count < 0)
                die("bad array header");
            arr[i] = xcalloc((size_t)count, (size_t)size);
            len[i] = count;
            if (count > 0 && fread(arr[i], (size_t)size, (size_t)count, in) != (size_t)count)
                die("truncated array");
        }

        int32_t status = 0;
        int32_t out_count = 0;
        int8_t *dst = NULL;

        if (op == OP_CONV || op == OP_DWCONV)
        {
            /* params: n h w c_in c_out kh kw stride_h stride_w pad_h pad_w dil_h dil_w out_h out_w
                       input_offset output_offset act_min act_max ch_mult
               arrays: input, filter, bias, multiplier, shift */
            const cmsis_nn_dims input_dims = dims(p[0], p[1], p[2], p[3]);
            const cmsis_nn_dims output_dims = dims(p[0], p[13], p[14], p[4]);
            const cmsis_nn_dims bias_dims = dims(1, 1, 1, p[4]);
            cmsis_nn_per_channel_quant_params quant = {(int32_t *)arr[3], (int32_t *)arr[4]};
            out_count = p[0] * p[13] * p[14] * p[4];
            dst = xcalloc((size_t)out_count, 1);
            cmsis_nn_context ctx = {NULL, 0};
            if (op == OP_CONV)
            {
                const cmsis_nn_dims filter_dims = dims(p[4], p[5], p[6], len[1] / (p[4] * p[5] * p[6]));
                cmsis_nn_conv_params cp;
                cp.input_offset = p[15];
                cp.output_offset = p[16];
                cp.stride.h = p[7];
                cp.stride.w = p[8];
                cp.padding.h = p[9];
                cp.padding.w = p[10];
                cp.dilation.h = p[11];
                cp.dilation.w = p[12];
                cp.activation.min = p[17];
                cp.activation.max = p[18];
                ctx.size = arm_convolve_wrapper_s8_get_buffer_size(&cp, &input_dims, &filter_dims, &output_dims);
                ctx.buf = xcalloc((size_t)ctx.size, 1);
                status = arm_convolve_wrapper_s8(&ctx, &cp, &quant, &input_dims, (const int8_t *)arr[0], &filter_dims,
                                                 (const int8_t *)arr[1], &bias_dims, (const int32_t *)arr[2],
                                                 &output_dims, dst);
            }
            else
            {
                const cmsis_nn_dims filter_dims = dims(1, p[5], p[6], p[4]);
                cmsis_nn_dw_conv_params dp;
                dp.input_offset = p[15];
                dp.output_offset = p[16];
                dp.ch_mult = p[19];
                dp.stride.h = p[7];
                dp.stride.w = p[8];
                dp.padding.h = p[9];
                dp.padding.w = p[10];
                dp.dilation.h = p[11];
                dp.dilation.w = p[12];
                dp.activation.min = p[17];
                dp.activation.max = p[18];
                ctx.size = arm_depthwise_conv_wrapper_s8_get_buffer_size(&dp, &input_dims, &filter_dims, &output_dims);
                ctx.buf = xcalloc((size_t)ctx.size, 1);
                status = arm_depthwise_conv_wrapper_s8(&ctx, &dp, &quant, &input_dims, (const int8_t *)arr[0],
                                                       &filter_dims, (const int8_t *)arr[1], &bias_dims,
                                                       (const int32_t *)arr[2], &output_dims, dst);
            }
            free(ctx.buf);
        }
        else if (op == OP_FC)
        {
            /* params: batches accum_depth out_depth input_offset output_offset act_min act_max per_channel
               arrays: input, filter [out_depth][accum_depth], bias, multiplier, shift */
            const cmsis_nn_dims input_dims = dims(p[0], 1, 1, p[1]);
            const cmsis_nn_dims filter_dims = dims(p[1], 1, 1, p[2]);
            const cmsis_nn_dims bias_dims = dims(1, 1, 1, p[2]);
            const cmsis_nn_dims output_dims = dims(p[0], 1, 1, p[2]);
            cmsis_nn_fc_params fp;
            fp.input_offset = p[3];
            fp.filter_offset = 0;
            fp.output_offset = p[4];
            fp.activation.min = p[5];
            fp.activation.max = p[6];
            cmsis_nn_quant_params quant = {(int32_t *)arr[3], (int32_t *)arr[4], p[7]};
            cmsis_nn_context ctx = {NULL, 0};
            ctx.size = arm_fully_connected_s8_get_buffer_size(&filter_dims);
            if (ctx.size > 0)
            {
                ctx.buf = xcalloc((size_t)ctx.size, 1);
                arm_vector_sum_s8((int32_t *)ctx.buf, p[1], p[2], (const int8_t *)arr[1], p[3], 0,
                                  (const int32_t *)arr[2]);
            }
            out_count = p[0] * p[2];
            dst = xcalloc((size_t)out_count, 1);
            status = arm_fully_connected_wrapper_s8(&ctx, &fp, &quant, &input_dims, (const int8_t *)arr[0], &filter_dims,
                                                    (const int8_t *)arr[1], &bias_dims, (const int32_t *)arr[2],
                                                    &output_dims, dst);
            free(ctx.buf);
        }
        else if (op == OP_ADD)
        {
            /* params: size in1_offset in1_mult in1_shift in2_offset in2_mult in2_shift left_shift
                       out_offset out_mult out_shift act_min act_max
               arrays: input1, input2 */
            out_count = p[0];
            dst = xcalloc((size_t)out_count, 1);
            status = arm_elementwise_add_s8((const int8_t *)arr[0], (const int8_t *)arr[1], p[1], p[2], p[3], p[4], p[5],
                                            p[6], p[7], dst, p[8], p[9], p[10], p[11], p[12], p[0]);
        }
        else if (op == OP_MUL)
        {
            /* params: size in1_offset in2_offset out_offset out_mult out_shift act_min act_max
               arrays: input1, input2 */
            out_count = p[0];
            dst = xcalloc((size_t)out_count, 1);
            status = arm_elementwise_mul_s8((const int8_t *)arr[0], (const int8_t *)arr[1], p[1], p[2], dst, p[3], p[4], p[5], p[6], p[7], p[0]);
        }
        else if (op == OP_MAXPOOL || op == OP_AVGPOOL)
        {
            /* params: n h w c kh kw stride_h stride_w pad_h pad_w out_h out_w act_min act_max
               arrays: input */
            const cmsis_nn_dims input_dims = dims(p[0], p[1], p[2], p[3]);
            const cmsis_nn_dims filter_dims = dims(1, p[4], p[5], 1);
            const cmsis_nn_dims output_dims = dims(p[0], p[10], p[11], p[3]);
            cmsis_nn_pool_params pp;
            pp.stride.h = p[6];
            pp.stride.w = p[7];
            pp.padding.h = p[8];
            pp.padding.w = p[9];
            pp.activation.min = p[12];
            pp.activation.max = p[13];
            out_count = p[0] * p[10] * p[11] * p[3];
            dst = xcalloc((size_t)out_count, 1);
            cmsis_nn_context ctx = {NULL, 0};
            if (op == OP_MAXPOOL)
            {
                status = arm_max_pool_s8(&ctx, &pp, &input_dims, (const int8_t *)arr[0], &filter_dims, &output_dims, dst);
            }
            else
            {
                ctx.size = arm_avgpool_s8_get_buffer_size(p[11], p[3]);
                ctx.buf = xcalloc((size_t)ctx.size, 1);
                status = arm_avgpool_s8(&ctx, &pp, &input_dims, (const int8_t *)arr[0], &filter_dims, &output_dims, dst);
                free(ctx.buf);
            }
        }
        else if (op == OP_SOFTMAX)
        {
            /* params: rows row_size mult shift diff_min; arrays: input */
            out_count = p[0] * p[1];
            dst = xcalloc((size_t)out_count, 1);
            arm_softmax_s8((const int8_t *)arr[0], p[0], p[1], p[2], p[3], p[4], dst);
        }
        else
        {
            die("unknown op");
        }

        write_out(out, status, dst, out_count);
        free(dst);
        for (int i = 0; i < na; i++)
            free(arr[i]);
    }
    if (fclose(out) != 0)
        die("close failed");
    fclose(in);
    return 0;
}
