"""Model versions that change with the training data and the training code (issue 13 §2).

A model's version is its base name plus a content hash: SHA-256 over the trace files it was
trained on (name and bytes, in name order), the training code (train.py and every training/*.py
it imports, directly or through another, in name order: the anomaly detector's files do not move
the forecaster's version) and the run's parameters (seed, epochs, ...). Retraining on other data,
with changed code or other parameters gives another version; retraining the same thing gives
the same one. The version travels in the ONNX metadata (`version`), so every recommendation
and alert names it (the processor reads it from there), and the model card lists the data.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _local_imports(name: str) -> set[str]:
    """The training/*.py modules a training file imports (at any depth of its code, e.g. inside a function)."""
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        tree = ast.parse(f.read(), name)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return {f"{m}.py" for m in found if os.path.isfile(os.path.join(HERE, f"{m}.py"))}


# writes the model card from the results: documentation, not code the weights depend on
NOT_TRAINING_CODE = {"model_card.py"}


def code_files(entry: str = "train.py") -> list[str]:
    """`entry` and the training files it imports, transitively: the code a model's weights depend on."""
    seen, todo = set(NOT_TRAINING_CODE), [entry]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_local_imports(name) - seen)
    return sorted(seen - NOT_TRAINING_CODE)


def code_hash() -> str:
    h = hashlib.sha256()
    for name in code_files():
        h.update(name.encode())
        h.update(_sha256(os.path.join(HERE, name)).encode())
    return h.hexdigest()


def data_files(traces_dir: str, names: list[str]) -> list[dict]:
    """Each trace file trained on: name, SHA-256, data rows (lines after the header)."""
    out = []
    for name in sorted(names):
        path = os.path.join(traces_dir, name)
        with open(path, "rb") as f:
            rows = max(0, sum(1 for line in f if line.strip()) - 1)
        out.append({"file": name, "sha256": _sha256(path), "rows": rows})
    return out


def provenance(traces_dir: str, names: list[str], params: dict) -> dict:
    """What a model was trained on and by: the metadata `training_data` and the model card read this."""
    files = data_files(traces_dir, names)
    data = hashlib.sha256("".join(f"{f['file']}:{f['sha256']}\n" for f in files).encode()).hexdigest()
    code = code_hash()
    run = {k: params[k] for k in sorted(params) if k not in ("traces", "out")}
    content = hashlib.sha256(json.dumps({"data": data, "code": code, "params": run}, sort_keys=True).encode()).hexdigest()
    return {"traces_dir": os.path.abspath(traces_dir), "files": files, "data_sha256": data, "code_sha256": code, "params": run, "content_sha256": content}


def model_version(base: str, prov: dict) -> str:
    """`forecaster-1.0.0+<12 hex>`: the base version and the first 48 bits of the content hash."""
    return f"{base}+{prov['content_sha256'][:12]}"


def fixtures_dir(out_dir: str) -> str:
    """Where the golden vectors go: the repo's test/fixtures for the shipped models (--out models), else
    beside the retrained model, so that retraining elsewhere never overwrites the parity tests' fixtures."""
    shipped = os.path.realpath(out_dir) == os.path.realpath(os.path.join(ROOT, "models"))
    return os.path.join(ROOT, "test", "fixtures") if shipped else os.path.join(out_dir, "fixtures")
