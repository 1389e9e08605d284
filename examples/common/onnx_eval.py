"""Minimal ONNX graph evaluator for the example models (no onnxruntime needed).

Interprets the ONNX graph node by node, following the ONNX operator
definitions and attributes (opset 13), using torch.nn.functional for the
heavy kernels. Only the operators used by the examples are supported.

Usage: /usr/bin/python3 examples/common/onnx_eval.py examples/fashion-mnist
Compares the ONNX output on test_x.npy with test_logits.npy and test_y.npy.
"""

import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _pad_nchw(x, pads, value=0.0):
    # ONNX pads for 2-D spatial: [top, left, bottom, right]
    t, l, b, r = pads
    if any(pads):
        x = F.pad(x, (l, r, t, b), value=value)
    return x


def run(model, feeds):
    env = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    env.update({k: torch.from_numpy(np.asarray(v)) for k, v in feeds.items()})
    for node in model.graph.node:
        a = _attrs(node)
        ins = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Constant":
            out = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
        elif op == "Conv":
            x, w = ins[0], ins[1]
            b = ins[2] if len(ins) > 2 else None
            assert a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
            x = _pad_nchw(x, a.get("pads", [0, 0, 0, 0]))
            out = F.conv2d(x, w, b, stride=a.get("strides", [1, 1]),
                           dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
        elif op == "BatchNormalization":
            x, s, bias, mean, var = ins
            eps = a.get("epsilon", 1e-5)
            shape = (1, -1, 1, 1)
            out = (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + eps) * s.reshape(shape) \
                + bias.reshape(shape)
        elif op == "Relu":
            out = torch.clamp(ins[0], min=0)
        elif op == "Clip":
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else None
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else None
            out = ins[0]
            if lo is not None:
                out = torch.maximum(out, lo)
            if hi is not None:
                out = torch.minimum(out, hi)
        elif op == "Add":
            out = ins[0] + ins[1]
        elif op == "MaxPool":
            assert a.get("ceil_mode", 0) == 0
            x = _pad_nchw(ins[0], a.get("pads", [0, 0, 0, 0]), value=float("-inf"))
            out = F.max_pool2d(x, a["kernel_shape"], stride=a.get("strides", [1, 1]),
                               dilation=a.get("dilations", [1, 1]))
        elif op == "AveragePool":
            assert a.get("ceil_mode", 0) == 0
            pads = a.get("pads", [0, 0, 0, 0])
            assert not any(pads) or a.get("count_include_pad", 0) == 1
            x = _pad_nchw(ins[0], pads)
            out = F.avg_pool2d(x, a["kernel_shape"], stride=a.get("strides", [1, 1]))
        elif op == "GlobalAveragePool":
            out = ins[0].mean(dim=(2, 3), keepdim=True)
        elif op == "Pad":
            assert a.get("mode", b"constant") in (b"constant", "constant")
            pads = ins[1].tolist()
            value = float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0
            r = len(pads) // 2
            tp = []
            for d in reversed(range(r)):
                tp += [pads[d], pads[d + r]]
            out = F.pad(ins[0], tp, value=value)
        elif op == "Shape":
            out = torch.tensor(list(ins[0].shape), dtype=torch.int64)
        elif op == "Gather":
            out = torch.index_select(ins[0], a.get("axis", 0), ins[1].reshape(-1)).reshape(
                list(ins[0].shape[:a.get("axis", 0)]) + list(ins[1].shape)
                + list(ins[0].shape[a.get("axis", 0) + 1:]))
        elif op == "Unsqueeze":
            out = ins[0]
            rank = out.dim() + ins[1].numel()
            for ax in sorted(int(v) % rank for v in ins[1].tolist()):
                out = out.unsqueeze(ax)
        elif op == "Concat":
            out = torch.cat(ins, dim=a["axis"])
        elif op == "Reshape":
            shape = [int(v) for v in ins[1].tolist()]
            shape = [ins[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
            out = ins[0].reshape(shape)
        elif op == "Flatten":
            axis = a.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:axis])), -1)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            C = ins[2] if len(ins) > 2 else None
            if a.get("transA", 0):
                A = A.t()
            if a.get("transB", 0):
                B = B.t()
            out = a.get("alpha", 1.0) * (A @ B)
            if C is not None:
                out = out + a.get("beta", 1.0) * C
        elif op == "Identity":
            out = ins[0]
        else:
            raise NotImplementedError(op)
        assert len(node.output) == 1, (op, node.output)
        env[node.output[0]] = out
    return {o.name: env[o.name].numpy() for o in model.graph.output}


def check(example_dir):
    model = onnx.load(os.path.join(example_dir, "model.onnx"))
    x = np.load(os.path.join(example_dir, "test_x.npy"))
    y = np.load(os.path.join(example_dir, "test_y.npy"))
    ref = np.load(os.path.join(example_dir, "test_logits.npy"))
    with torch.no_grad():
        logits = run(model, {"input": x})["logits"]
    diff = float(np.abs(logits - ref).max())
    acc = float((logits.argmax(1) == y).mean())
    agree = float((logits.argmax(1) == ref.argmax(1)).mean())
    with open(os.path.join(example_dir, "expected.json")) as f:
        expected = json.load(f)
    print(f"{example_dir}: max |onnx - torch| = {diff:.3g}, argmax agreement {agree:.4f}, "
          f"onnx accuracy {acc:.4f} (expected {expected['accuracy']:.4f})")
    return diff < 1e-3 and abs(acc - expected["accuracy"]) < 1e-6


if __name__ == "__main__":
    ok = all([check(d) for d in sys.argv[1:]])
    sys.exit(0 if ok else 1)
