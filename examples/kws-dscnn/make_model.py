"""Makes model.onnx: MLPerf Tiny's keyword-spotting DS-CNN shape with random weights, and its data.

The network (input [1, 1, 49, 10]: 49 frames of 10 MFCC coefficients; output logits [1, 12]):

    Conv 1->64 10x4 stride 2, SAME padding (pads 4,1,5,1) -> BN -> ReLU      49x10 -> 25x5
    4 x [ Conv 64->64 3x3 pad 1 group=64 (depthwise) -> BN -> ReLU
          Conv 64->64 1x1 (pointwise)                 -> BN -> ReLU ]        25x5
    GlobalAveragePool -> Flatten -> Gemm 64 -> 12

2,656,768 MACs (conv 320,000; each block 72,000 + 512,000; FC 768), as in MLPerf Tiny's
DS-CNN. The convolutions are bias-free and BatchNormalization is left unfolded (qgc folds it).

The weights are RANDOM (seed 2026, He-style scaling), and so is the data: the model exists to
measure and verify a keyword-spotting-sized network, not to spot keywords; its accuracy means
nothing. The data imitates the shape and rough statistics of MFCC features (coefficient 0 large
and negative, higher coefficients smaller, smooth along time, a per-sample spectral envelope);
it is not audio. Only the FC layer is not purely random: its bias centers each pooled channel
on its mean over the calibration samples (computed here in numpy) and its random weights are
scaled by the channels' mean spread, so that the logits depend on the input instead of naming
one class for every sample.

Run with Debian's interpreter (python3-onnx, python3-numpy):
    /usr/bin/python3 examples/kws-dscnn/make_model.py
It writes model.onnx (opset 13, checked with onnx.checker), calib.npy and test_x.npy (float32
[64, 1, 49, 10] each, different draws) next to itself. Same seed, same bytes.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
FRAMES, COEFFS, CH, CLASSES, BLOCKS = 49, 10, 64, 12, 4
rng = np.random.default_rng(2026)
inits = []
nodes = []


def tensor(name, a):
    inits.append(numpy_helper.from_array(np.asarray(a, dtype=np.float32), name))
    return name


def conv_weight(name, cout, cin_per_group, kh, kw):
    fan_in = cin_per_group * kh * kw
    return tensor(name, rng.normal(size=(cout, cin_per_group, kh, kw)) * np.sqrt(2.0 / fan_in))


def conv_bn_relu(x, name, w, **attrs):
    nodes.append(helper.make_node('Conv', [x, w], [f'{name}.conv'], name=name, **attrs))
    bn = [tensor(f'{name}.bn.{p}', v) for p, v in (
        ('scale', rng.uniform(0.7, 1.3, CH)), ('bias', rng.normal(0, 0.1, CH)),
        ('mean', rng.normal(0, 0.1, CH)), ('var', rng.uniform(0.7, 1.3, CH)))]
    nodes.append(helper.make_node('BatchNormalization', [f'{name}.conv', *bn], [f'{name}.bn'], name=f'{name}.bn', epsilon=1e-3))
    nodes.append(helper.make_node('Relu', [f'{name}.bn'], [f'{name}.relu'], name=f'{name}.relu'))
    return f'{name}.relu'


def mfcc_like(n):
    """Random features with MFCC-like statistics: per-coefficient mean and spread, smooth in time."""
    mean = np.array([-30.0] + [0.0] * (COEFFS - 1))
    std = np.array([12.0] + [8.0 / (1 + 0.5 * k) for k in range(1, COEFFS)])
    z = rng.normal(size=(n, FRAMES + 4, COEFFS))
    smooth = (z[:, :-4] + z[:, 1:-3] + z[:, 2:-2] + z[:, 3:-1] + z[:, 4:]) / np.sqrt(5.0)
    # Plus a per-sample spectral envelope (one offset per coefficient, constant in time, as a
    # speaker or a microphone gives): it survives the global average pool.
    envelope = rng.normal(size=(n, 1, COEFFS))
    x = mean + std * (0.6 * smooth + 0.8 * envelope)
    return x.reshape(n, 1, FRAMES, COEFFS).astype(np.float32)


def forward_pooled(x):
    """The network up to the global average pool, in numpy (float64), from the tensors made so far."""
    t = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in inits}
    h = x.astype(np.float64)
    for node in nodes:
        a = {at.name: helper.get_attribute_value(at) for at in node.attribute}
        if node.op_type == 'Conv':
            h = conv(h, t[node.input[1]], a)
        elif node.op_type == 'BatchNormalization':
            g, b, m, v = (t[n][None, :, None, None] for n in node.input[1:])
            h = (h - m) / np.sqrt(v + a['epsilon']) * g + b
        else:
            h = np.maximum(h, 0)
    return h.mean(axis=(2, 3))


def conv(x, w, a):
    """Conv with pads [top, left, bottom, right], stride, group 1 or = channels, in numpy."""
    top, left, bottom, right = a.get('pads', [0, 0, 0, 0])
    sh, sw = a.get('strides', [1, 1])
    kh, kw = a['kernel_shape']
    x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    oh, ow = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
    y = np.zeros((x.shape[0], w.shape[0], oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
            if a.get('group', 1) == 1:
                y += np.einsum('nchw,oc->nohw', patch, w[:, :, i, j])
            else:
                y += patch * w[None, :, 0, i, j, None, None]
    return y


def main():
    x = conv_bn_relu('input', 'conv1', conv_weight('conv1.w', CH, 1, 10, 4), kernel_shape=[10, 4], strides=[2, 2], pads=[4, 1, 5, 1])
    for b in range(1, BLOCKS + 1):
        x = conv_bn_relu(x, f'dw{b}', conv_weight(f'dw{b}.w', CH, 1, 3, 3), kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=CH)
        x = conv_bn_relu(x, f'pw{b}', conv_weight(f'pw{b}.w', CH, CH, 1, 1), kernel_shape=[1, 1])
    nodes.append(helper.make_node('GlobalAveragePool', [x], ['gap'], name='gap'))
    nodes.append(helper.make_node('Flatten', ['gap'], ['gap_flat'], name='flatten', axis=1))
    # The pooled ReLU features of a random network differ far more between channels than between
    # inputs, so random FC weights alone would pick the same class for every input. The FC layer
    # therefore centers each pooled channel on its mean over the calibration data (its bias) and
    # scales its random weights by the channels' mean spread: the logits then depend on the input.
    # (One scale for all channels: dividing each by its own spread would blow up near-constant
    # channels, and one int8 step of those would move the logits by many steps.)
    calib = mfcc_like(64)
    pooled = forward_pooled(calib)
    w = rng.normal(size=(CLASSES, CH)) * np.sqrt(1.0 / CH) / (pooled.std(axis=0).mean() + 1e-6)
    fc_w = tensor('fc.w', w)
    fc_b = tensor('fc.b', -w @ pooled.mean(axis=0))
    nodes.append(helper.make_node('Gemm', ['gap_flat', fc_w, fc_b], ['logits'], name='fc', transB=1))
    graph = helper.make_graph(
        nodes, 'kws_dscnn',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 1, FRAMES, COEFFS])],
        [helper.make_tensor_value_info('logits', TensorProto.FLOAT, [1, CLASSES])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='qgc examples/kws-dscnn/make_model.py')
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, 'model.onnx'))
    np.save(os.path.join(HERE, 'calib.npy'), calib)
    np.save(os.path.join(HERE, 'test_x.npy'), mfcc_like(64))


if __name__ == '__main__':
    main()
