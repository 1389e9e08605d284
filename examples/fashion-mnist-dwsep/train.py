"""Train a small depthwise-separable CNN (MobileNet-style) on Fashion-MNIST
and export it to ONNX.

Usage: /usr/bin/python3 examples/fashion-mnist-dwsep/train.py
Writes model.onnx, calib.npy, test_x.npy, test_y.npy, test_logits.npy and
expected.json next to this file.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))

import torch.nn as nn  # noqa: E402

import trainutil  # noqa: E402


def dwsep(cin, cout, stride):
    """Depthwise 3x3 (groups=cin) + BN + ReLU6, then pointwise 1x1 + BN + ReLU6."""
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
        nn.BatchNorm2d(cin),
        nn.ReLU6(),
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(),
    )


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False),   # 28 -> 14
            nn.BatchNorm2d(16),
            nn.ReLU6(),
            dwsep(16, 32, 1),                             # 14x14
            dwsep(32, 64, 2),                             # -> 7x7
            dwsep(64, 64, 1),                             # 7x7
        )
        self.pool = nn.AdaptiveAvgPool2d(1)               # GlobalAveragePool
        self.flatten = nn.Flatten()                       # Flatten
        self.fc = nn.Linear(64, 10)                       # Gemm

    def forward(self, x):
        return self.fc(self.flatten(self.pool(self.features(x))))


if __name__ == "__main__":
    trainutil.run_example(HERE, Net, "fashion-mnist-dwsep", epochs=4, lr=4e-3,
                          required_ops=("BatchNormalization", "Conv", "Clip", "GlobalAveragePool",
                                        "Flatten", "Gemm"))
