"""Runs single-op int8 TensorFlow Lite models for qgc's tests (issue 16, item 3).

Reads a JSON list of cases on stdin (or from the file named by the first argument) and writes a
JSON list of results on stdout. Each case describes one TFLite operator with every tensor's
shape, type, scale and zero point; the model is written directly as a TFLite flatbuffer with
TFLite's own generated schema (tensorflow/lite/python/schema_py_generated.py, object API), so
every scale and zero point is exactly the float32 that qgc's lowering chose: no converter, no
calibration, nothing re-derived. The script then runs tf.lite.Interpreter on the given int8
inputs with the reference kernels (OpResolverType.BUILTIN_REF, TFLite's reference_ops /
reference_integer_ops) and with the default (optimized) kernels, and returns both outputs.

Case:
    {"op": "LEAKY_RELU",                           # a tflite BuiltinOperator name
     "options": {"type": "LeakyReluOptions", "alpha": 0.1},   # optional; other keys: fields
     "inputs": [{"shape": [1, 8], "dtype": "int8", "scale": 0.05, "zeroPoint": 3,
                 "data": [...], "const": false}],   # const inputs go in the model's buffers
     "outputs": [{"shape": [1, 8], "dtype": "int8", "scale": 0.04, "zeroPoint": -2}]}
Result: {"ref": [[...]], "auto": [[...]]} (one list per output), or {"error": "..."} when TFLite
refuses the model (its message), so a test can say which case and why.

Run with the venv .ci/run makes: .venv-tf/bin/python scripts/tflite-ops.py cases.json
"""
import json
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')

import flatbuffers  # noqa: E402
import numpy as np  # noqa: E402
from tensorflow.lite.python import schema_py_generated as fb  # noqa: E402
from tensorflow.lite.python.interpreter import Interpreter, OpResolverType  # noqa: E402

DTYPES = {
    'int8': (fb.TensorType.INT8, np.int8),
    'int16': (fb.TensorType.INT16, np.int16),
    'int32': (fb.TensorType.INT32, np.int32),
    'uint8': (fb.TensorType.UINT8, np.uint8),
    'float32': (fb.TensorType.FLOAT32, np.float32),
}


def tensor(spec, index, buffer):
    t = fb.TensorT()
    t.shape = list(spec['shape'])
    t.type = DTYPES[spec.get('dtype', 'int8')][0]
    t.buffer = buffer
    t.name = f't{index}'
    if 'scale' in spec:
        q = fb.QuantizationParametersT()
        scales = spec['scale'] if isinstance(spec['scale'], list) else [spec['scale']]
        zps = spec['zeroPoint'] if isinstance(spec['zeroPoint'], list) else [spec['zeroPoint']]
        q.scale = [float(np.float32(s)) for s in scales]
        q.zeroPoint = [int(z) for z in zps]
        q.quantizedDimension = int(spec.get('axis', 0))
        t.quantization = q
    return t


def options(spec):
    """The BuiltinOptions union value: the class named by spec['type'] + 'T', fields set by name."""
    if not spec:
        return fb.BuiltinOptions.NONE, None
    kind = spec['type']
    o = getattr(fb, kind + 'T')()
    for k, v in spec.items():
        if k == 'type':
            continue
        if not hasattr(o, k):
            raise ValueError(f'{kind} has no field {k}')
        setattr(o, k, v)
    return getattr(fb.BuiltinOptions, kind), o


def model_bytes(case):
    """One subgraph with one operator; non-const inputs are the graph inputs."""
    code = getattr(fb.BuiltinOperator, case['op'])
    oc = fb.OperatorCodeT()
    oc.builtinCode = code
    oc.deprecatedBuiltinCode = min(code, 127)
    oc.version = int(case.get('version', 1))
    buffers = [fb.BufferT()]  # buffer 0: the empty buffer every non-constant tensor uses
    tensors, graph_inputs = [], []
    for spec in case['inputs']:
        buf = 0
        if spec.get('const'):
            b = fb.BufferT()
            b.data = list(np.asarray(spec['data'], DTYPES[spec.get('dtype', 'int8')][1]).tobytes())
            buffers.append(b)
            buf = len(buffers) - 1
        else:
            graph_inputs.append(len(tensors))
        tensors.append(tensor(spec, len(tensors), buf))
    outs = []
    for spec in case['outputs']:
        outs.append(len(tensors))
        tensors.append(tensor(spec, len(tensors), 0))
    op = fb.OperatorT()
    op.opcodeIndex = 0
    op.inputs = list(range(len(case['inputs'])))
    op.outputs = outs
    op.builtinOptionsType, op.builtinOptions = options(case.get('options'))
    sg = fb.SubGraphT()
    sg.tensors = tensors
    sg.inputs = graph_inputs
    sg.outputs = outs
    sg.operators = [op]
    sg.name = 'main'
    m = fb.ModelT()
    m.version = 3
    m.operatorCodes = [oc]
    m.subgraphs = [sg]
    m.buffers = buffers
    m.description = 'qgc scripts/tflite-ops.py'
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b'TFL3')
    return bytes(b.Output())


def run(model, case, resolver):
    it = Interpreter(model_content=model, experimental_op_resolver_type=resolver)
    it.allocate_tensors()
    feeds = [s for s in case['inputs'] if not s.get('const')]
    for d, spec in zip(it.get_input_details(), feeds):
        it.set_tensor(d['index'], np.asarray(spec['data'], DTYPES[spec.get('dtype', 'int8')][1]).reshape(spec['shape']))
    it.invoke()
    return [it.get_tensor(d['index']).reshape(-1).tolist() for d in it.get_output_details()]


def main():
    src = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    cases = json.load(src)
    results = []
    for case in cases:
        try:
            model = model_bytes(case)
            results.append({'ref': run(model, case, OpResolverType.BUILTIN_REF), 'auto': run(model, case, OpResolverType.AUTO)})
        except Exception as e:  # noqa: BLE001 (TFLite's refusal is the result for this case)
            results.append({'error': f'{type(e).__name__}: {e}'})
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
