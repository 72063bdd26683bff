"""EASE item-to-item ranking (Steck 2019), held in a compact form.

EASE learns a dense item x item weight matrix B = -P / diag(P) with P = (X'X + lam I)^-1 and
diag(B) = 0, where X is users x items (who rated what). With 9,000 movies B alone would take
hundreds of megabytes. The Woodbury identity gives P = (I - X' K X) / lam with
K = (lam I + X X')^-1, a users x users matrix (671 x 671 here), so the model keeps X and K and
computes any scores or single weights of B on demand, exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Ease:
    """The fitted weights in Woodbury form: B[i, j] = (X'KX)[i, j] / (lam * diag(P)[j]), i != j."""

    interactions: sp.csr_matrix   # X, users x items, 1 where a user rated an item
    kernel: np.ndarray            # K = (lam I + X X')^-1, float32
    scale: np.ndarray             # lam * diag(P) per item, float32
    lam: float

    @classmethod
    def fit(cls, interactions: sp.csr_matrix, lam: float) -> "Ease":
        X = interactions.astype(np.float64).tocsr()
        gram = (X @ X.T).toarray()
        kernel = np.linalg.inv(gram + lam * np.eye(gram.shape[0]))
        diag_xkx = np.asarray(X.T.multiply(X.T @ kernel).sum(axis=1)).ravel()
        scale = 1.0 - diag_xkx                                # lam * diag(P)
        return cls(X.astype(np.float32), kernel.astype(np.float32),
                   scale.astype(np.float32), float(lam))

    def scores(self, profile: sp.csr_matrix) -> np.ndarray:
        """profile (people x items, weights of what each rated) @ B, for all items at once."""
        X = self.interactions
        xkx = np.asarray(((profile @ X.T) @ self.kernel) @ X)   # profile @ X'KX
        # That also counts item j's own weight (X'KX)[j, j] = 1 - scale[j]; B's diagonal is zero.
        own = profile.multiply(1.0 - self.scale).toarray()
        return (xkx - own) / self.scale

    def weights(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """B[sources, targets]: how much rating each source item adds to each target's score."""
        X = self.interactions
        left = np.asarray(X[:, sources].T @ self.kernel)         # sources x users
        block = np.asarray(X[:, targets].T @ left.T).T           # sources x targets
        block[sources[:, None] == targets[None, :]] = 0.0
        return block / self.scale[targets]
