"""A small quantile MLP in numpy, trained with the pinball loss, exported to ONNX.

Graph (dense ops only, runs on any ONNX execution provider, CUDA included):
  h1 = relu(x W1 + b1); h2 = relu(h1 W2 + b2); o = h2 W3 + b3
  q50 = o0; q90 = q50 + softplus(o1); q99 = q90 + softplus(o2)   (quantiles never cross)
"""
from __future__ import annotations

import numpy as np

QUANTILES = np.array([0.5, 0.9, 0.99])


def softplus(z):
    return np.logaddexp(0.0, z)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class QuantileMLP:
    def __init__(self, n_in: int, hidden: int, rng: np.random.Generator):
        def he(a, b):
            return rng.normal(0.0, np.sqrt(2.0 / a), size=(a, b))

        self.params = {
            "W1": he(n_in, hidden), "b1": np.zeros(hidden),
            "W2": he(hidden, hidden), "b2": np.zeros(hidden),
            "W3": he(hidden, 3) * 0.1, "b3": np.array([1.0, -1.0, -1.0]),
        }

    def forward(self, X):
        p = self.params
        z1 = X @ p["W1"] + p["b1"]
        h1 = np.maximum(z1, 0)
        z2 = h1 @ p["W2"] + p["b2"]
        h2 = np.maximum(z2, 0)
        o = h2 @ p["W3"] + p["b3"]
        q50 = o[:, 0]
        q90 = q50 + softplus(o[:, 1])
        q99 = q90 + softplus(o[:, 2])
        return np.stack([q50, q90, q99], axis=1), (X, z1, h1, z2, h2, o)

    def loss_and_grads(self, X, y):
        Q, (X, z1, h1, z2, h2, o) = self.forward(X)
        r = y[:, None] - Q
        loss = np.mean(np.sum(np.maximum(QUANTILES * r, (QUANTILES - 1) * r), axis=1))
        dQ = np.where(r > 0, -QUANTILES, 1 - QUANTILES) / len(y)
        # back through the non-crossing head
        do = np.empty_like(o)
        d99 = dQ[:, 2]
        d90 = dQ[:, 1] + d99
        d50 = dQ[:, 0] + d90
        do[:, 0] = d50
        do[:, 1] = d90 * sigmoid(o[:, 1])
        do[:, 2] = d99 * sigmoid(o[:, 2])
        p = self.params
        g = {"W3": h2.T @ do, "b3": do.sum(0)}
        dh2 = do @ p["W3"].T * (z2 > 0)
        g["W2"], g["b2"] = h1.T @ dh2, dh2.sum(0)
        dh1 = dh2 @ p["W2"].T * (z1 > 0)
        g["W1"], g["b1"] = X.T @ dh1, dh1.sum(0)
        return loss, g

    def loss(self, X, y):
        Q, _ = self.forward(X)
        r = y[:, None] - Q
        return float(np.mean(np.sum(np.maximum(QUANTILES * r, (QUANTILES - 1) * r), axis=1)))


def train(model: QuantileMLP, X, y, Xv, yv, rng, epochs=30, batch=512, lr=1e-3, log=print):
    """Adam on the pinball loss; keeps the epoch with the best validation loss."""
    from optim import fit

    return fit(model.params, len(y), lambda idx: model.loss_and_grads(X[idx], y[idx])[1],
               lambda: (v := model.loss(Xv, yv), f"train pinball {model.loss(X[:20000], y[:20000]):.4f}, validation {v:.4f}"),
               rng, epochs=epochs, batch=batch, lr=lr, patience=5, log=log)


def to_onnx(model: QuantileMLP, n_in: int, metadata: dict[str, str]):
    from onnx import TensorProto, helper, numpy_helper

    p = {k: np.asarray(v, dtype=np.float32) for k, v in model.params.items()}
    inits = [numpy_helper.from_array(p[k], k) for k in ("W1", "b1", "W2", "b2", "W3", "b3")]
    inits += [
        numpy_helper.from_array(np.array([0], dtype=np.int64), "i0"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "i1"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "i2"),
        numpy_helper.from_array(np.array([3], dtype=np.int64), "i3"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("MatMul", ["features", "W1"], ["m1"]),
        helper.make_node("Add", ["m1", "b1"], ["z1"]),
        helper.make_node("Relu", ["z1"], ["h1"]),
        helper.make_node("MatMul", ["h1", "W2"], ["m2"]),
        helper.make_node("Add", ["m2", "b2"], ["z2"]),
        helper.make_node("Relu", ["z2"], ["h2"]),
        helper.make_node("MatMul", ["h2", "W3"], ["m3"]),
        helper.make_node("Add", ["m3", "b3"], ["o"]),
        helper.make_node("Slice", ["o", "i0", "i1", "axis1"], ["q50"]),
        helper.make_node("Slice", ["o", "i1", "i2", "axis1"], ["o1"]),
        helper.make_node("Slice", ["o", "i2", "i3", "axis1"], ["o2"]),
        helper.make_node("Softplus", ["o1"], ["s1"]),
        helper.make_node("Softplus", ["o2"], ["s2"]),
        helper.make_node("Add", ["q50", "s1"], ["q90"]),
        helper.make_node("Add", ["q90", "s2"], ["q99"]),
        helper.make_node("Concat", ["q50", "q90", "q99"], ["quantiles"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "foresight_forecaster",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_in])],
        [helper.make_tensor_value_info("quantiles", TensorProto.FLOAT, ["batch", 3])],
        inits,
    )
    from onnx_export import finish_model

    return finish_model(graph, metadata)
