"""The model version is a content hash of the training data, code and parameters (versioning.py):
the same inputs give the same version, a changed trace file, a changed code file or another
parameter gives another. Run: python3 training/test_versioning.py"""
from __future__ import annotations

import os
import sys
import tempfile
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import versioning  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "a.csv"), "w") as f:
            f.write("timestamp_unix_s,value\n0,1\n300,2\n")
        params = {"seed": 0, "epochs": 1, "traces": d, "out": "x"}
        v1 = versioning.model_version("forecaster-1.0.0", versioning.provenance(d, ["a.csv"], params))
        assert v1 == versioning.model_version("forecaster-1.0.0", versioning.provenance(d, ["a.csv"], {**params, "out": "elsewhere"})), "same inputs, same version"
        assert v1.startswith("forecaster-1.0.0+") and len(v1) == len("forecaster-1.0.0+") + 12, v1
        prov = versioning.provenance(d, ["a.csv"], params)
        assert prov["files"] == [{"file": "a.csv", "sha256": prov["files"][0]["sha256"], "rows": 2}], prov["files"]

        with open(os.path.join(d, "a.csv"), "a") as f:
            f.write("600,3\n")
        v2 = versioning.model_version("forecaster-1.0.0", versioning.provenance(d, ["a.csv"], params))
        assert v2 != v1, "a changed trace changes the version"

        v3 = versioning.model_version("forecaster-1.0.0", versioning.provenance(d, ["a.csv"], {**params, "epochs": 2}))
        assert v3 != v2, "another parameter changes the version"

        with mock.patch.object(versioning, "code_hash", return_value="0" * 64):
            v4 = versioning.model_version("forecaster-1.0.0", versioning.provenance(d, ["a.csv"], params))
        assert v4 != v2, "changed code changes the version"
    files = versioning.code_files()
    assert {"train.py", "features.py", "mlp.py", "versioning.py"} <= set(files), files
    assert not {"detector.py", "nab_eval.py", "anomaly_card.py", "model_card.py"} & set(files), f"the anomaly detector's code must not move the forecaster's version: {files}"
    print(f"versioning: 5 cases pass; the forecaster's version hashes {', '.join(files)}")


if __name__ == "__main__":
    main()
