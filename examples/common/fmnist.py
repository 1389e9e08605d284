"""Tiny Fashion-MNIST helpers shared by the example training scripts.

Reads the gzipped IDX files shipped by the Debian package
``dataset-fashion-mnist`` (no network access needed) and writes the
``.npy`` data slices used by the examples.
"""

import gzip
import json
import os

import numpy as np

DATA_DIR = os.environ.get("FMNIST_DIR", "/usr/share/datasets/fashion-mnist")

CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]

CALIB_COUNT = 64
TEST_COUNT = 256


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    arr = np.frombuffer(data, dtype=np.uint8, offset=offset)
    return arr.reshape(dims)


def load(split):
    """Return (images, labels) for split 'train' or 't10k'.

    images: float32, N x 1 x 28 x 28, values in [0, 1]
    labels: int64, N
    """
    if split not in ("train", "t10k"):
        raise ValueError("split must be 'train' or 't10k'")
    x = _read_idx(os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz"))
    y = _read_idx(os.path.join(DATA_DIR, f"{split}-labels-idx1-ubyte.gz"))
    x = (x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return np.ascontiguousarray(x), y.astype(np.int64)


def calib_indices(n_train, count=CALIB_COUNT, seed=1234):
    """Fixed, reproducible indices into the train set for calibration data."""
    rng = np.random.RandomState(seed)
    return np.sort(rng.choice(n_train, size=count, replace=False))


def write_slices(out_dir, train_x, test_x, test_y, calib_count=CALIB_COUNT, test_count=TEST_COUNT):
    """Write calib.npy (train subset), test_x.npy and test_y.npy (first test images).

    Returns (calib, tx, ty) as written.
    """
    idx = calib_indices(train_x.shape[0], calib_count)
    calib = np.ascontiguousarray(train_x[idx], dtype=np.float32)
    tx = np.ascontiguousarray(test_x[:test_count], dtype=np.float32)
    ty = np.ascontiguousarray(test_y[:test_count], dtype=np.int64)
    np.save(os.path.join(out_dir, "calib.npy"), calib)
    np.save(os.path.join(out_dir, "test_x.npy"), tx)
    np.save(os.path.join(out_dir, "test_y.npy"), ty)
    return calib, tx, ty


def write_expected(out_dir, slice_acc, full_acc, test_count=TEST_COUNT, **extra):
    info = {
        # k/256 and k/10000 are written unrounded (repr of the float64)
        "accuracy": float(slice_acc),
        "test_count": int(test_count),
        "float_accuracy_full_test": float(full_acc),
    }
    info.update(extra)
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    return info
