"""Train a small residual CNN on Fashion-MNIST and export it to ONNX.

Usage: /usr/bin/python3 examples/fashion-mnist-residual/train.py
Writes model.onnx, calib.npy, test_x.npy, test_y.npy, test_logits.npy and
expected.json next to this file.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import trainutil  # noqa: E402


class ResBlock(nn.Module):
    """out = relu(shortcut(x) + bn2(conv2(relu(bn1(conv1(x))))))

    shortcut is the identity when cin == cout, else 1x1 Conv + BN.
    """

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        if cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(self.shortcut(x) + y)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
        )
        self.pool1 = nn.MaxPool2d(2)        # 28 -> 14
        self.block1 = ResBlock(16, 16)      # identity shortcut, 14x14
        self.pool2 = nn.MaxPool2d(2)        # 14 -> 7
        self.block2 = ResBlock(16, 32)      # 1x1 Conv + BN projection shortcut, 7x7
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = self.stem(x)
        x = self.block1(self.pool1(x))
        x = self.block2(self.pool2(x))
        x = torch.flatten(x, 1)             # Flatten
        return self.fc(x)


if __name__ == "__main__":
    trainutil.run_example(HERE, Net, "fashion-mnist-residual", epochs=4,
                          required_ops=("BatchNormalization", "Conv", "Add", "Relu", "MaxPool",
                                        "Gemm"))
