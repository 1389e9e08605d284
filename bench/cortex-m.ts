/**
 * qgc's C on Cortex-M under QEMU: for each example model × target × kernel provider, the model
 * is quantized with its calibration data, compiled for the target, and run through `qgc verify`
 * on the target's QEMU board (every output byte checked against the integer interpreter). Printed
 * as a markdown table:
 *
 * - instructions per inference: `<name>_run` (int8 API) bracketed by qgc_cycles_begin/end, i.e.
 *   SysTick ticks × the board's instructions per tick under `-icount shift=0` (40 on the MPS2
 *   boards of the M4/M7, 50 on the M33's AN505, 31.25 on the M55's AN547), mean over the samples;
 *   resolution one tick;
 * - instructions per MAC: that over the network's multiply-accumulates (from the compile report);
 * - flash: the network's share of the ELF from the linker map, i.e. code + constant data
 *   (weights, multipliers, tables) + initialized data of the network's objects (`net.c`,
 *   `net_weights.c`, qgc's kernels) and of the CMSIS-NN functions linked, after --gc-sections;
 *   built without the scratch check. "ELF text" is arm-none-eabi-size's text of the whole verify
 *   program (adds qgc's runtime, the driver and newlib);
 * - arena: the planned static arena next to its lower bound (largest bytes live at one step);
 * - stack: high-water mark of one inference (painted stack), in bytes.
 *
 * - bits: the `--bits` widths of the run (w8a8 default; `--bits w8a8,w4a8` runs each).
 *
 * Run: npm run bench:cortex-m [-- --targets cortex-m4,cortex-m55 --samples 4 --bits w8a8,w4a8 fashion-mnist]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileC, type KernelsOption } from '../src/backends/c/emit.js';
import { int8GraphFor } from '../src/cli/quantize.js';
import { loadModel } from '../src/onnx/load.js';
import { loadTarget } from '../src/targets/target.js';
import { flashBytes, mapSizes } from '../src/verify/map-size.js';
import { verifyFolder } from '../src/verify/verify.js';
import { availableExamples } from '../test/support/examples.js';

/** Design target (docs/cortex-m.md, shared design notes): TFLite Micro + CMSIS-NN, MLPerf Tiny DS-CNN on the M4 under the same QEMU. */
const DESIGN_TARGET = { instructions: 7.70e6, macs: 2.66e6, arena: 22_820 };

function args(): { targets: string[]; samples: number; examples: string[]; bits: string[] } {
  const a = process.argv.slice(2);
  let targets = ['cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55'];
  let samples = 4;
  let bits = ['w8a8'];
  const examples: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--targets') targets = a[++i].split(',');
    else if (a[i] === '--samples') samples = Number(a[++i]);
    else if (a[i] === '--bits') bits = a[++i].split(',');
    else examples.push(a[i]);
  }
  return { targets, samples, examples, bits };
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');

interface Row {
  model: string;
  bits: string;
  target: string;
  kernels: KernelsOption;
  macs: number;
  instructions: number;
  perMac: number;
  flash: number;
  weights: number;
  elfText: number;
  arena: number;
  lowerBound: number;
  stack: number;
}

/** Which group a linked object belongs to: the network's files, CMSIS-NN, or neither. */
function groupOf(file: string): string | undefined {
  if (/libcmsis-nn\.a\(/.test(file)) return 'cmsis-nn';
  if (/[/\\]\d{3}_(net|net_weights|qgc_kernels|qgc_data|qgc_float)\.o$/.test(file)) return 'network';
  return undefined;
}

async function main(): Promise<void> {
  const { targets, samples, examples, bits: widths } = args();
  const rows: Row[] = [];
  const root = mkdtempSync(join(tmpdir(), 'qgc-bench-cortex-m-'));
  try {
    for (const ex of availableExamples().filter((e) => examples.length === 0 || examples.includes(e.name))) {
      for (const bits of widths) {
        const { graph } = int8GraphFor(loadModel(ex.model).graph, { calib: [`${ex.dir}/calib.npy`], bits });
        for (const targetName of targets) {
          const target = loadTarget(targetName);
          for (const kernels of ['cmsis-nn', 'portable'] as const) {
            const dir = join(root, `${ex.name}-${bits}-${target.name}-${kernels}`);
            const c = compileC(graph, { target, kernels, name: 'net', outDir: join(dir, 'net'), qdq: true, modelName: 'model.onnx' });
            const r = await verifyFolder({ dir: join(dir, 'net'), inputs: `${ex.dir}/test_x.npy`, targets: [target.name], limit: samples, buildDir: join(dir, 'build'), checkScratch: false });
            const t = r.targets[0];
            if (!r.ok) throw new Error(`${ex.name} ${target.name} ${kernels}: ${t.message}`);
            const sizes = mapSizes(readFileSync(t.map!, 'utf8'), groupOf);
            const flash = [...sizes.values()].reduce((a, s) => a + flashBytes(s), 0);
            rows.push({
              model: ex.name, bits, target: target.name, kernels, macs: c.report.totals.macs, instructions: t.instructions!.mean,
              perMac: t.instructions!.mean / c.report.totals.macs, flash, weights: c.report.totals.weightsFlashBytes, elfText: t.size!.text,
              arena: c.report.totals.arenaBytes, lowerBound: c.report.totals.arenaLowerBound, stack: t.stackBytes!,
            });
            const last = rows[rows.length - 1];
            process.stderr.write(`${ex.name} ${bits} ${target.name} ${kernels}: ${n0(last.instructions)} instructions, ${last.perMac.toFixed(2)}/MAC, bit-exact on ${samples} samples\n`);
            rmSync(dir, { recursive: true, force: true });
          }
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  print(rows, samples);
}

function print(rows: Row[], samples: number): void {
  const head = ['model', 'bits', 'MACs', 'target', 'kernels', 'instructions / inference', 'instructions / MAC', 'flash B (net + CMSIS-NN)', 'of which weights etc. B', 'ELF text B', 'arena B (lower bound)', 'stack B'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 5 && i !== 2 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) {
    lines.push(`| ${[r.model, r.bits, n0(r.macs), r.target, r.kernels, n0(r.instructions), r.perMac.toFixed(2), n0(r.flash), n0(r.weights), n0(r.elfText),
      `${n0(r.arena)} (${n0(r.lowerBound)})`, n0(r.stack)].join(' | ')} |`);
  }
  const ticks = [...new Set(rows.map((r) => r.target))].map((t) => `${t} ${loadTarget(t).board.instructionsPerTick}`).join(', ');
  lines.push('');
  lines.push(`Instructions: QEMU -icount shift=0, SysTick ticks × instructions per tick (${ticks}), mean of ${samples} test images, every output byte checked against the integer interpreter.`);
  const m4 = rows.filter((r) => r.target === 'cortex-m4' && r.kernels === 'cmsis-nn' && r.bits === 'w8a8');
  const design = DESIGN_TARGET.instructions / DESIGN_TARGET.macs;
  if (m4.length) {
    lines.push(`Design target: TFLite Micro + CMSIS-NN runs MLPerf Tiny's DS-CNN (${(DESIGN_TARGET.macs / 1e6).toFixed(2)} M MACs) on the M4 in ${(DESIGN_TARGET.instructions / 1e6).toFixed(2)} M instructions = ${design.toFixed(1)} instructions/MAC with a ${n0(DESIGN_TARGET.arena)}-byte arena; ` +
      `qgc + CMSIS-NN on the M4 here: ${m4.map((r) => `${r.model} ${r.perMac.toFixed(2)}`).join(', ')} instructions/MAC (other models than DS-CNN).`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
