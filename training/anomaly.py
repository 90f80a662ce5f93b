"""The anomaly model: from the previous 47 values of a series, predict the distribution of
the next value (mean μ and log σ, trained with the Gaussian negative log-likelihood on the
real traces); with z = |x − μ| / σ the surprise of the new value x, the anomaly score is
z / (z + 5): in [0, 1), monotonic in z (z = 3 → 0.375, z = 10 → 0.667, z = 45 → 0.9), and
never saturating, so thresholds stay distinguishable. Causal by construction: it sees only
the window ending at the scored point.

Normalisation (TypeScript twin: src/scoring/anomaly-features.ts): the 48-value window is
centred and scaled by the mean m and standard deviation s of its first 47 values, with
s ≥ max(0.01 |m|, 1e-6), and clipped to ±50.

Graph (dense and elementwise ops only):
  context = window[:, :47]; x = window[:, 47:48]
  h = relu(relu(context W1 + b1) W2 + b2); o = h W3 + b3
  μ = o0; logσ = clip(o1, −4, 4); z = |x − μ| · exp(−logσ); score = z / (z + 5)
"""
from __future__ import annotations

import math

import numpy as np

WINDOW = 48
CONTEXT = WINDOW - 1
Z_HALF = 5.0  # the surprise z that scores 0.5


def normalise(window: np.ndarray) -> np.ndarray:
    ctx = window[:CONTEXT]
    m = float(ctx.mean())
    s = max(float(ctx.std()), 0.01 * abs(m), 1e-6)
    return np.clip((window - m) / s, -50.0, 50.0)


def windows_of(values: np.ndarray, ts: np.ndarray) -> np.ndarray:
    return np.stack([normalise(values[t - CONTEXT : t + 1]) for t in ts])


class GaussianMLP:
    def __init__(self, hidden: int, rng: np.random.Generator):
        def he(a, b):
            return rng.normal(0.0, np.sqrt(2.0 / a), size=(a, b))

        self.params = {"W1": he(CONTEXT, hidden), "b1": np.zeros(hidden), "W2": he(hidden, hidden), "b2": np.zeros(hidden),
                       "W3": he(hidden, 2) * 0.1, "b3": np.array([0.0, 0.0])}

    def forward(self, W):
        p = self.params
        z1 = W[:, :CONTEXT] @ p["W1"] + p["b1"]
        h1 = np.maximum(z1, 0)
        z2 = h1 @ p["W2"] + p["b2"]
        h2 = np.maximum(z2, 0)
        o = h2 @ p["W3"] + p["b3"]
        return o, (W, z1, h1, z2, h2)

    def nll_and_grads(self, W):
        o, (W, z1, h1, z2, h2) = self.forward(W)
        x = W[:, CONTEXT]
        mu, ls = o[:, 0], np.clip(o[:, 1], -4, 4)
        inv = np.exp(-2 * ls)
        r = x - mu
        nll = np.mean(0.5 * r * r * inv + ls)
        n = len(x)
        do = np.empty_like(o)
        do[:, 0] = -r * inv / n
        do[:, 1] = np.where((o[:, 1] > -4) & (o[:, 1] < 4), (1 - r * r * inv) / n, 0.0)
        p = self.params
        g = {"W3": h2.T @ do, "b3": do.sum(0)}
        dh2 = do @ p["W3"].T * (z2 > 0)
        g["W2"], g["b2"] = h1.T @ dh2, dh2.sum(0)
        dh1 = dh2 @ p["W2"].T * (z1 > 0)
        g["W1"], g["b1"] = W[:, :CONTEXT].T @ dh1, dh1.sum(0)
        return nll, g

    def nll(self, W):
        o, _ = self.forward(W)
        x = W[:, CONTEXT]
        ls = np.clip(o[:, 1], -4, 4)
        r = x - o[:, 0]
        return float(np.mean(0.5 * r * r * np.exp(-2 * ls) + ls))

    def score(self, W):
        o, _ = self.forward(W)
        z = np.abs(W[:, CONTEXT] - o[:, 0]) * np.exp(-np.clip(o[:, 1], -4, 4))
        return z / (z + Z_HALF)


def train(model, W, Wv, rng, epochs=20, batch=512, lr=1e-3, log=print):
    """Adam on the Gaussian negative log-likelihood; keeps the epoch with the best validation loss."""
    from optim import fit

    return fit(model.params, len(W), lambda idx: model.nll_and_grads(W[idx])[1],
               lambda: (v := model.nll(Wv), f"validation NLL {v:.4f}"), rng, epochs=epochs, batch=batch, lr=lr, patience=4, log=log)


def to_onnx(model: GaussianMLP, metadata: dict[str, str]):
    from onnx import TensorProto, helper, numpy_helper

    p = {k: np.asarray(v, dtype=np.float32) for k, v in model.params.items()}
    inits = [numpy_helper.from_array(p[k], k) for k in ("W1", "b1", "W2", "b2", "W3", "b3")]
    c = lambda name, arr: inits.append(numpy_helper.from_array(np.array(arr, dtype=np.int64 if isinstance(arr[0], int) else np.float32), name))  # noqa: E731
    c("i0", [0]); c("i1", [1]); c("i2", [2]); c("ictx", [CONTEXT]); c("iwin", [WINDOW]); c("axis1", [1])
    c("lo", [-4.0]); c("hi", [4.0]); c("zhalf", [Z_HALF])
    nodes = [
        helper.make_node("Slice", ["window", "i0", "ictx", "axis1"], ["context"]),
        helper.make_node("Slice", ["window", "ictx", "iwin", "axis1"], ["x"]),
        helper.make_node("MatMul", ["context", "W1"], ["m1"]), helper.make_node("Add", ["m1", "b1"], ["z1"]), helper.make_node("Relu", ["z1"], ["h1"]),
        helper.make_node("MatMul", ["h1", "W2"], ["m2"]), helper.make_node("Add", ["m2", "b2"], ["z2"]), helper.make_node("Relu", ["z2"], ["h2"]),
        helper.make_node("MatMul", ["h2", "W3"], ["m3"]), helper.make_node("Add", ["m3", "b3"], ["o"]),
        helper.make_node("Slice", ["o", "i0", "i1", "axis1"], ["mu"]),
        helper.make_node("Slice", ["o", "i1", "i2", "axis1"], ["ls_raw"]),
        helper.make_node("Max", ["ls_raw", "lo"], ["ls_lo"]), helper.make_node("Min", ["ls_lo", "hi"], ["ls"]),
        helper.make_node("Neg", ["ls"], ["nls"]), helper.make_node("Exp", ["nls"], ["inv_sigma"]),
        helper.make_node("Sub", ["x", "mu"], ["r"]), helper.make_node("Abs", ["r"], ["ar"]),
        helper.make_node("Mul", ["ar", "inv_sigma"], ["z"]), helper.make_node("Add", ["z", "zhalf"], ["zd"]),
        helper.make_node("Div", ["z", "zd"], ["score"]),
    ]
    graph = helper.make_graph(nodes, "foresight_anomaly",
                              [helper.make_tensor_value_info("window", TensorProto.FLOAT, ["batch", WINDOW])],
                              [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 1])], inits)
    from onnx_export import finish_model

    return finish_model(graph, metadata)
