"""Makes model.onnx: a float model whose input has a symbolic batch and a symbolic audio length
(input 'audio': ['batch', 'samples']), as audio front ends are exported, and its data.

audio [batch, samples] -> Reshape [batch, 1, 1, samples] (shape [0, 1, 1, -1]) -> Conv 1x5,
stride 1x2, 4 channels -> Relu -> GlobalAveragePool -> Flatten -> Gemm (3 outputs): every size
but the last follows from the audio length, which qgc takes from the data it is given. The
weights are random (seed 5).

Run with Debian's interpreter (python3-onnx, python3-numpy):
    /usr/bin/python3 test/data/symbolic-audio/make_model.py
It writes model.onnx (opset 13, checked with onnx.checker), audio.npy (one clip, [1, 1280]),
clips.npy (5 clips, [5, 1280]) and calib.npy (16 clips, [16, 1280]) next to itself.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    rng = np.random.default_rng(5)
    f32 = lambda *s: rng.normal(size=s).astype(np.float32)
    inits = [
        numpy_helper.from_array(np.array([0, 1, 1, -1], np.int64), 'shape4'),
        numpy_helper.from_array(f32(4, 1, 1, 5) / np.sqrt(5), 'conv.w'),
        numpy_helper.from_array(0.1 * f32(4), 'conv.b'),
        numpy_helper.from_array(f32(3, 4) / 2, 'fc.w'),
        numpy_helper.from_array(0.1 * f32(3), 'fc.b'),
    ]
    N = helper.make_node
    nodes = [
        N('Reshape', ['audio', 'shape4'], ['x4'], name='reshape'),
        N('Conv', ['x4', 'conv.w', 'conv.b'], ['c'], name='conv', kernel_shape=[1, 5], strides=[1, 2]),
        N('Relu', ['c'], ['r'], name='relu'),
        N('GlobalAveragePool', ['r'], ['g'], name='gap'),
        N('Flatten', ['g'], ['f'], name='flatten', axis=1),
        N('Gemm', ['f', 'fc.w', 'fc.b'], ['scores'], name='fc', transB=1),
    ]
    graph = helper.make_graph(nodes, 'symbolic_audio',
        [helper.make_tensor_value_info('audio', TensorProto.FLOAT, ['batch', 'samples'])],
        [helper.make_tensor_value_info('scores', TensorProto.FLOAT, ['batch', 3])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='qgc test/data/symbolic-audio/make_model.py')
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(HERE, 'model.onnx'))
    t = np.arange(1280) / 16000
    def clips(n):
        f = rng.uniform(100, 2000, size=(n, 1))
        return (np.sin(2 * np.pi * f * t) * rng.uniform(0.2, 1, size=(n, 1)) + 0.05 * rng.normal(size=(n, 1280))).astype(np.float32)
    np.save(os.path.join(HERE, 'audio.npy'), clips(1))
    np.save(os.path.join(HERE, 'clips.npy'), clips(5))
    np.save(os.path.join(HERE, 'calib.npy'), clips(16))


if __name__ == '__main__':
    main()
