"""Makes model.onnx: a small network with a LayerNorm in the middle and a Sigmoid head, and its data.

x [1, 1, 8, 8] -> 3x3 conv (4 channels) + ReLU -> Flatten -> Gemm (16) -> LayerNormalization over
the 16 features -> Gemm (4) -> Sigmoid -> y [1, 4]. qgc has no int8 kernels for LayerNormalization
and Sigmoid, so they run in float between int8 layers (the conv and both Gemms stay int8). The
weights are random (seed 11): the model is for checking the float fallback bit for bit and within
tolerance on the host and on QEMU, not for accuracy.

Run with an interpreter that has onnx >= 1.13 (LayerNormalization is opset 17) and numpy:
    .venv-onnx/bin/python test/data/float-head/make_model.py
It writes model.onnx (opset 17, checked with onnx.checker), calib.npy (32 calibration samples)
and test.npy (8 test samples) next to itself.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(11)


def tensor(name, data):
    return numpy_helper.from_array(np.asarray(data, dtype=np.float32), name)


def weight(name, *shape):
    fan_in = int(np.prod(shape[1:]))
    return tensor(name, rng.normal(size=shape) / np.sqrt(fan_in))


def main():
    inits = [
        weight('conv.w', 4, 1, 3, 3), tensor('conv.b', 0.1 * rng.normal(size=4)),
        weight('fc1.w', 16, 256), tensor('fc1.b', 0.1 * rng.normal(size=16)),
        tensor('ln.scale', 1 + 0.2 * rng.normal(size=16)), tensor('ln.bias', 0.1 * rng.normal(size=16)),
        weight('fc2.w', 4, 16), tensor('fc2.b', 0.1 * rng.normal(size=4)),
    ]
    nodes = [
        helper.make_node('Conv', ['x', 'conv.w', 'conv.b'], ['c'], name='conv', kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node('Relu', ['c'], ['r'], name='relu'),
        helper.make_node('Flatten', ['r'], ['f'], name='flatten'),
        helper.make_node('Gemm', ['f', 'fc1.w', 'fc1.b'], ['h'], name='fc1', transB=1),
        helper.make_node('LayerNormalization', ['h', 'ln.scale', 'ln.bias'], ['n'], name='ln', axis=-1, epsilon=1e-5),
        helper.make_node('Gemm', ['n', 'fc2.w', 'fc2.b'], ['logits'], name='fc2', transB=1),
        helper.make_node('Sigmoid', ['logits'], ['y'], name='head'),
    ]
    graph = helper.make_graph(
        nodes, 'float-head',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 4])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)], producer_name='qgc-test')
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(HERE, 'model.onnx'))
    data = np.random.default_rng(12)
    np.save(os.path.join(HERE, 'calib.npy'), data.normal(size=(32, 1, 8, 8)).astype(np.float32))
    np.save(os.path.join(HERE, 'test.npy'), data.normal(size=(8, 1, 8, 8)).astype(np.float32))


if __name__ == '__main__':
    main()
