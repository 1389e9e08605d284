/**
 * qgc's bare-metal Cortex-M runtime under QEMU: semihosting output and exit status, FPU
 * enabled at reset, a CMSIS-NN s8 kernel (DSP path on M4/M7/M33, MVE path on M55, plain C on
 * M0+), deterministic instruction counts and the measured instructions-per-SysTick-tick factor
 * of each board, the stack high-water mark, and the failure modes (fault, timeout, overflow,
 * warnings, missing tools). CMSIS-NN libraries are cached (node_modules/.cache/qgc), so only
 * the first run compiles them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTarget } from '../src/targets/target.js';
import { VerifyError, VerifyErrorCode } from '../src/verify/errors.js';
import { INSTALL, requireTool } from '../src/verify/exec.js';
import { EXIT_FAULT, runHost, runQemu, type RunResult } from '../src/verify/qemu.js';
import { buildElf, buildHost, type BuildResult } from '../src/verify/toolchain.js';
import { ARM_GCC, CMSIS_NN as CMSIS, HOST_CC, QEMU, describeNeeding } from './support/tools.js';

const SMOKE = 'test/c/qemu_smoke.c';
const BUILD_TIMEOUT = 600_000; // first run compiles CMSIS-NN for the target (cached afterwards)
const scratch = (tag: string): string => mkdtempSync(join(tmpdir(), `qgc-qemu-${tag}-`));

/** The smoke program's fully connected layer, recomputed with CMSIS-NN's arithmetic. */
function expectedFc(): number[] {
  let state = 12345;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 16;
  };
  const s8 = (): number => {
    const v = next() & 0xff;
    return v >= 128 ? v - 256 : v;
  };
  const input = Array.from({ length: 16 }, s8);
  const weights = Array.from({ length: 64 }, () => {
    const w = s8();
    return w === -128 ? -127 : w;
  });
  const bias = Array.from({ length: 4 }, () => (next() % 2001) - 1000);
  const requantize = (val: number, multiplier: number, shift: number): number => {
    const left = Math.max(shift, 0);
    const right = Math.max(-shift, 0);
    const high = Number((BigInt(val * 2 ** left) * BigInt(multiplier) + (1n << 30n)) >> 31n);
    const mask = (1 << right) - 1;
    let result = high >> right;
    const threshold = (mask >> 1) + (result < 0 ? 1 : 0);
    if ((high & mask) > threshold) result++;
    return result;
  };
  return bias.map((b, o) => {
    let acc = b;
    for (let i = 0; i < 16; i++) acc += (input[i] + 3) * weights[o * 16 + i];
    return Math.min(127, Math.max(-128, requantize(acc, 1518500250, -9) - 5));
  });
}

const FC_HEX = expectedFc().map((v) => (v & 0xff).toString(16).padStart(2, '0')).join('');

/** Every target has a QEMU board; the brief's compile-only three (M0+, M7, M33) are run too. */
const TARGETS = ['cortex-m4', 'cortex-m55', 'cortex-m7', 'cortex-m33', 'cortex-m0plus'];

