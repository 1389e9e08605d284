/*
 * Evaluates CMSIS-NN's integer helpers (from arm_nnsupportfunctions.h, compiled as the
 * default build) and TFLite's parameter formulas (restated below in C, with the host's
 * frexp/round) on lines read from stdin; prints one result line per input line.
 * Used by test/requant.test.ts to check src/ir/intmath.ts.
 *
 *   r value multiplier shift      arm_nn_requantize
 *   R value64 reduced shift       arm_nn_requantize_s64 (int64 value)
 *   u multiplier                  REDUCE_MULTIPLIER
 *   n a b                         arm_nn_doubling_high_mult_no_sat
 *   d a b                         arm_nn_doubling_high_mult
 *   p x exponent                  arm_nn_divide_by_power_of_two
 *   m x exponent                  arm_nn_mult_by_power_of_two
 *   e x                           arm_nn_exp_on_negative_values
 *   o x                           arm_nn_one_over_one_plus_x_for_x_in_0_1
 *   q bits64                      QuantizeMultiplier(double with these bits) -> "multiplier shift"
 *   s beta_bits32 scale_bits32    TFLM softmax prepare (float beta, float scale) -> "multiplier shift diff_min"
 *   a s1 zp1 s2 zp2 so zpo        TFLM add prepare (float scale bits) -> "m1 s1 m2 s2 mo so left_shift"
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "arm_nnsupportfunctions.h"

static void quantize_multiplier(double d, int32_t *multiplier, int *shift)
{
    if (d == 0.)
    {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    const double q = frexp(d, shift);
    int64_t q_fixed = (int64_t)round(q * (double)(1LL << 31));
    if (q_fixed == (1LL << 31))
    {
        q_fixed /= 2;
        ++*shift;
    }
    if (*shift < -31)
    {
        *shift = 0;
        q_fixed = 0;
    }
    *multiplier = (int32_t)q_fixed;
}

static float float_of(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
}

int main(void)
{
    char op;
    while (scanf(" %c", &op) == 1)
    {
        int64_t a, b, c;
        if (op == 'r' && scanf("%" SCNd64 " %" SCNd64 " %" SCNd64, &a, &b, &c) == 3)
            printf("%" PRId32 "\n", arm_nn_requantize((int32_t)a, (int32_t)b, (int32_t)c));
        else if (op == 'R' && scanf("%" SCNd64 " %" SCNd64 " %" SCNd64, &a, &b, &c) == 3)
            printf("%" PRId32 "\n", arm_nn_requantize_s64(a, (int32_t)b, (int32_t)c));
        else if (op == 'u' && scanf("%" SCNd64, &a) == 1)
        {
            const int32_t m = (int32_t)a;
            printf("%" PRId32 "\n", (int32_t)REDUCE_MULTIPLIER(m));
        }
        else if (op == 'n' && scanf("%" SCNd64 " %" SCNd64, &a, &b) == 2)
            printf("%" PRId32 "\n", arm_nn_doubling_high_mult_no_sat((int32_t)a, (int32_t)b));
        else if (op == 'd' && scanf("%" SCNd64 " %" SCNd64, &a, &b) == 2)
            printf("%" PRId32 "\n", arm_nn_doubling_high_mult((int32_t)a, (int32_t)b));
        else if (op == 'p' && scanf("%" SCNd64 " %" SCNd64, &a, &b) == 2)
            printf("%" PRId32 "\n", arm_nn_divide_by_power_of_two((int32_t)a, (int32_t)b));
        else if (op == 'm' && scanf("%" SCNd64 " %" SCNd64, &a, &b) == 2)
            printf("%" PRId32 "\n", arm_nn_mult_by_power_of_two((int32_t)a, (int32_t)b));
        else if (op == 'e' && scanf("%" SCNd64, &a) == 1)
            printf("%" PRId32 "\n", arm_nn_exp_on_negative_values((int32_t)a));
        else if (op == 'o' && scanf("%" SCNd64, &a) == 1)
            printf("%" PRId32 "\n", arm_nn_one_over_one_plus_x_for_x_in_0_1((int32_t)a));
        else if (op == 'q')
        {
            uint64_t bits;
            double d;
            int32_t m;
            int s;
            if (scanf("%" SCNu64, &bits) != 1)
                return 2;
            memcpy(&d, &bits, sizeof(d));
            quantize_multiplier(d, &m, &s);
            printf("%" PRId32 " %d\n", m, s);
        }
        else if (op == 's')
        {
            uint32_t beta_bits, scale_bits;
            if (scanf("%" SCNu32 " %" SCNu32, &beta_bits, &scale_bits) != 2)
                return 2;
            const int integer_bits = 5;
            const double real = fmin((double)float_of(beta_bits) * (double)float_of(scale_bits) *
                                         (double)(1 << (31 - integer_bits)),
                                     (double)((1LL << 31) - 1));
            int32_t m;
            int s;
            quantize_multiplier(real, &m, &s);
            const double radius =
                1.0 * ((1 << integer_bits) - 1) * (double)(1LL << (31 - integer_bits)) / (double)(1LL << s);
            const int32_t diff_min = (int32_t)(-1.0 * (int)floor(radius));
            printf("%" PRId32 " %d %" PRId32 "\n", m, s, diff_min);
        }
        else if (op == 'a')
        {
            uint32_t s1b, s2b, sob;
            int32_t zp1, zp2, zpo;
            if (scanf("%" SCNu32 " %" SCNd32 " %" SCNu32 " %" SCNd32 " %" SCNu32 " %" SCNd32, &s1b, &zp1, &s2b, &zp2,
                      &sob, &zpo) != 6)
                return 2;
            (void)zp1;
            (void)zp2;
            (void)zpo;
            const float s1 = float_of(s1b), s2 = float_of(s2b), so = float_of(sob);
            const int left_shift = 20;
            const double twice_max = 2 * (double)(s1 > s2 ? s1 : s2);
            int32_t m1, m2, mo;
            int sh1, sh2, sho;
            quantize_multiplier((double)s1 / twice_max, &m1, &sh1);
            quantize_multiplier((double)s2 / twice_max, &m2, &sh2);
            quantize_multiplier(twice_max / ((1 << left_shift) * (double)so), &mo, &sho);
            printf("%" PRId32 " %d %" PRId32 " %d %" PRId32 " %d %d\n", m1, sh1, m2, sh2, mo, sho, left_shift);
        }
        else
            return 3;
    }
    return 0;
}
