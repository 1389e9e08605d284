"""Writes onnx's node test cases out as files, in the layout of Debian's libonnx-testdata.

    .venv-onnx/bin/python scripts/onnx-node-cases.py [OUT_DIR]   (default .cache/onnx-1.23-node)

The onnx Python package (1.23.1 in CI) builds its node cases in memory
(onnx.backend.test.case.node.collect_testcases); this script saves each as
OUT_DIR/<case>/model.onnx and OUT_DIR/<case>/test_data_set_<k>/{input,output}_<j>.pb,
which is what test/support/conformance.ts reads. Cases whose inputs or outputs are not tensors
(sequences, optionals, maps) are written too, as ONNX writes them, so the test can list them.
OUT_DIR/manifest.json records the onnx version, the case count and each case's tolerances; the
folder is rebuilt from scratch on every run, so it never mixes two onnx versions.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import warnings

import onnx
from onnx import TensorProto, numpy_helper
from onnx.backend.test.case import node as node_cases


def serialize_value(value, value_info) -> bytes:
    """One input or output value as the .pb ONNX's own data files use."""
    kind = value_info.type.WhichOneof("value")
    name = value_info.name
    if kind == "sequence_type":
        return numpy_helper.from_list(value, name).SerializeToString()
    if kind == "optional_type":
        return numpy_helper.from_optional(value, name).SerializeToString()
    if kind == "map_type":
        return numpy_helper.from_dict(value, name).SerializeToString()
    if isinstance(value, TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(value, name).SerializeToString()


def write_case(root: str, case) -> None:
    case_dir = os.path.join(root, case.name)
    os.makedirs(case_dir)
    with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    graph = case.model.graph
    for k, (inputs, outputs) in enumerate(case.data_sets):
        set_dir = os.path.join(case_dir, f"test_data_set_{k}")
        os.makedirs(set_dir)
        for prefix, values, infos in (("input", inputs, graph.input), ("output", outputs, graph.output)):
            for j, value in enumerate(values):
                with open(os.path.join(set_dir, f"{prefix}_{j}.pb"), "wb") as f:
                    f.write(serialize_value(value, infos[j]))


def main() -> int:
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(".cache", f"onnx-{'.'.join(onnx.__version__.split('.')[:2])}-node")
    start = time.monotonic()
    # onnx's case generators divide by zero on purpose (expected infinities); numpy warns.
    warnings.simplefilter("ignore", RuntimeWarning)
    cases = node_cases.collect_testcases(None)
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root)
    manifest = {"onnx": onnx.__version__, "cases": {}}
    for case in sorted(cases, key=lambda c: c.name):
        write_case(root, case)
        manifest["cases"][case.name] = {"rtol": case.rtol, "atol": case.atol}
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"onnx-node-cases: {len(cases)} cases of onnx {onnx.__version__} in {root} ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
