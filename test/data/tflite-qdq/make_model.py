"""Makes int8.onnx and uint8.onnx: QDQ models shaped as TensorFlow Lite's converter (through
tf2onnx) writes them, with integer graph inputs and outputs, and their test data.

The graph input is an integer image in NHWC ([1, 28, 28, 1]); it reaches its first
DequantizeLinear through view ops only, which is where its scale and zero point are stated:
- int8.onnx:  input_1 int8 [1, 28, 28, 1] -> Reshape [1, 1, 28, 28] -> DequantizeLinear
- uint8.onnx: input_1 uint8 [1, 28, 28] -> Unsqueeze(axes 1) -> Reshape [1, 1, 28, 28]
              -> Transpose (0, 1, 3, 2) -> DequantizeLinear
Then Conv 3x3 (8 channels, per-channel int8 weights, int32 bias) -> Relu -> QuantizeLinear /
DequantizeLinear -> MaxPool 2x2 -> QuantizeLinear -> Reshape [1, 1568] on the integer tensor ->
DequantizeLinear -> Gemm (10 outputs, per-tensor int8 weights, int32 bias) -> QuantizeLinear,
whose integer output is the graph output 'Identity' ([1, 10]), as TFLite names it.
The weights are random (seed 11): the models check that qgc follows the integer boundaries,
not accuracy.

Run with Debian's interpreter (python3-onnx, python3-numpy):
    /usr/bin/python3 test/data/tflite-qdq/make_model.py
It writes int8.onnx, uint8.onnx (opset 13, checked with onnx.checker), int8.npy and uint8.npy
(8 test images each, in the graph input's type and shape with a leading batch of 8) next to
itself.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(kind, rng):
    """kind: 'int8' or 'uint8' (the activations' integer type)."""
    itype = TensorProto.INT8 if kind == 'int8' else TensorProto.UINT8
    np_act = np.int8 if kind == 'int8' else np.uint8
    off = 0 if kind == 'int8' else 128  # uint8 zero points are the int8 ones + 128
    zp = lambda z: np.array(z + off, dtype=np_act)
    # Activation parameters (TFLite style: input in [0, 1] at zero point -128).
    acts = {'in': (1 / 255, -128), 'conv': (0.02, -128), 'fc': (0.08, 3)}
    inits = []
    for k, (s, z) in acts.items():
        inits += [const(f'{k}.s', np.float32(s)), const(f'{k}.z', zp(z))]
    cw = rng.integers(-127, 128, size=(8, 1, 3, 3)).astype(np.int8)
    cws = (rng.uniform(0.5, 1.5, size=8) / 127 * 2).astype(np.float32)
    cb = rng.integers(-2000, 2000, size=8).astype(np.int32)
    fw = rng.integers(-127, 128, size=(10, 8 * 14 * 14)).astype(np.int8)
    fws = np.float32(0.0005)
    fb = rng.integers(-3000, 3000, size=10).astype(np.int32)
    inits += [
        const('conv.w', cw), const('conv.ws', cws), const('conv.wz', np.zeros(8, np.int8)),
        const('conv.b', cb), const('conv.bs', (np.float32(acts['in'][0]) * cws).astype(np.float32)), const('conv.bz', np.zeros(8, np.int32)),
        const('fc.w', fw), const('fc.ws', fws), const('fc.wz', np.int8(0)),
        const('fc.b', fb), const('fc.bs', np.float32(np.float32(acts['conv'][0]) * fws)), const('fc.bz', np.int32(0)),
        const('shape_nchw', np.array([1, 1, 28, 28], np.int64)), const('shape_flat', np.array([1, 8 * 14 * 14], np.int64)),
    ]
    N = helper.make_node
    if kind == 'int8':
        head = [N('Reshape', ['input_1', 'shape_nchw'], ['x_nchw'], name='reshape_in')]
        in_shape = [1, 28, 28, 1]
    else:
        inits.append(const('axes1', np.array([1], np.int64)))
        head = [
            N('Unsqueeze', ['input_1', 'axes1'], ['x_4d'], name='unsqueeze_in'),
            N('Reshape', ['x_4d', 'shape_nchw'], ['x_r'], name='reshape_in'),
            N('Transpose', ['x_r'], ['x_nchw'], name='transpose_in', perm=[0, 1, 3, 2]),
        ]
        in_shape = [1, 28, 28]
    nodes = head + [
        N('DequantizeLinear', ['x_nchw', 'in.s', 'in.z'], ['x_f'], name='dq_in'),
        N('DequantizeLinear', ['conv.w', 'conv.ws', 'conv.wz'], ['conv.w_f'], name='dq_conv_w', axis=0),
        N('DequantizeLinear', ['conv.b', 'conv.bs', 'conv.bz'], ['conv.b_f'], name='dq_conv_b', axis=0),
        N('Conv', ['x_f', 'conv.w_f', 'conv.b_f'], ['conv_out'], name='conv', kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        N('Relu', ['conv_out'], ['relu_out'], name='relu'),
        N('QuantizeLinear', ['relu_out', 'conv.s', 'conv.z'], ['relu_q'], name='q_relu'),
        N('DequantizeLinear', ['relu_q', 'conv.s', 'conv.z'], ['relu_f'], name='dq_relu'),
        N('MaxPool', ['relu_f'], ['pool_out'], name='pool', kernel_shape=[2, 2], strides=[2, 2]),
        N('QuantizeLinear', ['pool_out', 'conv.s', 'conv.z'], ['pool_q'], name='q_pool'),
        N('Reshape', ['pool_q', 'shape_flat'], ['flat_q'], name='reshape_flat'),
        N('DequantizeLinear', ['flat_q', 'conv.s', 'conv.z'], ['flat_f'], name='dq_flat'),
        N('DequantizeLinear', ['fc.w', 'fc.ws', 'fc.wz'], ['fc.w_f'], name='dq_fc_w'),
        N('DequantizeLinear', ['fc.b', 'fc.bs', 'fc.bz'], ['fc.b_f'], name='dq_fc_b'),
        N('Gemm', ['flat_f', 'fc.w_f', 'fc.b_f'], ['fc_out'], name='fc', transB=1),
        N('QuantizeLinear', ['fc_out', 'fc.s', 'fc.z'], ['Identity'], name='q_out'),
    ]
    graph = helper.make_graph(nodes, f'tflite_{kind}',
        [helper.make_tensor_value_info('input_1', itype, in_shape)],
        [helper.make_tensor_value_info('Identity', itype, [1, 10])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='qgc test/data/tflite-qdq/make_model.py')
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(HERE, f'{kind}.onnx'))
    # 8 test images: a smooth blob plus noise, over the whole integer range.
    yy, xx = np.mgrid[0:28, 0:28]
    imgs = []
    for i in range(8):
        cy, cx = rng.uniform(6, 22, size=2)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * rng.uniform(3, 8) ** 2))
        imgs.append(np.clip(blob * 255 + rng.normal(0, 20, size=(28, 28)), 0, 255))
    u8 = np.rint(np.stack(imgs)).astype(np.int32)
    data = (u8 - 128).astype(np.int8).reshape(8, 28, 28, 1) if kind == 'int8' else u8.astype(np.uint8)
    np.save(os.path.join(HERE, f'{kind}.npy'), data)


def main():
    rng = np.random.default_rng(11)
    model('int8', rng)
    model('uint8', rng)


if __name__ == '__main__':
    main()
