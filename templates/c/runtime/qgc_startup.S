/*
 * qgc reset handler for Arm Cortex-M (Armv6-M, Armv7-M, Armv8-M, Armv8.1-M).
 *
 * Runs before any C code, in this order:
 *   1. SP := __stack_top (QEMU and hardware already load it from the vector table;
 *      debuggers that jump to the ELF entry point do not).
 *   2. On cores with an FPU (and so MVE, which shares the enable): CPACR.CP10/CP11 :=
 *      full access, then DSB/ISB. This must come before the first floating-point or MVE
 *      instruction, so it is done here and not in C.
 *   3. Armv8-M mainline: MSPLIM := __stack_limit, so a stack overflow faults.
 *   4. Copy .data from flash, zero .bss.
 *   5. Paint the stack [__stack_limit, SP) with QGC_STACK_PAINT for the high-water mark.
 *   6. Call qgc_start() (qgc_runtime.c): SysTick on, constructors, main(), exit.
 *
 * Only Thumb-1 encodings are used, so the same file assembles for Cortex-M0+.
 */
    .syntax unified
    .thumb

#define QGC_STACK_PAINT 0xA55AA55A
#define CPACR 0xE000ED88

    .section .text.qgc_reset_handler, "ax", %progbits
    .global qgc_reset_handler
    .type qgc_reset_handler, %function
    .thumb_func
qgc_reset_handler:
    ldr r0, =__stack_top
    mov sp, r0

#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    ldr r0, =CPACR
    ldr r1, [r0]
    ldr r2, =(0xF << 20)
    orrs r1, r1, r2
    str r1, [r0]
    dsb
    isb
#endif

#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
    ldr r0, =__stack_limit
    msr msplim, r0
#endif

    /* .data: copy [__data_load, ...) to [__data_start, __data_end) */
    ldr r0, =__data_load
    ldr r1, =__data_start
    ldr r2, =__data_end
1:  cmp r1, r2
    bhs 2f
    ldr r3, [r0]
    str r3, [r1]
    adds r0, r0, #4
    adds r1, r1, #4
    b 1b
2:
    /* .bss: zero [__bss_start, __bss_end) */
    ldr r1, =__bss_start
    ldr r2, =__bss_end
    movs r3, #0
3:  cmp r1, r2
    bhs 4f
    str r3, [r1]
    adds r1, r1, #4
    b 3b
4:
    /* stack: paint [__stack_limit, SP) */
    ldr r1, =__stack_limit
    mov r2, sp
    ldr r3, =QGC_STACK_PAINT
5:  cmp r1, r2
    bhs 6f
    str r3, [r1]
    adds r1, r1, #4
    b 5b
6:
    bl qgc_start
7:  b 7b
    .size qgc_reset_handler, . - qgc_reset_handler

/*
 * Common fault entry: passes the stacked exception frame (r0-r3, r12, lr, pc, xpsr)
 * to qgc_fault_report(frame), which prints it over semihosting and exits.
 */
    .section .text.qgc_fault_entry, "ax", %progbits
    .global qgc_fault_entry
    .type qgc_fault_entry, %function
    .thumb_func
qgc_fault_entry:
    movs r0, #4
    mov r1, lr
    tst r0, r1
    beq 8f
    mrs r0, psp
    b 9f
8:  mrs r0, msp
9:  ldr r1, =qgc_fault_report
    bx r1
    .size qgc_fault_entry, . - qgc_fault_entry

    .ltorg
