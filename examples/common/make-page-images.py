"""Writes FOLDER/images.json for a browser example: the first 8 test images of examples/fashion-mnist
(pixels in [0, 1], exactly the float32 values, in the model's input order [1, 1, 28, 28] flattened)
with their labels, for the page to classify.

    /usr/bin/python3 examples/common/make-page-images.py examples/wasm-page
"""
import json
import os
import sys

import numpy as np

if len(sys.argv) != 2:
    sys.exit('usage: make-page-images.py FOLDER')
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, '..', 'fashion-mnist')
x = np.load(os.path.join(SRC, 'test_x.npy'))[:8]
y = np.load(os.path.join(SRC, 'test_y.npy'))[:8]
# Every float32 pixel is written as the exact double it converts to, so the page reads the same bits.
images = [{'label': int(label), 'pixels': [float(v) for v in img.reshape(-1).astype(np.float32)]} for img, label in zip(x, y)]
with open(os.path.join(sys.argv[1], 'images.json'), 'w') as f:
    json.dump({'source': 'examples/fashion-mnist/test_x.npy [0:8]', 'images': images}, f, separators=(',', ':'))
    f.write('\n')
