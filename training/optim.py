"""Adam (Kingma & Ba 2015) with early stopping on a validation loss, shared by both models."""
from __future__ import annotations

from typing import Callable

import numpy as np


def fit(params: dict[str, np.ndarray], n: int, grads: Callable[[np.ndarray], dict[str, np.ndarray]],
        validate: Callable[[], tuple[float, str]], rng: np.random.Generator, *, epochs: int, batch: int = 512,
        lr: float = 1e-3, patience: int = 5, log=print) -> float:
    """Minibatch Adam over n samples (grads(indices) → gradients); after each epoch,
    validate() → (loss, message). Restores the parameters of the best epoch; returns its loss."""
    b1, b2, eps = 0.9, 0.999, 1e-8
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    step, best, best_params, waited = 0, np.inf, None, 0
    for epoch in range(epochs):
        order = rng.permutation(n)
        for i in range(0, n, batch):
            g = grads(order[i : i + batch])
            step += 1
            for k in params:
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
                params[k] -= lr * (m[k] / (1 - b1**step)) / (np.sqrt(v[k] / (1 - b2**step)) + eps)
        val, msg = validate()
        log(f"  epoch {epoch + 1:2d}: {msg}")
        if val < best - 1e-5:
            best, best_params, waited = val, {k: p.copy() for k, p in params.items()}, 0
        else:
            waited += 1
            if waited >= patience:
                break
    params.update(best_params)
    return best
