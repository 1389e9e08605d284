/** Typed access to a NodeProto's attributes, with errors that name the node. */
import { CompileError, ErrorCode, type ErrorLocation } from '../errors.js';
import type { Tensor } from '../ir/graph.js';
import { int64ToNumber, onnx, type AttributeProto, type Int64Like } from './proto.js';
import { tensorFromProto } from './tensor.js';

const T = onnx.AttributeProto.AttributeType;

export class AttrReader {
  private readonly byName = new Map<string, AttributeProto>();
  private readonly used = new Set<string>();

  constructor(
    attrs: readonly AttributeProto[],
    private readonly where: ErrorLocation,
  ) {
    for (const a of attrs) this.byName.set(a.name ?? '', a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Names of attributes present on the node that no getter asked for. */
  unused(): string[] {
    return [...this.byName.keys()].filter((k) => !this.used.has(k));
  }

  private get(name: string, type: number, typeName: string): AttributeProto | undefined {
    const a = this.byName.get(name);
    this.used.add(name);
    if (!a) return undefined;
    // Old exporters leave `type` unset; accept those when the matching field is filled.
    if (a.type !== undefined && a.type !== null && a.type !== 0 && a.type !== type) {
      throw new CompileError(ErrorCode.BadAttribute, `attribute '${name}' must be ${typeName}`, this.where,
        'The model is malformed; re-export it.');
    }
    return a;
  }

  int(name: string, dflt: number): number;
  int(name: string): number | undefined;
  int(name: string, dflt?: number): number | undefined {
    const a = this.get(name, T.INT, 'an int');
    if (!a) return dflt;
    const v = int64ToNumber(a.i as Int64Like);
    if (!Number.isSafeInteger(v)) throw this.bad(name, `value ${v} is out of range`);
    return v;
  }

  float(name: string, dflt: number): number;
  float(name: string): number | undefined;
  float(name: string, dflt?: number): number | undefined {
    const a = this.get(name, T.FLOAT, 'a float');
    return a ? (a.f ?? 0) : dflt;
  }

  string(name: string, dflt: string): string;
  string(name: string): string | undefined;
  string(name: string, dflt?: string): string | undefined {
    const a = this.get(name, T.STRING, 'a string');
    return a ? Buffer.from(a.s ?? new Uint8Array()).toString('utf8') : dflt;
  }

  ints(name: string, dflt: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, dflt?: number[]): number[] | undefined {
    const a = this.get(name, T.INTS, 'a list of ints');
    if (!a) return dflt;
    const vals = (a.ints ?? []).map((v) => int64ToNumber(v as Int64Like));
    for (const v of vals) if (!Number.isSafeInteger(v)) throw this.bad(name, `value ${v} is out of range`);
    return vals;
  }

  floats(name: string): number[] | undefined {
    const a = this.get(name, T.FLOATS, 'a list of floats');
    return a ? [...(a.floats ?? [])] : undefined;
  }

  tensor(name: string): Tensor | undefined {
    const a = this.get(name, T.TENSOR, 'a tensor');
    if (!a) return undefined;
    if (!a.t) throw this.bad(name, 'has no tensor value');
    return tensorFromProto(a.t, a.t.name || name, {}, this.where);
  }

  /** An error about attribute `name` on this node. */
  bad(name: string, what: string, hint = 'Re-export the model with standard attribute values.'): CompileError {
    return new CompileError(ErrorCode.BadAttribute, `attribute '${name}' ${what}`, this.where, hint);
  }
}
