"""The last step of both models' ONNX export: model, opset 17, metadata, checker."""
from __future__ import annotations


def finish_model(graph, metadata: dict[str, str]):
    import onnx
    from onnx import helper

    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="foresight-training")
    m.ir_version = 8
    for k, v in metadata.items():
        m.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.checker.check_model(m)
    return m
