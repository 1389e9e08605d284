"""Writes qdq-uint8.onnx: a small QDQ model with uint8 activations, built by hand with the
onnx helper, for test/qdq.test.ts (lowerQdq's uint8 -> int8 zero-point shift).

  input f32[1,2,6,6] -> Q(u8, zp 100) -> DQ -> Conv(int8 weights per channel, int32 bias)
  -> Relu -> Q(u8, zp 0) -> DQ -> MaxPool 2x2 -> Q (same params) -> DQ -> Flatten
  -> Q -> DQ -> Gemm(uint8 weights, zero point 128, per tensor; int32 bias) -> Q(u8, zp 131)
  -> DQ -> Softmax -> Q(u8, 1/256, zp 0) -> DQ -> output f32[1,4]

Usage: /usr/bin/python3 test/data/gen-qdq-uint8.py  (deterministic: fixed seed)
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240611)


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def q(x, s, z, out):
    return helper.make_node("QuantizeLinear", [x, s, z], [out], name=out + "_q")


def dq(x, s, z, out, axis=None):
    kw = {} if axis is None else {"axis": axis}
    return helper.make_node("DequantizeLinear", [x, s, z], [out], name=out + "_dq", **kw)


inits = []
nodes = []


def params(name, scale, zp, dtype=np.uint8):
    inits.append(const(name + "_s", np.float32(scale)))
    inits.append(const(name + "_z", dtype(zp)))
    return name + "_s", name + "_z"


# Input quantization (uint8, zero point 100).
s_in, z_in = params("x", 0.02, 100)
nodes += [q("input", s_in, z_in, "x_q"), dq("x_q", s_in, z_in, "x_f")]

# Conv: 3 output channels, int8 weights per channel (zero point 0), int32 bias at s_in * s_w.
w = rng.integers(-127, 128, size=(3, 2, 3, 3)).astype(np.int8)
w_s = np.array([0.004, 0.0025, 0.006], np.float32)
b = rng.integers(-3000, 3000, size=3).astype(np.int32)
inits += [const("w", w), const("w_s", w_s), const("w_z", np.zeros(3, np.int8)),
          const("b", b), const("b_s", (np.float32(0.02) * w_s).astype(np.float32)), const("b_z", np.zeros(3, np.int32))]
nodes += [dq("w", "w_s", "w_z", "w_f", axis=0), dq("b", "b_s", "b_z", "b_f", axis=0),
          helper.make_node("Conv", ["x_f", "w_f", "b_f"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
          helper.make_node("Relu", ["c"], ["c_relu"], name="relu")]
s_c, z_c = params("c", 0.05, 0)
nodes += [q("c_relu", s_c, z_c, "c_q"), dq("c_q", s_c, z_c, "c_f"),
          helper.make_node("MaxPool", ["c_f"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
          q("p", s_c, z_c, "p_q"), dq("p_q", s_c, z_c, "p_f"),
          helper.make_node("Flatten", ["p_f"], ["fl"], name="flatten", axis=1),
          q("fl", s_c, z_c, "fl_q"), dq("fl_q", s_c, z_c, "fl_f")]

# Gemm: 27 -> 4, uint8 weights with zero point 128 per tensor (symmetric after the shift).
g = rng.integers(1, 256, size=(4, 27)).astype(np.uint8)
g_s = np.float32(0.003)
gb = rng.integers(-500, 500, size=4).astype(np.int32)
inits += [const("g", g), const("g_s", g_s), const("g_z", np.uint8(128)),
          const("gb", gb), const("gb_s", np.float32(np.float32(0.05) * g_s)), const("gb_z", np.int32(0))]
nodes += [dq("g", "g_s", "g_z", "g_f"), dq("gb", "gb_s", "gb_z", "gb_f"),
          helper.make_node("Gemm", ["fl_f", "g_f", "gb_f"], ["y"], name="fc", transB=1)]
s_y, z_y = params("y", 0.04, 131)
nodes += [q("y", s_y, z_y, "y_q"), dq("y_q", s_y, z_y, "y_f"),
          helper.make_node("Softmax", ["y_f"], ["sm"], name="softmax", axis=-1)]
s_o, z_o = params("sm", 1 / 256, 0)
nodes += [q("sm", s_o, z_o, "sm_q"), dq("sm_q", s_o, z_o, "output")]

graph = helper.make_graph(
    nodes, "qdq_uint8",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 2, 6, 6])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 4])],
    inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="gen-qdq-uint8.py")
model.ir_version = 7
onnx.checker.check_model(model, full_check=True)
onnx.save(model, os.path.join(HERE, "qdq-uint8.onnx"))
print("wrote", os.path.join(HERE, "qdq-uint8.onnx"))
