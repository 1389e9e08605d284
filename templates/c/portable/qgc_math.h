/*
 * qgc portable kernels: the shared fixed-point arithmetic (CMSIS-NN's arm_nnsupportfunctions.h,
 * default build), as static inline functions for qgc_kernels.c and qgc_data.c. Internal: not
 * part of the API.
 */
#ifndef QGC_MATH_H
#define QGC_MATH_H

#include <stdint.h>

#define QGC_I32_MAX ((int32_t)0x7fffffff)
#define QGC_I32_MIN ((int32_t)(-0x7fffffff - 1))

/* int32 addition and subtraction that wrap instead of overflowing (as the interpreter's `| 0`). */
static inline int32_t wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t wrap_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

static inline int32_t shift_left(int32_t v, int32_t s)
{
    return (int32_t)((uint32_t)v << s);
}

static inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* arm_nn_divide_by_power_of_two: rounding half away from zero, exponent in [0, 31]. */
static inline int32_t divide_by_pot(int32_t dividend, int32_t exponent)
{
    const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
    const int32_t remainder = dividend & mask;
    int32_t result = dividend >> exponent;
    int32_t threshold = mask >> 1;
    if (result < 0)
    {
        threshold++;
    }
    if (remainder > threshold)
    {
        result++;
    }
    return result;
}

/* arm_nn_doubling_high_mult: saturating rounding doubling high multiply (VQRDMULH). */
static inline int32_t mul_sat(int32_t a, int32_t b)
{
    int64_t acc = (int64_t)1 << 30;
    if (a == b && a == QGC_I32_MIN)
    {
        return QGC_I32_MAX;
    }
    if ((a < 0) != (b < 0))
    {
        acc = 1 - acc;
    }
    acc += (int64_t)a * b;
    return (int32_t)(acc / ((int64_t)1 << 31));
}

/* arm_nn_mult_by_power_of_two: val * 2^exp, saturating. */
static inline int32_t mul_pow2(int32_t val, int32_t exp)
{
    const int32_t thresh = (int32_t)(((uint32_t)1 << (31 - exp)) - 1u);
    if (val > thresh)
    {
        return QGC_I32_MAX;
    }
    if (val < -thresh)
    {
        return QGC_I32_MIN;
    }
    return shift_left(val, exp);
}

static inline int32_t qgc_requantize_inline(int32_t value, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int64_t prod = (int64_t)shift_left(value, left) * multiplier + ((int64_t)1 << 30);
    return divide_by_pot((int32_t)(prod >> 31), right);
}


#endif /* QGC_MATH_H */
