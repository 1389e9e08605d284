/*
 * Classifies the Fashion-MNIST test images in images.c with the network qgc compiled
 * (net_run_f32: float image in, float logits out) and prints each prediction with its label
 * and the instructions the inference took (QEMU -icount: SysTick ticks times the board's
 * instructions per tick; on hardware, core cycles).
 */
#include <stdint.h>
#include <stdio.h>

#include "images.h"
#include "net.h"
#include "qgc_runtime.h"

/* images.c must hold images of the network's input size. */
typedef char image_size_matches_network[(IMAGE_SIZE == NET_INPUT_SIZE) ? 1 : -1];

static const char *const class_names[NET_OUTPUT_SIZE] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

int main(void)
{
    static float logits[NET_OUTPUT_SIZE];
    int correct = 0;
    int i;
    printf("Fashion-MNIST: %d test images\n", IMAGE_COUNT);
    for (i = 0; i < IMAGE_COUNT; i++)
    {
        int status;
        int best = 0;
        int c;
        uint64_t instructions;
        qgc_cycles_begin();
        status = net_run_f32(images[i], logits);
        instructions = qgc_cycles_end();
        if (status != 0)
        {
            printf("net_run_f32 failed at step %d\n", status);
            return 1;
        }
        for (c = 1; c < NET_OUTPUT_SIZE; c++)
        {
            if (logits[c] > logits[best])
            {
                best = c;
            }
        }
        correct += best == labels[i];
        printf("image %d: predicted %d (%s), label %d (%s), %lu instructions\n", i, best, class_names[best], labels[i],
               class_names[labels[i]], (unsigned long)instructions);
    }
    printf("%d of %d correct\n", correct, IMAGE_COUNT);
    return 0;
}
