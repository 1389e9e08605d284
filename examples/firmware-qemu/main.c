/*
 * Two networks qgc compiled, linked into one firmware and run one after the other on the
 * Fashion-MNIST test images in images.c: `net` (the CNN of ../fashion-mnist) and `res` (the
 * residual CNN of ../fashion-mnist-residual). Both are built with -D<NAME>_ARENA_EXTERNAL
 * (CMakeLists.txt), so they share one SRAM region, the `arena` below, as large as the larger
 * of the two. For each image and network the firmware prints the predicted class, the
 * instructions the inference took (QEMU -icount: SysTick ticks times the board's instructions
 * per tick; on hardware, core cycles) and the float logits' bytes in hex.
 */
#include <stdint.h>
#include <stdio.h>

#include "images.h"
#include "net.h"
#include "qgc_runtime.h"
#include "res.h"

/* images.c must hold images of both networks' input size. */
typedef char image_size_matches_net[(IMAGE_SIZE == NET_INPUT_SIZE) ? 1 : -1];
typedef char image_size_matches_res[(IMAGE_SIZE == RES_INPUT_SIZE) ? 1 : -1];
typedef char same_classes[(NET_OUTPUT_SIZE == RES_OUTPUT_SIZE) ? 1 : -1];

#define ARENA_BYTES (NET_ARENA_SIZE > RES_ARENA_SIZE ? NET_ARENA_SIZE : RES_ARENA_SIZE)
#define ARENA_ALIGNMENT (NET_ARENA_ALIGNMENT > RES_ARENA_ALIGNMENT ? NET_ARENA_ALIGNMENT : RES_ARENA_ALIGNMENT)

/* The one arena both networks use; nothing in it outlives a run. */
static int8_t arena[ARENA_BYTES] __attribute__((aligned(ARENA_ALIGNMENT)));

static const char *const class_names[NET_OUTPUT_SIZE] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

typedef int (*run_f32_fn)(const float *in, float *out);

/* Runs one network on image i, prints its line; returns 1 when it predicts the label, -1 on failure. */
static int classify(const char *name, run_f32_fn run, int i)
{
    static float logits[NET_OUTPUT_SIZE];
    const unsigned char *bytes = (const unsigned char *)logits;
    int best = 0;
    int c;
    int status;
    uint64_t instructions;
    qgc_cycles_begin();
    status = run(images[i], logits);
    instructions = qgc_cycles_end();
    if (status != 0)
    {
        printf("%s_run_f32 failed: %d\n", name, status);
        return -1;
    }
    for (c = 1; c < NET_OUTPUT_SIZE; c++)
    {
        if (logits[c] > logits[best])
        {
            best = c;
        }
    }
    printf("image %d %s: predicted %d (%s), label %d (%s), %lu instructions, logits ", i, name, best, class_names[best], labels[i],
           class_names[labels[i]], (unsigned long)instructions);
    for (c = 0; c < (int)sizeof(logits); c++)
    {
        printf("%02x", bytes[c]);
    }
    printf("\n");
    return best == labels[i];
}

int main(void)
{
    int correct[2] = { 0, 0 };
    int i;
    printf("Fashion-MNIST: %d test images, 2 networks in one %d-byte arena (net %d, res %d bytes)\n", IMAGE_COUNT, ARENA_BYTES,
           NET_ARENA_SIZE, RES_ARENA_SIZE);
    if (net_init(arena, sizeof(arena)) != NET_OK || res_init(arena, sizeof(arena)) != RES_OK)
    {
        printf("init failed\n");
        return 1;
    }
    for (i = 0; i < IMAGE_COUNT; i++)
    {
        int a = classify("net", net_run_f32, i);
        int b = classify("res", res_run_f32, i);
        if (a < 0 || b < 0)
        {
            return 1;
        }
        correct[0] += a;
        correct[1] += b;
    }
    printf("net: %d of %d correct\nres: %d of %d correct\n", correct[0], IMAGE_COUNT, correct[1], IMAGE_COUNT);
    return 0;
}
