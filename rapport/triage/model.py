"""Linear models over hashed n-grams, stored as ``.npz`` + JSON and scored with numpy.

A ``LinearModel`` keeps the hash buckets of its vocabulary, an IDF weight per
feature, and a weight matrix with one column per output. A document's feature
vector is TF-IDF over its word and character n-gram occurrences, L2-normalised;
since the model is linear, scoring is one sparse-times-dense product of the raw
occurrence matrix with ``idf * coef``, divided by each row's norm. Artefacts are
plain arrays (no pickle), so they load quickly and do not depend on the version
of scikit-learn that trained them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from rapport.triage.text import BUCKET_BITS, NO_BUCKET, Batch

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def bucket_document_frequency(batch: Batch, blocks: str = "word+char") -> dict[str, Any]:
    """Return the distinct buckets of a batch and how many documents hold each."""
    buckets, docs = _entries(batch, blocks)
    real = buckets != NO_BUCKET
    buckets, docs = buckets[real], docs[real]
    keys = np.unique(docs.astype(np.int64) << BUCKET_BITS | buckets.astype(np.int64))
    values, counts = np.unique(keys & ((1 << BUCKET_BITS) - 1), return_counts=True)
    return {"buckets": values, "df": counts, "n_docs": batch.n_docs}


def _entries(batch: Batch, blocks: str) -> tuple[npt.NDArray[Any], IntArray]:
    if blocks == "word":
        return batch.word_bucket, batch.word_doc
    return (
        np.concatenate([batch.word_bucket, batch.char_bucket]),
        np.concatenate([batch.word_doc, batch.char_doc]),
    )


def select_vocabulary(
    buckets: IntArray, df: IntArray, n_docs: int, *, min_df: int, max_features: int
) -> tuple[IntArray, FloatArray]:
    """Keep the buckets seen in at least ``min_df`` documents (the most frequent first).

    Returns the kept buckets, sorted, and their smoothed IDF.
    """
    keep = df >= min_df
    buckets, df = buckets[keep], df[keep]
    if len(buckets) > max_features:
        top = np.argsort(-df, kind="stable")[:max_features]
        buckets, df = buckets[top], df[top]
    order = np.argsort(buckets)
    buckets, df = buckets[order], df[order]
    idf = (np.log((1 + n_docs) / (1 + df)) + 1).astype(np.float32)
    return buckets.astype(np.int64), idf


@dataclass
class LinearModel:
    """A linear model over hashed n-grams with named outputs."""

    buckets: IntArray
    idf: FloatArray
    coef: FloatArray  # (n_features, n_outputs), in TF-IDF space (idf not folded in)
    intercept: FloatArray
    outputs: list[str]
    blocks: str = "word+char"
    meta: dict[str, Any] = field(default_factory=dict)
    _table: npt.NDArray[np.int32] | None = field(default=None, repr=False)
    _folded: FloatArray | None = field(default=None, repr=False)
    _ones: FloatArray = field(default_factory=lambda: np.ones(0, dtype=np.float32), repr=False)

    @property
    def table(self) -> npt.NDArray[np.int32]:
        """Map every hash bucket to a feature row; buckets outside the vocabulary map to
        the extra all-zero row ``len(buckets)``, so no entry ever needs filtering."""
        if self._table is None:
            table = np.full((1 << BUCKET_BITS) + 1, len(self.buckets), dtype=np.int32)
            table[self.buckets] = np.arange(len(self.buckets), dtype=np.int32)
            self._table = table
        return self._table

    @property
    def folded(self) -> FloatArray:
        """Return the weights of one raw occurrence of each feature.

        Shape (n_features + 1, n_outputs + 1): ``idf * coef`` plus a last column of
        ``idf ** 2`` (so the product also yields each row's squared TF-IDF norm) and a
        last all-zero row for out-of-vocabulary n-grams.
        """
        if self._folded is None:
            n_features, n_outputs = self.coef.shape
            folded = np.zeros((n_features + 1, n_outputs + 1), dtype=np.float32)
            folded[:n_features, :n_outputs] = self.coef * self.idf[:, None]
            folded[:n_features, n_outputs] = self.idf.astype(np.float64) ** 2
            self._folded = folded
        return self._folded

    def _ones_for(self, count: int) -> FloatArray:
        if len(self._ones) < count:
            self._ones = np.ones(max(count, 2 * len(self._ones)), dtype=np.float32)
        return self._ones[:count]

    def occurrences(self, batch: Batch) -> list[sp.csr_matrix]:
        """Return the raw occurrence matrices (ones; one per block) of a batch.

        Columns are feature rows of ``folded`` (the last one: out of vocabulary).
        """
        shape = (batch.n_docs, len(self.buckets) + 1)
        blocks = [(batch.word_bucket, batch.word_indptr())]
        if self.blocks != "word":
            blocks.append((batch.char_bucket, batch.char_indptr))
        matrices = []
        for buckets, indptr in blocks:
            rows = self.table[buckets]
            data = self._ones_for(len(rows))
            matrices.append(sp.csr_matrix((data, rows, indptr), shape=shape, copy=False))
        return matrices

    def design(self, batch: Batch) -> sp.csr_matrix:
        """Return the L2-normalised TF-IDF matrix of a batch (for training)."""
        matrices = self.occurrences(batch)
        counts = sp.csr_matrix(sum(m.astype(np.float64) for m in matrices))
        counts.sum_duplicates()
        idf = np.append(self.idf.astype(np.float64), 0.0)
        # The norm counts every occurrence (as ``scores`` does): sqrt(sum_f c_f * idf_f**2).
        norms = np.sqrt(np.asarray(counts @ idf**2).ravel())
        norms[norms == 0] = 1.0
        counts.data *= idf[counts.indices]
        matrix = sp.csr_matrix(sp.diags(1.0 / norms) @ counts)
        matrix.eliminate_zeros()
        return sp.csr_matrix(matrix[:, : len(self.buckets)])

    def scores(self, batch: Batch) -> FloatArray:
        """Return the decision values, shape (n_docs, n_outputs)."""
        folded = self.folded
        matrices = self.occurrences(batch)
        raw = matrices[0] @ folded
        for matrix in matrices[1:]:
            raw += matrix @ folded
        squared = raw[:, -1]
        inv_norm = np.zeros(len(squared), dtype=np.float32)
        np.divide(1.0, np.sqrt(squared), out=inv_norm, where=squared > 0)
        return np.asarray(raw[:, :-1] * inv_norm[:, None] + self.intercept[None, :], np.float32)

    def save(self, path: Path) -> None:
        """Write ``path.npz`` (float16 weights) and ``path.json`` (names, settings)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path.with_suffix(".npz"),
            buckets=self.buckets.astype(np.int32),
            idf=self.idf.astype(np.float16),
            coef=self.coef.astype(np.float16),
            intercept=self.intercept.astype(np.float32),
        )
        meta = {"outputs": self.outputs, "blocks": self.blocks, "meta": self.meta}
        path.with_suffix(".json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        """Read a model written by ``save``."""
        meta = json.loads(path.with_suffix(".json").read_text())
        with np.load(path.with_suffix(".npz")) as arrays:
            return cls(
                buckets=arrays["buckets"].astype(np.int64),
                idf=arrays["idf"].astype(np.float32),
                coef=arrays["coef"].astype(np.float32),
                intercept=arrays["intercept"].astype(np.float32),
                outputs=list(meta["outputs"]),
                blocks=meta["blocks"],
                meta=meta.get("meta", {}),
            )
