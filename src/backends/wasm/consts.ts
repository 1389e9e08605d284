/**
 * The constants of a module (packed weights, per-channel requantization records, lookup tables):
 * laid out one after the other, 16-byte aligned, from a base address past the arena, and written
 * as one active data segment.
 */

/** Constants placed from `base`; `add` returns each one's absolute address. */
export class ConstPool {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  constructor(readonly base: number) {}

  /** Places the bytes of `data` (16-byte aligned) and returns their address. */
  add(data: Int8Array | Uint8Array | Int16Array | Int32Array): number {
    const pad = (16 - (this.size % 16)) % 16;
    if (pad) this.parts.push(new Uint8Array(pad));
    this.size += pad;
    const at = this.base + this.size;
    const bytes = new Uint8Array(data.byteLength);
    // Little-endian, as Wasm memory is.
    const view = new DataView(bytes.buffer);
    if (data instanceof Int16Array) data.forEach((v, i) => view.setInt16(i * 2, v, true));
    else if (data instanceof Int32Array) data.forEach((v, i) => view.setInt32(i * 4, v, true));
    else bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.parts.push(bytes);
    this.size += bytes.length;
    return at;
  }

  /** Bytes placed so far. */
  get bytes(): number {
    return this.size;
  }

  /** The segment's contents. */
  data(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