describeNeeding([ARM_GCC, QEMU, HOST_CC, CMSIS], 'qgc runtime on QEMU', () => {
  describe.each(TARGETS)('%s', (name) => {
    const target = loadTarget(name);
    const ipt = target.board.instructionsPerTick!;
    let build: BuildResult;
    let first: RunResult;

    beforeAll(async () => {
      build = await buildElf({
        target,
        sources: [SMOKE],
        cmsisNn: true,
        outDir: scratch(name),
        defines: { QGC_TARGET_NAME: `"${name}"` },
      });
      first = await runQemu({ target, elf: build.elf, timeoutMs: 30_000 });
    }, BUILD_TIMEOUT);

    it('prints over semihosting, computes in float, runs CMSIS-NN and exits with its status', () => {
      expect(first.fault).toBeNull();
      expect(first.stdout).toContain(`hello from qgc on ${name}\n`);
      expect(first.stdout).toContain('float=337\n');
      expect(first.stdout).toContain('fc_status=0\n');
      expect(first.stdout).toContain(`fc=${FC_HEX}\n`);
      expect(first.exitCode).toBe(37);
    });

    it('gives the same instruction counts on a second run', async () => {
      const again = await runQemu({ target, elf: build.elf, timeoutMs: 30_000 });
      expect(again.stdout).toBe(first.stdout);
      expect(first.reports.fc_instructions).toBeGreaterThan(0n);
    });

    it(`counts ${ipt} instructions per SysTick tick (a 2-instruction loop of known length)`, () => {
      const r = first.reports;
      // SysTick starts just before main (the first read sees VAL = 0 before the first reload).
      expect(r.ticks_at_main).toBeLessThanOrEqual(2n);
      // spin(N) executes 2N instructions; the tick count can be off by one tick at each end.
      expect(Math.abs(Number(r.ticks_100k) * ipt - 200_000)).toBeLessThanOrEqual(ipt);
      expect(Math.abs(Number(r.ticks_300k) * ipt - 600_000)).toBeLessThanOrEqual(ipt);
      // qgc_cycles_begin/end scale ticks to instructions: 400,000 plus the call overhead.
      expect(Math.abs(Number(r.spin_200k_instructions) - 400_000)).toBeLessThanOrEqual(ipt + 100);
    });

    it('measures the stack high-water mark', () => {
      const r = first.reports;
      expect(r.stack_size).toBe(BigInt(target.board.stackSize));
      expect(r.fc_stack).toBeGreaterThan(0n);
      expect(r.fc_stack).toBeLessThan(2048n);
      expect(r.stack_high_water).toBeGreaterThan(r.fc_stack);
      expect(r.stack_high_water).toBeLessThan(r.stack_size);
    });

    it('reports flash and RAM use, and whether it fits the typical part', () => {
      expect(build.size.text).toBeGreaterThan(1000);
      expect(build.size.flash).toBe(build.size.text + build.size.data);
      expect(build.fitsPart).toEqual({ flash: true, ram: true });
    });
  });

  it('host build of the same program (CMSIS-NN portable C) gives the same layer output', async () => {
    const { exe } = await buildHost({ sources: [SMOKE], cmsisNn: true, outDir: scratch('host'), defines: { QGC_TARGET_NAME: '"host"' } });
    const r = await runHost({ exe });
    expect(r.stdout).toContain('hello from qgc on host\n');
    expect(r.stdout).toContain(`fc=${FC_HEX}\n`);
    expect(r.exitCode).toBe(37);
  }, BUILD_TIMEOUT);

  it('extends SysTick past its 24 bits (wrap logic exercised with a 1024-tick period)', async () => {
    const b = await buildElf({ target: 'cortex-m4', sources: [SMOKE], cmsisNn: true, outDir: scratch('wrap'),
      defines: { QGC_SYSTICK_RELOAD: '0x3FFu' } });
    const r = await runQemu({ target: 'cortex-m4', elf: b.elf });
    expect(r.exitCode).toBe(37);
    // 15 wraps in 600,000 instructions; each costs the few instructions of the SysTick handler.
    expect(Number(r.reports.ticks_100k)).toBeGreaterThanOrEqual(5000);
    expect(Number(r.reports.ticks_100k)).toBeLessThanOrEqual(5002);
    expect(Number(r.reports.ticks_300k)).toBeGreaterThanOrEqual(15000);
    expect(Number(r.reports.ticks_300k)).toBeLessThanOrEqual(15004);
  }, BUILD_TIMEOUT);

  describe('failure modes and I/O (cortex-m4, no CMSIS-NN)', () => {
    const dir = scratch('modes');
    const program = (file: string, body: string): string => {
      const path = join(dir, file);
      writeFileSync(path, `#include <stdint.h>\n#include "qgc_runtime.h"\n${body}\n`);
      return path;
    };

    it('a fault prints the faulting PC and exits with QGC_EXIT_FAULT', async () => {
      const src = program('fault.c', 'int main(void) {\n  volatile uint32_t *p = (volatile uint32_t *)0xF0000000u;\n  qgc_print("before\\n");\n  return (int)*p;\n}');
      const b = await buildElf({ target: 'cortex-m4', sources: [src], outDir: dir, name: 'fault' });
      const r = await runQemu({ target: 'cortex-m4', elf: b.elf, timeoutMs: 20_000 });
      expect(r.stdout).toContain('before\n');
      expect(r.exitCode).toBe(EXIT_FAULT);
      expect(r.fault).toMatch(/^qgc: fault: exception 3 pc=0x[0-9a-f]{8} lr=0x[0-9a-f]{8} cfsr=0x[0-9a-f]{8}/);
    });

    it('stdin, host files and exit statuses 0 and 255 pass through', async () => {
      const src = program('io.c', [
        'static uint8_t buf[64];',
        'int main(void) {',
        '  long n = qgc_read_stdin(buf, 5);',
        '  qgc_print("stdin="); qgc_write(buf, (size_t)n);',
        '  n = qgc_read_file("input.bin", buf, sizeof buf);',
        '  qgc_print(" file="); qgc_print_hex(buf, (size_t)n);',
        '  qgc_print(" missing="); qgc_print_i64(qgc_read_file("nope.bin", buf, sizeof buf));',
        '  qgc_print("\\n");',
        '  return buf[0] == 0xff ? 255 : 0;',
        '}',
      ].join('\n'));
      const b = await buildElf({ target: 'cortex-m4', sources: [src], outDir: dir, name: 'io' });
      writeFileSync(join(dir, 'input.bin'), Buffer.from([0xff, 0x00, 0x7f]));
      const r = await runQemu({ target: 'cortex-m4', elf: b.elf, stdin: 'hello world', cwd: dir });
      expect(r.stdout).toBe('stdin=hello file=ff007f missing=-1\n');
      expect(r.exitCode).toBe(255);
      writeFileSync(join(dir, 'input.bin'), Buffer.from([0x01]));
      const r0 = await runQemu({ target: 'cortex-m4', elf: b.elf, cwd: dir });
      expect(r0.stdout).toBe('stdin= file=01 missing=-1\n');
      expect(r0.exitCode).toBe(0);
    });

    it('printf through newlib-nano works and is flushed at exit', async () => {
      const src = program('printf.c', '#include <stdio.h>\nint main(void) {\n  printf("value %d", 1234);\n  return 3;\n}');
      const b = await buildElf({ target: 'cortex-m4', sources: [src], outDir: dir, name: 'printf' });
      const r = await runQemu({ target: 'cortex-m4', elf: b.elf });
      expect(r.stdout).toBe('value 1234');
      expect(r.exitCode).toBe(3);
    });

    it('an endless loop ends in a Timeout VerifyError with the output so far', async () => {
      const src = program('hang.c', 'int main(void) {\n  qgc_print("spinning\\n");\n  for (;;) {\n  }\n}');
      const b = await buildElf({ target: 'cortex-m4', sources: [src], outDir: dir, name: 'hang' });
      const err = await runQemu({ target: 'cortex-m4', elf: b.elf, timeoutMs: 3000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerifyError);
      expect((err as VerifyError).code).toBe(VerifyErrorCode.Timeout);
      expect((err as VerifyError).output).toContain('spinning');
    });

    it('a program too large for RAM is a DoesNotFit error', async () => {
      const src = program('big.c', 'volatile uint8_t arena[5u * 1024u * 1024u];\nint main(void) {\n  arena[7] = 1;\n  return arena[7];\n}');
      const err = await buildElf({ target: 'cortex-m4', sources: [src], outDir: dir, name: 'big' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerifyError);
      expect((err as VerifyError).code).toBe(VerifyErrorCode.DoesNotFit);
      expect((err as VerifyError).message).toContain("cortex-m4's RAM");
    });

    it('a warning in project code fails the build (-Wall -Wextra -Werror -pedantic)', async () => {
      const src = program('warn.c', 'int main(void) {\n  int unused;\n  return 0;\n}');
      const err = await buildElf({ target: 'cortex-m4', sources: [src], outDir: dir, name: 'warn' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerifyError);
      expect((err as VerifyError).code).toBe(VerifyErrorCode.BuildFailed);
      expect((err as VerifyError).output).toContain('-Werror=unused-variable');
    });
  });
});

describe('missing tools', () => {
  it('name the package to install', () => {
    let err: unknown;
    try {
      requireTool('qgc-no-such-qemu', INSTALL.qemu);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VerifyError);
    expect((err as VerifyError).code).toBe(VerifyErrorCode.ToolMissing);
    expect((err as VerifyError).format()).toBe(
      "error QGC4001: 'qgc-no-such-qemu' was not found on PATH. Install it: apt-get install qemu-system-arm.");
  });
});
