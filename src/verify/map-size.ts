/**
 * Sizes per object file from a GNU ld map file (`-Wl,-Map`): what the network itself costs in
 * an ELF that also holds a runtime, a driver and newlib. Only input sections that survived
 * `--gc-sections` are listed after "Linker script and memory map", each with its address and
 * size, on one line or (long names) on the next.
 */

/** Bytes by kind: code, constant data (weights, tables), initialized data, zeroed data. */
export interface SectionBytes {
  text: number;
  rodata: number;
  data: number;
  bss: number;
}

const KINDS: [RegExp, keyof SectionBytes][] = [
  [/^\.text(\.|$)/, 'text'],
  [/^\.rodata(\.|$)/, 'rodata'],
  [/^\.data(\.|$)/, 'data'],
  [/^(\.bss(\.|$)|COMMON$)/, 'bss'],
];

function kindOf(section: string): keyof SectionBytes | undefined {
  return KINDS.find(([re]) => re.test(section))?.[1];
}

/**
 * Sums the linked input sections of a map file by group: `groupOf(file)` names the group of an
 * object file or archive member (`lib.a(member.o)`), or undefined to leave it out.
 */
export function mapSizes(map: string, groupOf: (file: string) => string | undefined): Map<string, SectionBytes> {
  const start = map.indexOf('Linker script and memory map');
  const lines = (start >= 0 ? map.slice(start) : '').split('\n');
  const out = new Map<string, SectionBytes>();
  const add = (section: string, size: number, file: string) => {
    const kind = kindOf(section);
    const group = groupOf(file);
    if (!kind || group === undefined || size === 0) return;
    const g = out.get(group) ?? { text: 0, rodata: 0, data: 0, bss: 0 };
    g[kind] += size;
    out.set(group, g);
  };
  for (let i = 0; i < lines.length; i++) {
    const one = /^ ((?:\.|COMMON)\S*)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(lines[i]);
    if (one) {
      add(one[1], parseInt(one[3], 16), one[4].trim());
      continue;
    }
    const name = /^ ((?:\.|COMMON)\S*)$/.exec(lines[i]);
    const next = name ? /^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(lines[i + 1] ?? '') : null;
    if (name && next) {
      add(name[1], parseInt(next[2], 16), next[3].trim());
      i++;
    }
  }
  return out;
}

/** Flash of a group: code, constant data and the load image of initialized data. */
export function flashBytes(s: SectionBytes): number {
  return s.text + s.rodata + s.data;
}
