/**
 * Measures CMSIS-NN's executed instructions on every Cortex-M target's QEMU board
 * (scripts/cmsis_cost.c) and splits them into a marginal cost per MAC and a cost per output
 * element (requantization, loop and call overhead), as input for the cost models in
 * targets/*.json. Usage: node --import tsx scripts/measure-cmsis-cost.ts [target ...]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listTargets, loadTarget } from '../src/targets/target.js';
import { runQemu } from '../src/verify/qemu.js';
import { buildElf } from '../src/verify/toolchain.js';

/** Output elements of each measured layer (scripts/cmsis_cost.c). */
const OUTPUTS: Record<string, number> = { conv3x3: 4 * 4 * 16, conv1x1: 4 * 4 * 32, fc: 32, dwconv3x3: 8 * 8 * 16 };

const names = process.argv.length > 2 ? process.argv.slice(2) : listTargets().filter((t) => loadTarget(t).board.qemuMachine !== null);
const cells = new Map<string, Map<string, string>>();
const put = (row: string, target: string, v: string): void => {
  if (!cells.has(row)) cells.set(row, new Map());
  cells.get(row)!.set(target, v);
};
for (const name of names) {
  const b = await buildElf({
    target: name, sources: [join('scripts', 'cmsis_cost.c')], cmsisNn: true, outDir: mkdtempSync(join(tmpdir(), 'qgc-cost-')),
    stackSize: name === 'cortex-m0plus' ? 2048 : undefined,
  });
  const r = await runQemu({ target: name, elf: b.elf, timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`${name}: exit ${r.exitCode}\n${r.stdout}`);
  const m = new Map<string, { instr: number; macs: number }>();
  for (const x of r.stdout.matchAll(/^(\S+) status=(-?\d+) instructions=(\d+) macs=(\d+)$/gm)) {
    if (x[2] !== '0') throw new Error(`${name}: ${x[1]} returned status ${x[2]}`);
    m.set(x[1], { instr: Number(x[3]), macs: Number(x[4]) });
  }
  for (const [kernel, outputs] of Object.entries(OUTPUTS)) {
    for (const w of ['s8', 's4', 's16']) {
      const one = m.get(`${kernel}_${w}`);
      const a = m.get(`${kernel}_${w}_a`);
      const bb = m.get(`${kernel}_${w}_b`);
      if (one) {
        put(`${kernel} ${w} per MAC (all-in)`, name, (one.instr / one.macs).toFixed(2));
      } else if (a && bb) {
        const perMac = (bb.instr - a.instr) / (bb.macs - a.macs);
        put(`${kernel} ${w} per MAC`, name, perMac.toFixed(2));
        put(`${kernel} ${w} per output`, name, ((a.instr - perMac * a.macs) / outputs).toFixed(1));
      }
    }
  }
}
console.log(`| cost (instructions) | ${names.join(' | ')} |`);
console.log(`|---|${names.map(() => '---:').join('|')}|`);
for (const [row, byTarget] of [...cells].sort(([a], [b]) => (a < b ? -1 : 1))) {
  console.log(`| ${row} | ${names.map((n) => byTarget.get(n) ?? '').join(' | ')} |`);
}
