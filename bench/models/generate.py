"""Writes ResNet-50 and MobileNetV2 (the torchvision architectures, written out here; random
weights; batch 1, 3x224x224) as ONNX for bench/compile-time.ts, plus 8 random calibration
images (.npy, float32 [8, 3, 224, 224]).

    python bench/models/generate.py OUT_DIR

Needs torch and onnx (a venv: pip install torch==2.13.* onnx onnxscript). The files are
~100 MB: they go into a git-ignored cache, never into the repository. Seeded, so the same
versions give the same files.
"""
import os
import sys

import numpy as np
import torch
from torch import nn


def conv_bn(cin, cout, k, stride=1, groups=1, relu=True, relu6=False):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU6() if relu6 else nn.ReLU())
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.body = nn.Sequential(conv_bn(cin, width, 1), conv_bn(width, width, 3, stride), conv_bn(width, cout, 1, relu=False))
        self.down = conv_bn(cin, cout, 1, stride, relu=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        return torch.relu(self.body(x) + (self.down(x) if self.down is not None else x))


def resnet50():
    layers = [conv_bn(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for i in range(blocks):
            layers.append(Bottleneck(cin, width, stride if i == 0 else 1))
            cin = width * 4
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [conv_bn(cin, hidden, 1, relu6=True)] if expand != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden, relu6=True), conv_bn(hidden, cout, 1, relu=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def mobilenetv2():
    layers = [conv_bn(3, 32, 3, 2, relu6=True)]
    cin = 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
            cin = c
    layers += [conv_bn(cin, 1280, 1, relu6=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 1000)]
    return nn.Sequential(*layers)


MODELS = {"resnet50": resnet50, "mobilenetv2": mobilenetv2}


def main() -> None:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, build in MODELS.items():
        path = os.path.join(out, f"{name}.onnx")
        if os.path.exists(path):
            continue
        torch.manual_seed(0)
        model = build().eval()
        # Random but trained-looking BatchNorm statistics, so activations stay in range.
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
        x = torch.randn(1, 3, 224, 224)
        tmp = path + ".tmp"
        # The TorchScript exporter: one file, no external data, opset 17.
        torch.onnx.export(model, (x,), tmp, input_names=["input"], output_names=["logits"], opset_version=17, dynamo=False)
        os.replace(tmp, path)
        print(f"wrote {path}")
    calib = os.path.join(out, "calib8.npy")
    if not os.path.exists(calib):
        rng = np.random.default_rng(0)
        np.save(calib, rng.standard_normal((8, 3, 224, 224), dtype=np.float32))
        print(f"wrote {calib}")


if __name__ == "__main__":
    main()
