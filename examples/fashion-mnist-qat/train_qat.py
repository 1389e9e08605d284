"""Quantization-aware training of a small CNN on Fashion-MNIST, exported as an int8 ONNX model.

PyTorch eager-mode QAT (torch.ao.quantization, fbgemm qconfig): QuantStub/DeQuantStub,
Conv+BN+ReLU fused for QAT, a short float warm-up, then fake-quantized training, convert() to
torch's int8 model, and torch.onnx.export of that int8 model (TorchScript exporter).

Usage:
  /tmp/venv-torch/bin/python examples/fashion-mnist-qat/train_qat.py            # torch 2.x -> model.onnx
  /usr/bin/python3 examples/fashion-mnist-qat/train_qat.py --out model-torch1.13.onnx  # Debian torch 1.13

Writes the model file and expected.json (or expected-<torch version>.json for --out other than
model.onnx) next to this file. Test data: examples/fashion-mnist/test_x.npy and test_y.npy (the
first 256 t10k images), read from there, not copied.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.ao.quantization as tq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))

import fmnist  # noqa: E402

OPSET = 13
TRAIN_COUNT = 60000   # all of the train set (a fixed, seeded order); about a minute on one core
FLOAT_EPOCHS = 2
QAT_EPOCHS = 2


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)          # 28 -> 14
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.AvgPool2d(2)          # 14 -> 7
        self.fc = nn.Linear(32 * 7 * 7, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(x))))
        x = torch.flatten(x, 1)
        x = self.fc(x)
        return self.dequant(x)


def train(model, x, y, epochs, lr, seed, label):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.RandomState(seed)
    xb_all, yb_all = torch.from_numpy(x), torch.from_numpy(y)
    n, bs = x.shape[0], 128
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.from_numpy(rng.permutation(n))
        correct = 0
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            out = model(xb_all[idx])
            loss = loss_fn(out, yb_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += (out.argmax(1) == yb_all[idx]).sum().item()
        print(f"{label} epoch {epoch + 1}/{epochs}: train acc {correct / n:.4f} ({time.time() - t0:.1f}s)", flush=True)


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    return float((model(torch.from_numpy(x)).argmax(1).numpy() == y).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="model.onnx")
    args = ap.parse_args()

    torch.manual_seed(0)
    np.random.seed(0)
    torch.set_num_threads(1)
    # The qconfig is fbgemm's either way; Debian's torch 1.13 is built without the FBGEMM kernels,
    # so its int8 model runs on oneDNN's x86 kernels (the same uint8-activation, reduce_range scheme).
    engines = torch.backends.quantized.supported_engines
    engine = "fbgemm" if "fbgemm" in engines else "onednn"
    torch.backends.quantized.engine = engine

    train_x, train_y = fmnist.load("train")
    idx = np.sort(np.random.RandomState(7).choice(train_x.shape[0], TRAIN_COUNT, replace=False))
    train_x, train_y = np.ascontiguousarray(train_x[idx]), train_y[idx]
    data = os.path.join(HERE, "..", "fashion-mnist")
    test_x = np.load(os.path.join(data, "test_x.npy"))
    test_y = np.load(os.path.join(data, "test_y.npy"))

    model = Net()
    train(model, train_x, train_y, FLOAT_EPOCHS, 2e-3, 0, "float")
    float_acc = accuracy(model, test_x, test_y)
    print(f"torch float accuracy (256 test images): {float_acc:.4f}")

    model.eval()
    model = tq.fuse_modules_qat(model.train(), [["conv1", "bn1", "relu1"], ["conv2", "bn2", "relu2"]])
    model.qconfig = tq.get_default_qat_qconfig("fbgemm")
    tq.prepare_qat(model, inplace=True)
    train(model, train_x, train_y, QAT_EPOCHS, 5e-4, 1, "qat")
    qat_acc = accuracy(model, test_x, test_y)
    print(f"torch fake-quant (QAT) accuracy: {qat_acc:.4f}")

    model.eval()
    qmodel = tq.convert(model)
    int8_logits = qmodel(torch.from_numpy(test_x)).detach().numpy()
    int8_acc = float((int8_logits.argmax(1) == test_y).mean())
    print(f"torch int8 accuracy (256 test images): {int8_acc:.4f}")

    out = os.path.join(HERE, args.out)
    dummy = torch.from_numpy(test_x[:1])
    kwargs = {}
    if int(torch.__version__.split(".")[0]) >= 2:
        kwargs["dynamo"] = False  # the TorchScript exporter: the one that writes quantized ops
    torch.onnx.export(qmodel, dummy, out, opset_version=OPSET, input_names=["input"],
                      output_names=["logits"], **kwargs)
    print(f"wrote {out} ({os.path.getsize(out)} bytes, torch {torch.__version__})")

    import onnx
    m = onnx.load(out)
    ops = sorted({n.op_type for n in m.graph.node})
    print(f"op types: {ops}")

    base = os.path.splitext(args.out)[0]
    exp = "expected.json" if args.out == "model.onnx" else f"expected-{base}.json"
    info = {
        "int8_accuracy": int8_acc,
        "float_accuracy": float_acc,
        "qat_fake_quant_accuracy": qat_acc,
        "test_count": int(test_y.shape[0]),
        "torch": torch.__version__,
        "quantized_engine": engine,
        "qconfig": "fbgemm",
        "opset": OPSET,
        "train_count": TRAIN_COUNT,
        "float_epochs": FLOAT_EPOCHS,
        "qat_epochs": QAT_EPOCHS,
        "model": args.out,
    }
    with open(os.path.join(HERE, exp), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    np.save(os.path.join(HERE, f"int8_logits-{base}.npy"), int8_logits.astype(np.float32))


if __name__ == "__main__":
    main()
