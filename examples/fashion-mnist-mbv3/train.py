"""Train a small MobileNetV3-style network on Fashion-MNIST and export it to ONNX (opset 18).

The network has what makes MobileNetV3 hard for int8-only compilers: Hard-Swish activations,
squeeze-and-excite blocks (global average pool, 1x1 convs, HardSigmoid, a broadcast Mul) and a
residual Add around an inverted-residual block.

    stem      3x3 conv, stride 2, 1 -> 8 channels, BN, HardSwish          28 -> 14
    block 1   expand 1x1 8 -> 16, BN, HardSwish; depthwise 3x3, BN, HardSwish;
              SE (16 -> 4 -> 16, ReLU, HardSigmoid, Mul); project 1x1 16 -> 8, BN; + input
    block 2   expand 1x1 8 -> 24, BN, HardSwish; depthwise 3x3 stride 2, BN, HardSwish;  14 -> 7
              SE (24 -> 8 -> 24); project 1x1 24 -> 16, BN
    head      1x1 16 -> 32, BN, HardSwish; global average pool; Linear 32 -> 10

Needs torch 2.x (the exporter of torch 2.13 writes opset 18), onnx and onnxscript: Debian's
torch 1.13 exports only older opsets. In a git-ignored venv at the repository root:

    python3 -m venv .venv-torch
    .venv-torch/bin/pip install --retries 0 --timeout 2 'torch==2.13.*' onnx onnxscript
    .venv-torch/bin/python examples/fashion-mnist-mbv3/train.py

Writes model.onnx, calib.npy, test_x.npy, test_y.npy, test_logits.npy and expected.json next to
this file (the data slices are those of the other Fashion-MNIST examples: examples/common).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import fmnist  # noqa: E402
import trainutil  # noqa: E402

OPSET = 18
EPOCHS = 6


def conv_bn(cin, cout, k=1, stride=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.Hardswish())
    return nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    def __init__(self, c, squeezed):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(c, squeezed, 1)
        self.relu = nn.ReLU()
        self.expand = nn.Conv2d(squeezed, c, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        s = self.gate(self.expand(self.relu(self.reduce(self.pool(x)))))
        return x * s


class InvertedResidual(nn.Module):
    def __init__(self, cin, expanded, cout, stride, squeezed):
        super().__init__()
        self.residual = stride == 1 and cin == cout
        self.expand = conv_bn(cin, expanded)
        self.depthwise = conv_bn(expanded, expanded, 3, stride, groups=expanded)
        self.se = SqueezeExcite(expanded, squeezed)
        self.project = conv_bn(expanded, cout, act=False)

    def forward(self, x):
        y = self.project(self.se(self.depthwise(self.expand(x))))
        return x + y if self.residual else y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(1, 8, 3, 2)
        self.block1 = InvertedResidual(8, 16, 8, 1, 4)
        self.block2 = InvertedResidual(8, 24, 16, 2, 8)
        self.head = conv_bn(16, 32)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool(self.head(self.block2(self.block1(self.stem(x)))))
        return self.fc(torch.flatten(x, 1))


def export(model, path):
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28, dtype=torch.float32)
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.onnx.export(model, (dummy,), dynamo=True, opset_version=OPSET, input_names=["input"], output_names=["logits"],
                                dynamic_shapes={"x": {0: batch}}, optimize=True)
    program.save(path)


def main():
    trainutil.setup(seed=0, threads=1)
    model = Net()
    nparams = sum(p.numel() for p in model.parameters())
    print(f"fashion-mnist-mbv3: {nparams} parameters")
    train_x, train_y = fmnist.load("train")
    test_x_full, test_y_full = fmnist.load("t10k")
    _, test_x, test_y = fmnist.write_slices(HERE, train_x, test_x_full, test_y_full)
    train_s = trainutil.train(model, train_x, train_y, epochs=EPOCHS, batch_size=128, lr=4e-3, seed=0)
    print(f"training time: {train_s:.1f}s")
    model.eval()
    full_logits = trainutil.predict(model, test_x_full)
    full_acc = float((full_logits.argmax(1) == test_y_full).mean())
    logits = trainutil.predict(model, test_x)
    slice_acc = float((logits.argmax(1) == test_y).mean())
    np.save(os.path.join(HERE, "test_logits.npy"), logits.astype(np.float32))
    onnx_path = os.path.join(HERE, "model.onnx")
    export(model, onnx_path)
    _, op_types, _ = trainutil.verify_onnx(onnx_path)
    for op in ("HardSwish", "HardSigmoid", "Mul", "Add", "GlobalAveragePool"):
        if op not in op_types and not (op == "GlobalAveragePool" and "ReduceMean" in op_types):
            raise SystemExit(f"exported model lacks {op} nodes: {op_types}")
    fmnist.write_expected(HERE, slice_acc, full_acc, model="fashion-mnist-mbv3", opset=OPSET, epochs=EPOCHS,
                          train_seconds=round(train_s, 1), parameters=nparams, torch=torch.__version__)
    print(f"float accuracy on full test set (10000): {full_acc:.4f}")
    print(f"accuracy on test slice ({test_x.shape[0]}): {slice_acc:.4f}")


if __name__ == "__main__":
    main()
