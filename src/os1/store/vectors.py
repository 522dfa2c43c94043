"""One user's memory vectors in RAM: exact search when small, an IVF index when large.

Vectors are unit length, so a dot product is the cosine similarity. Up to `IVF_MIN` vectors a
brute-force float32 scan takes a few milliseconds; past it, k-means lists (IVF) are built and a
query scans only the lists nearest to it, plus whatever was added since the lists were built.
Each list's centre is the normalised sum of its members, kept in step as members are removed,
so the lists can be saved as row ids alone (`IvfLists`) and restored without k-means.
Needs numpy (the `memory` extra); imported only by the store's memory methods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["IVF_MIN", "IvfLists", "VectorIndex"]

IVF_MIN = 100_000
# A query scans the nearest lists until it has seen this share of the vectors (at least
# PROBE_MIN): scanning is memory-bound, so the budget is in vectors, not lists.
PROBE_FRACTION = 0.015
PROBE_MIN = 4096
KMEANS_SAMPLE = 32_000
KMEANS_ROUNDS = 8
ASSIGN_CHUNK = 32_768

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]


def _dot(matrix: Floats, vector: Floats) -> Floats:
    """matrix @ vector on this thread. A BLAS matrix-vector product wakes BLAS's own threads,
    and on cores busy with other work (the model, a training job) waiting for them took 20 ms
    where this takes 0.3 ms for 10,000 vectors."""
    out: Floats = np.einsum("ij,j->i", matrix, vector)
    return out


@dataclass(frozen=True, slots=True)
class IvfLists:
    """Which rows each IVF list holds: row ids grouped by list, list i being
    `ids[offsets[i]:offsets[i + 1]]`. No vector, so saving it keeps no trace of any text."""

    offsets: Ints
    ids: Ints


class VectorIndex:
    """Row ids and their vectors, searchable by dot product; removal is immediate and complete."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self._ids: Ints = np.empty(0, dtype=np.int64)
        self._vecs: Floats = np.empty((0, dimensions), dtype=np.float32)
        self._n = 0
        self._dead = 0
        # IVF: rows [0, _indexed) are grouped by list; rows past it are the unindexed tail.
        self._centroids: Floats | None = None
        self._sums: npt.NDArray[np.float64] | None = None
        self._offsets: Ints | None = None
        self._indexed = 0
        # Counts the times the lists were built or dropped: a saved copy is stale when it differs.
        self.generation = 0

    def __len__(self) -> int:
        return self._n - self._dead

    @property
    def uses_ivf(self) -> bool:
        """True once the vectors are many enough to be searched through IVF lists."""
        return self._centroids is not None

    def add(self, ids: Ints, vectors: npt.NDArray[np.floating]) -> None:
        """Append vectors (unit length) under their row ids."""
        count = len(ids)
        if not count:
            return
        width = int(np.shape(vectors)[-1])
        if width != self.dimensions:
            if self._n:
                raise ValueError(f"vectors of {width} dimensions in an index of {self.dimensions}")
            # Still empty: it takes the size of the first vectors (the embedder decides it).
            self.dimensions = width
            self._ids = np.empty(0, dtype=np.int64)
            self._vecs = np.empty((0, width), dtype=np.float32)
        need = self._n + count
        if need > len(self._ids):
            capacity = max(need, 2 * len(self._ids), 1024)
            ids_grown = np.empty(capacity, dtype=np.int64)
            vecs_grown = np.empty((capacity, self.dimensions), dtype=np.float32)
            ids_grown[: self._n] = self._ids[: self._n]
            vecs_grown[: self._n] = self._vecs[: self._n]
            self._ids, self._vecs = ids_grown, vecs_grown
        self._ids[self._n : need] = ids
        self._vecs[self._n : need] = vectors
        self._n = need
        self._maybe_rebuild()

    def restore(self, ids: Ints, vectors: npt.NDArray[np.floating], lists: IvfLists) -> None:
        """Fill an empty index, grouping rows as `lists` (saved from an earlier build) says, so
        no k-means runs. Rows the lists do not name go to the tail; ids they name that are not
        here (forgotten since) are skipped."""
        if self._n:
            raise ValueError("restore needs an empty index")
        order = np.argsort(ids, kind="stable")
        known = ids[order]
        at = np.minimum(np.searchsorted(known, lists.ids), max(len(known) - 1, 0))
        found = known[at] == lists.ids if len(known) else np.zeros(len(lists.ids), dtype=bool)
        labels = np.repeat(np.arange(len(lists.offsets) - 1), np.diff(lists.offsets))[found]
        members = order[at[found]]
        tail = np.setdiff1d(np.arange(len(ids)), members, assume_unique=True)
        arrangement = np.concatenate([members, tail])
        self._ids = ids[arrangement]
        self._vecs = np.empty((len(ids), self.dimensions), dtype=np.float32)
        # Gathered and widened a chunk at a time: in one go (1M float16 vectors) it took 6 s.
        for start in range(0, len(ids), ASSIGN_CHUNK):
            rows = arrangement[start : start + ASSIGN_CHUNK]
            self._vecs[start : start + len(rows)] = vectors[rows]
        self._n = len(ids)
        counts = np.bincount(labels, minlength=len(lists.offsets) - 1)
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._indexed = len(members)
        self._centre_lists()
        self._maybe_rebuild()

    def lists(self) -> IvfLists | None:
        """The IVF lists as row ids (removed rows left out), or None while the search is exact."""
        if self._offsets is None:
            return None
        ids = self._ids[: self._indexed]
        labels = np.repeat(np.arange(len(self._offsets) - 1), np.diff(self._offsets))
        alive = ids >= 0
        counts = np.bincount(labels[alive], minlength=len(self._offsets) - 1)
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return IvfLists(offsets, ids[alive].copy())

    def remove(self, ids: Ints) -> int:
        """Erase these rows: their vectors are zeroed at once (and taken out of their list's
        centre); returns how many were found."""
        if not len(ids) or not self._n:
            return 0
        hits = np.nonzero(np.isin(self._ids[: self._n], ids))[0]
        if self._offsets is not None and self._sums is not None:
            listed = hits[hits < self._indexed]
            if len(listed):
                lists = np.searchsorted(self._offsets, listed, side="right") - 1
                np.subtract.at(self._sums, lists, self._vecs[listed].astype(np.float64))
                self._centre(np.unique(lists))
        self._ids[hits] = -1
        self._vecs[hits] = 0.0
        self._dead += len(hits)
        if self._dead > max(1024, self._n // 4):
            self._compact()
        return len(hits)

    def search(self, vector: Floats, limit: int) -> tuple[Ints, Floats]:
        """The row ids of the `limit` most similar vectors and their scores, best first."""
        if not len(self):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32)
        if self._centroids is None or self._offsets is None:
            positions = np.arange(self._n)
            scores = _dot(self._vecs[: self._n], query)
        else:
            order = np.argsort(-_dot(self._centroids, query))
            sizes = np.cumsum(np.diff(self._offsets)[order])
            budget = max(PROBE_MIN, math.ceil(self._indexed * PROBE_FRACTION))
            probe = int(np.searchsorted(sizes, budget)) + 1
            spans = [(int(self._offsets[i]), int(self._offsets[i + 1])) for i in order[:probe]]
            spans.append((self._indexed, self._n))
            positions = np.concatenate([np.arange(a, b) for a, b in spans if b > a])
            scores = np.concatenate(
                [_dot(self._vecs[a:b], query) for a, b in spans if b > a]
                or [np.empty(0, dtype=np.float32)]
            ).astype(np.float32)
        if self._dead:
            scores = np.where(self._ids[positions] >= 0, scores, -np.inf).astype(np.float32)
        take = min(limit, len(scores))
        top = np.argpartition(-scores, take - 1)[:take]
        top = top[np.argsort(-scores[top], kind="stable")]
        keep = np.isfinite(scores[top])
        return self._ids[positions[top]][keep], scores[top][keep]

    # --- upkeep -------------------------------------------------------------------------------

    def _compact(self) -> None:
        alive = np.nonzero(self._ids[: self._n] >= 0)[0]
        ids, vecs = self._ids[alive].copy(), self._vecs[alive].copy()
        self._ids, self._vecs, self._n, self._dead = ids, vecs, len(ids), 0
        self._drop_lists()
        self._maybe_rebuild()

    def _drop_lists(self) -> None:
        if self._offsets is not None:
            self.generation += 1
        self._centroids = self._sums = self._offsets = None
        self._indexed = 0

    def _maybe_rebuild(self) -> None:
        live = self._n - self._dead
        if live < IVF_MIN:
            self._drop_lists()
            return
        # New rows land in the tail, scanned in full; re-cluster once it is a quarter of the rest.
        if self._centroids is None or (self._n - self._indexed) > self._indexed // 4:
            self._build_ivf()

    def _centre_lists(self) -> None:
        """Each list's centre from its members (the sums are kept to take removed rows out)."""
        assert self._offsets is not None
        n_lists = len(self._offsets) - 1
        self._sums = np.zeros((n_lists, self.dimensions), dtype=np.float64)
        # One sum per list: np.add.reduceat in float64 took 9 s for 1M vectors, this 0.4 s.
        for i in range(n_lists):
            start, end = int(self._offsets[i]), int(self._offsets[i + 1])
            if end > start:
                self._sums[i] = self._vecs[start:end].sum(axis=0, dtype=np.float64)
        self._centroids = np.zeros((n_lists, self.dimensions), dtype=np.float32)
        self._centre(np.arange(n_lists))

    def _centre(self, lists: Ints) -> None:
        assert self._sums is not None
        assert self._centroids is not None
        sums = self._sums[lists]
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        # An emptied list keeps a zero centre: nothing is left in it to find.
        self._centroids[lists] = np.where(norms > 1e-9, sums / np.maximum(norms, 1e-9), 0.0)

    def _build_ivf(self) -> None:
        if self._dead:
            alive = np.nonzero(self._ids[: self._n] >= 0)[0]
            self._ids, self._vecs = self._ids[alive].copy(), self._vecs[alive].copy()
            self._n, self._dead = len(alive), 0
        vecs = self._vecs[: self._n]
        n_lists = max(16, int(math.sqrt(self._n)))
        rng = np.random.default_rng(0)
        sample = vecs[rng.choice(self._n, size=min(self._n, KMEANS_SAMPLE), replace=False)]
        centroids = sample[rng.choice(len(sample), size=n_lists, replace=False)].copy()
        for _ in range(KMEANS_ROUNDS):
            nearest = np.argmax(sample @ centroids.T, axis=1)
            sums = np.zeros_like(centroids)
            np.add.at(sums, nearest, sample)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            empty = norms[:, 0] == 0
            # An empty list keeps its old centroid rather than vanishing.
            centroids = np.where(empty[:, None], centroids, sums / np.maximum(norms, 1e-12))
        assignment = np.empty(self._n, dtype=np.int64)
        for start in range(0, self._n, ASSIGN_CHUNK):
            chunk = vecs[start : start + ASSIGN_CHUNK]
            assignment[start : start + len(chunk)] = np.argmax(chunk @ centroids.T, axis=1)
        order = np.argsort(assignment, kind="stable")
        self._ids[: self._n] = self._ids[: self._n][order]
        self._vecs[: self._n] = vecs[order]
        counts = np.bincount(assignment, minlength=n_lists)
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._indexed = self._n
        self._centre_lists()
        self.generation += 1
