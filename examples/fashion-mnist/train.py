"""Train a small Conv-BN-ReLU CNN on Fashion-MNIST and export it to ONNX.

Usage: /usr/bin/python3 examples/fashion-mnist/train.py
Writes model.onnx, calib.npy, test_x.npy, test_y.npy, test_logits.npy and
expected.json next to this file.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))

import torch.nn as nn  # noqa: E402

import trainutil  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),                      # 28 -> 14
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.AvgPool2d(2),                      # 14 -> 7
        )
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)  # exports as Shape/Gather/Unsqueeze/Concat -> Reshape
        return self.fc(x)


if __name__ == "__main__":
    trainutil.run_example(HERE, Net, "fashion-mnist-cnn", epochs=4,
                          required_ops=("BatchNormalization", "Conv", "MaxPool", "AveragePool",
                                        "Reshape", "Gemm"))
