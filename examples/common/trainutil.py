"""Shared training / export helpers for the Fashion-MNIST example models.

Needs the Debian packages python3-torch and python3-onnx. Run the scripts
with /usr/bin/python3.
"""

import os
import time

import numpy as np
import torch
import torch.nn as nn

import fmnist

OPSET = 13


def setup(seed=0, threads=1):
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def train(model, train_x, train_y, epochs=3, batch_size=128, lr=2e-3, seed=0, log_every=100):
    """Plain Adam training with cosine LR decay and a fixed, seeded data order."""
    x = torch.from_numpy(train_x)
    y = torch.from_numpy(train_y)
    n = x.shape[0]
    steps_per_epoch = (n + batch_size - 1) // batch_size
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.15)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.RandomState(seed)
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.from_numpy(rng.permutation(n))
        total, correct, loss_sum = 0, 0, 0.0
        for step in range(steps_per_epoch):
            idx = perm[step * batch_size:(step + 1) * batch_size]
            xb, yb = x[idx], y[idx]
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * xb.shape[0]
            correct += (out.argmax(1) == yb).sum().item()
            total += xb.shape[0]
            if log_every and (step + 1) % log_every == 0:
                print(f"  epoch {epoch + 1} step {step + 1}/{steps_per_epoch} "
                      f"loss {loss_sum / total:.4f} acc {correct / total:.4f}", flush=True)
        print(f"epoch {epoch + 1}/{epochs}: loss {loss_sum / total:.4f} "
              f"train acc {correct / total:.4f} ({time.time() - t0:.1f}s)", flush=True)
    return time.time() - t0


@torch.no_grad()
def predict(model, x, batch_size=1000):
    model.eval()
    outs = []
    for i in range(0, x.shape[0], batch_size):
        outs.append(model(torch.from_numpy(x[i:i + batch_size])))
    return torch.cat(outs).numpy()


def export(model, path, opset=OPSET):
    """Export with BatchNormalization kept as separate (unfused) nodes.

    TrainingMode.EVAL makes torch run its eval peephole pass, which folds
    BatchNorm into the preceding Conv. TrainingMode.PRESERVE with the model
    already in eval() mode exports inference-mode BatchNormalization nodes
    without that fusion. Constant folding is disabled as well so the
    Shape/Gather/Unsqueeze/Concat -> Reshape flatten subgraph survives.
    """
    model.eval()
    dummy = torch.zeros(1, 1, 28, 28, dtype=torch.float32)
    torch.onnx.export(
        model, dummy, path,
        export_params=True,
        opset_version=opset,
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=False,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    )


def verify_onnx(path):
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    op_types = []
    for node in m.graph.node:
        if node.op_type not in op_types:
            op_types.append(node.op_type)
    opset = [(o.domain or "ai.onnx", o.version) for o in m.opset_import]
    counts = {}
    for node in m.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    inp = m.graph.input[0]
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    size = os.path.getsize(path)
    print(f"onnx: {path}")
    print(f"  size {size} bytes, opset {opset}, ir_version {m.ir_version}")
    print(f"  input {inp.name} {dims}, output {m.graph.output[0].name}")
    print(f"  op types: {op_types}")
    print(f"  node counts: {counts}")
    return m, op_types, counts


def run_example(out_dir, make_model, name, epochs=3, lr=2e-3, batch_size=128, seed=0,
                threads=1, required_ops=("BatchNormalization",)):
    # One intra-op thread: on the small (2-core, often busy) build machine this
    # was 2-4x faster than two threads, and it keeps the float reduction order fixed.
    setup(seed, threads)
    model = make_model()
    nparams = sum(p.numel() for p in model.parameters())
    print(f"{name}: {nparams} parameters")

    train_x, train_y = fmnist.load("train")
    test_x_full, test_y_full = fmnist.load("t10k")
    _, test_x, test_y = fmnist.write_slices(out_dir, train_x, test_x_full, test_y_full)

    train_s = train(model, train_x, train_y, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
    print(f"training time: {train_s:.1f}s")

    model.eval()
    full_logits = predict(model, test_x_full)
    full_acc = float((full_logits.argmax(1) == test_y_full).mean())
    logits = predict(model, test_x)
    slice_acc = float((logits.argmax(1) == test_y).mean())
    np.save(os.path.join(out_dir, "test_logits.npy"), logits.astype(np.float32))

    onnx_path = os.path.join(out_dir, "model.onnx")
    export(model, onnx_path)
    _, op_types, _ = verify_onnx(onnx_path)
    for op in required_ops:
        if op not in op_types:
            raise SystemExit(f"exported model lacks {op} nodes: {op_types}")

    fmnist.write_expected(out_dir, slice_acc, full_acc,
                          model=name, opset=OPSET, epochs=epochs,
                          train_seconds=round(train_s, 1), parameters=nparams)
    print(f"float accuracy on full test set (10000): {full_acc:.4f}")
    print(f"accuracy on test slice ({test_x.shape[0]}): {slice_acc:.4f}")
    return model
