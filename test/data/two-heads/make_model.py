"""Makes model.onnx: a network with two inputs and two outputs, and its data.

Two branches (input a: [1, 1, 12, 12], input b: [1, 2, 12, 12]) each go through a 3x3 conv and
ReLU, are joined by a Concat along channels and feed a strided conv, global average pooling and
a fully connected head (output y1: [1, 5]); a second head reads branch b only (max pooling and a
fully connected layer: output y2: [1, 3]). The weights are random (seed 7): the model is for
checking that qgc compiles and verifies several inputs and outputs, not for accuracy.

Run with Debian's interpreter (python3-onnx, python3-numpy):
    /usr/bin/python3 test/data/two-heads/make_model.py
It writes model.onnx (opset 13, checked with onnx.checker), ca.npy / cb.npy (32 calibration
samples) and ta.npy / tb.npy (8 test samples) next to itself.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)


def weight(name, *shape):
    fan_in = int(np.prod(shape[1:]))
    return numpy_helper.from_array((rng.normal(size=shape) / np.sqrt(fan_in)).astype(np.float32), name)


def bias(name, n):
    return numpy_helper.from_array((0.1 * rng.normal(size=n)).astype(np.float32), name)


def main():
    inits = [
        weight('conv_a.w', 4, 1, 3, 3), bias('conv_a.b', 4),
        weight('conv_b.w', 4, 2, 3, 3), bias('conv_b.b', 4),
        weight('joint.w', 8, 8, 3, 3), bias('joint.b', 8),
        weight('fc1.w', 5, 8), bias('fc1.b', 5),
        weight('fc2.w', 3, 144), bias('fc2.b', 3),
    ]
    conv = lambda x, w, y, **kw: helper.make_node('Conv', [x, f'{w}.w', f'{w}.b'], [y], name=w, kernel_shape=[3, 3], **kw)
    nodes = [
        conv('a', 'conv_a', 'fa0', pads=[1, 1, 1, 1]),
        helper.make_node('Relu', ['fa0'], ['fa'], name='relu_a'),
        conv('b', 'conv_b', 'fb0', pads=[1, 1, 1, 1]),
        helper.make_node('Relu', ['fb0'], ['fb'], name='relu_b'),
        helper.make_node('Concat', ['fa', 'fb'], ['cat'], name='concat', axis=1),
        conv('cat', 'joint', 'j0', pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node('Relu', ['j0'], ['j'], name='relu_j'),
        helper.make_node('GlobalAveragePool', ['j'], ['gap'], name='gap'),
        helper.make_node('Flatten', ['gap'], ['gap_flat'], name='flatten1', axis=1),
        helper.make_node('Gemm', ['gap_flat', 'fc1.w', 'fc1.b'], ['y1'], name='fc1', transB=1),
        helper.make_node('MaxPool', ['fb'], ['pb'], name='pool_b', kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node('Flatten', ['pb'], ['pb_flat'], name='flatten2', axis=1),
        helper.make_node('Gemm', ['pb_flat', 'fc2.w', 'fc2.b'], ['y2'], name='fc2', transB=1),
    ]
    graph = helper.make_graph(
        nodes, 'two_heads',
        [helper.make_tensor_value_info('a', TensorProto.FLOAT, [1, 1, 12, 12]), helper.make_tensor_value_info('b', TensorProto.FLOAT, [1, 2, 12, 12])],
        [helper.make_tensor_value_info('y1', TensorProto.FLOAT, [1, 5]), helper.make_tensor_value_info('y2', TensorProto.FLOAT, [1, 3])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='qgc test/data/two-heads/make_model.py')
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, 'model.onnx'))
    data = {
        'ca': rng.normal(size=(32, 1, 12, 12)), 'cb': rng.normal(size=(32, 2, 12, 12)),
        'ta': rng.normal(size=(8, 1, 12, 12)), 'tb': rng.normal(size=(8, 2, 12, 12)),
    }
    for name, x in data.items():
        np.save(os.path.join(HERE, f'{name}.npy'), x.astype(np.float32))


if __name__ == '__main__':
    main()
