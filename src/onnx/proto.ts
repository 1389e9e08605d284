/** Decoding ONNX protobuf bytes with onnx-proto (protobufjs-generated, IR version 8). */
import { createRequire } from 'node:module';
import type { onnx as OnnxNs } from 'onnx-proto';
import { CompileError, ErrorCode } from '../errors.js';
import { checkWireFormat } from './wire.js';

// onnx-proto is CommonJS; load it through require so its namespace object keeps its shape.
const require = createRequire(import.meta.url);
const { onnx } = require('onnx-proto') as { onnx: typeof OnnxNs };

export { onnx };
export type ModelProto = OnnxNs.ModelProto;
export type GraphProto = OnnxNs.IGraphProto;
export type NodeProto = OnnxNs.INodeProto;
export type TensorProto = OnnxNs.ITensorProto;
export type AttributeProto = OnnxNs.IAttributeProto;
export type ValueInfoProto = OnnxNs.IValueInfoProto;

/** A protobuf int64 as protobufjs hands it over: a number, or a Long when `long` is installed. */
export type Int64Like = number | { toNumber(): number; high: number; low: number; unsigned: boolean };

/** Converts an int64 to a JS number, refusing values outside the safe integer range. */
export function int64ToNumber(v: Int64Like | null | undefined): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  // Long: reject anything beyond 2^53 rather than silently rounding.
  const hi = v.high | 0;
  if (!v.unsigned && (hi > 0x1fffff || hi < -0x200000)) return hi > 0 ? Infinity : -Infinity;
  if (v.unsigned && v.high >>> 0 > 0x1fffff) return Infinity;
  return v.toNumber();
}

/** Decodes a ModelProto, turning every protobuf failure into a CompileError. */
export function decodeModel(bytes: Uint8Array, file?: string): ModelProto {
  try {
    checkWireFormat(bytes, file);
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    if (e instanceof CompileError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new CompileError(
      ErrorCode.MalformedModel,
      `not a valid ONNX model (protobuf decoding failed: ${why})`,
      file === undefined ? {} : { file },
      'Check that the file is a complete .onnx model (not truncated, not a text export).',
    );
  }
}

/** Decodes a single TensorProto (the .pb files of ONNX's conformance data). */
export function decodeTensor(bytes: Uint8Array, file?: string): OnnxNs.TensorProto {
  try {
    return onnx.TensorProto.decode(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new CompileError(
      ErrorCode.MalformedModel,
      `not a valid ONNX TensorProto (${why})`,
      file === undefined ? {} : { file },
      'Pass a TensorProto .pb file as written by onnx.numpy_helper.from_array.',
    );
  }
}
