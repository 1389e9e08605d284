/**
 * The protobuf wire format of a model, checked against ONNX's schema (onnx-ml.proto) before
 * decoding. protobufjs decodes a known field by its number alone: a bit flip that turns a
 * varint into a length-delimited field, or a group marker, is read as something else instead of
 * failing, so qgc would read a model that onnxruntime's parser (protobuf C++) refuses. Here every
 * field of the messages qgc reads must carry the wire type its schema declares (packed or unpacked
 * for repeated numbers), groups (wire types 3 and 4, unused by ONNX) are refused, and unknown fields
 * are skipped as protobuf does.
 */
import protobuf from 'protobufjs/minimal.js';
import { CompileError, ErrorCode } from '../errors.js';

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/** A field's declared kind: a scalar wire type, a nested message (by name), or packable numbers. */
type Field = typeof VARINT | typeof FIXED64 | typeof BYTES | typeof FIXED32 | { message: string } | { repeated: typeof VARINT | typeof FIXED64 | typeof FIXED32 };

const m = (message: string): Field => ({ message });
const packable = (repeated: typeof VARINT | typeof FIXED64 | typeof FIXED32): Field => ({ repeated });

/** The fields of the messages qgc reads (numbers from onnx-ml.proto, ONNX 1.23). Messages qgc
 * never reads (functions, training info, device configurations) are checked as bytes only. */
const SCHEMA: Record<string, Record<number, Field>> = {
  ModelProto: { 1: VARINT, 2: BYTES, 3: BYTES, 4: BYTES, 5: VARINT, 6: BYTES, 7: m('GraphProto'), 8: m('OperatorSetIdProto'), 14: m('StringStringEntryProto'), 20: BYTES, 25: BYTES, 26: BYTES },
  OperatorSetIdProto: { 1: BYTES, 2: VARINT },
  StringStringEntryProto: { 1: BYTES, 2: BYTES },
  GraphProto: {
    1: m('NodeProto'), 2: BYTES, 5: m('TensorProto'), 10: BYTES, 11: m('ValueInfoProto'), 12: m('ValueInfoProto'), 13: m('ValueInfoProto'),
    14: BYTES, 15: m('SparseTensorProto'), 16: m('StringStringEntryProto'),
  },
  NodeProto: { 1: BYTES, 2: BYTES, 3: BYTES, 4: BYTES, 5: m('AttributeProto'), 6: BYTES, 7: BYTES, 8: BYTES, 9: m('StringStringEntryProto'), 10: BYTES },
  AttributeProto: {
    1: BYTES, 2: FIXED32, 3: VARINT, 4: BYTES, 5: m('TensorProto'), 6: m('GraphProto'), 7: packable(FIXED32), 8: packable(VARINT), 9: BYTES,
    10: m('TensorProto'), 11: m('GraphProto'), 13: BYTES, 14: m('TypeProto'), 15: m('TypeProto'), 20: VARINT, 21: BYTES, 22: m('SparseTensorProto'), 23: m('SparseTensorProto'),
  },
  ValueInfoProto: { 1: BYTES, 2: m('TypeProto'), 3: BYTES, 4: m('StringStringEntryProto') },
  TypeProto: { 1: m('TypeProto.Tensor'), 4: m('TypeProto.Sequence'), 5: m('TypeProto.Map'), 6: BYTES, 7: BYTES, 8: m('TypeProto.Tensor'), 9: m('TypeProto.Sequence') },
  'TypeProto.Tensor': { 1: VARINT, 2: m('TensorShapeProto') },
  'TypeProto.Sequence': { 1: m('TypeProto') },
  'TypeProto.Map': { 1: VARINT, 2: m('TypeProto') },
  TensorShapeProto: { 1: m('TensorShapeProto.Dimension') },
  'TensorShapeProto.Dimension': { 1: VARINT, 2: BYTES, 3: BYTES },
  TensorProto: {
    1: packable(VARINT), 2: VARINT, 3: m('TensorProto.Segment'), 4: packable(FIXED32), 5: packable(VARINT), 6: BYTES, 7: packable(VARINT), 8: BYTES,
    9: BYTES, 10: packable(FIXED64), 11: packable(VARINT), 12: BYTES, 13: m('StringStringEntryProto'), 14: VARINT, 16: m('StringStringEntryProto'),
  },
  'TensorProto.Segment': { 1: VARINT, 2: VARINT },
  SparseTensorProto: { 1: m('TensorProto'), 2: m('TensorProto'), 3: packable(VARINT) },
};

/** Nesting deeper than this is refused (protobuf C++'s default recursion limit is 100). */
const MAX_DEPTH = 100;

function malformed(why: string, file: string | undefined): CompileError {
  return new CompileError(ErrorCode.MalformedModel, `not a valid ONNX model (${why})`, file === undefined ? {} : { file },
    'The file is probably corrupted (a flipped bit or a truncated copy); re-export or copy it again.');
}

/** Throws a MalformedModel CompileError where the bytes break ONNX's wire format. */
export function checkWireFormat(bytes: Uint8Array, file?: string): void {
  walk(protobuf.Reader.create(bytes), bytes.length, 'ModelProto', 0, file);
}

function walk(r: protobuf.Reader, end: number, message: string, depth: number, file: string | undefined): void {
  if (depth > MAX_DEPTH) throw malformed(`messages nested deeper than ${MAX_DEPTH}`, file);
  const fields = SCHEMA[message];
  while (r.pos < end) {
    const tag = r.uint32();
    const number = tag >>> 3;
    const wire = tag & 7;
    if (number === 0) throw malformed(`field number 0 in ${message}`, file);
    if (wire === 3 || wire === 4 || wire > 5) throw malformed(`wire type ${wire} (field ${number} of ${message}) is not used by ONNX`, file);
    const field = fields?.[number];
    const expected = field === undefined ? wire : typeof field === 'number' ? field : 'message' in field ? BYTES : field.repeated;
    const packed = field !== undefined && typeof field === 'object' && 'repeated' in field && wire === BYTES;
    if (field !== undefined && wire !== expected && !packed) {
      throw malformed(`field ${number} of ${message} has wire type ${wire}, the schema says ${expected}`, file);
    }
    if (wire === BYTES) {
      const len = r.uint32();
      const stop = r.pos + len;
      if (stop > end) throw malformed(`field ${number} of ${message} runs past the end of its message`, file);
      if (field !== undefined && typeof field === 'object' && 'message' in field) walk(r, stop, field.message, depth + 1, file);
      else r.pos = stop;
    } else {
      r.skipType(wire);
    }
    if (r.pos > end) throw malformed(`${message} runs past the end of its data`, file);
  }
}
