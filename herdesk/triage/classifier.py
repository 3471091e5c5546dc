"""The problem-type classifier (INT-6): character n-grams + a logistic model, no external service.

Character 1–3-grams over normalised text need no word segmentation, so typos, traditional
characters and mixed English still share features with the training examples; the model is small
(one sparse matrix) and predicts in well under a millisecond.

The fitted model is stored as plain arrays (vocabulary, idf, coefficients) in JSON + NPZ, never as a
pickle: a model row in the database must not be a way to run code on the server.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from .text import for_model

NGRAMS = (1, 3)


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    ranked: tuple[tuple[str, float], ...]


class Classifier:
    """A fitted model as plain arrays: one-vs-rest logistic scores, normalised like scikit-learn's."""

    def __init__(self, vectorizer: TfidfVectorizer, classes: list[str], coef: Any, intercept: Any) -> None:
        self.vectorizer = vectorizer
        self.classes = classes
        self.coef = coef
        self.intercept = intercept
        self._analyzer: Callable[[str], list[str]] | None = None

    def proba(self, texts: Sequence[str]) -> Any:
        if len(texts) == 1:
            scores = self._scores_one(for_model(texts[0]))[None, :]
        else:
            x = self.vectorizer.transform([for_model(t) for t in texts])
            scores = np.asarray(x @ self.coef.T) + self.intercept
        p = 1.0 / (1.0 + np.exp(-scores))
        return p / p.sum(axis=1, keepdims=True)

    def _scores_one(self, text: str) -> Any:
        """The scores of one text, equal to the scikit-learn path (a test compares them), without its
        per-call validation and sparse-matrix building: every ticket's intake classifies one text, and
        that path cost ~1 ms of the ~6 ms of a creation (issue #20). Same analyzer (scikit-learn's
        own), same sublinear tf × idf, same l2 norm."""
        if self._analyzer is None:
            self._analyzer = self.vectorizer.build_analyzer()
        counts: dict[int, int] = {}
        vocabulary = self.vectorizer.vocabulary_
        for gram in self._analyzer(text):
            j = vocabulary.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return np.array(self.intercept, dtype=float)
        idx = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=float, count=len(counts))
        w = (1.0 + np.log(tf)) * self.vectorizer.idf_[idx]
        w /= np.sqrt(w @ w)
        return self.coef[:, idx] @ w + self.intercept

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        out = []
        for row in self.proba(texts):
            order = np.argsort(row)[::-1]
            ranked = tuple((self.classes[i], float(row[i])) for i in order)
            out.append(Prediction(ranked[0][0], ranked[0][1], ranked))
        return out

    # Serialisation without pickle -------------------------------------------------------------
    def dumps(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, idf=self.vectorizer.idf_, coef=self.coef, intercept=self.intercept)
        header = json.dumps(
            {
                "vocabulary": {k: int(v) for k, v in self.vectorizer.vocabulary_.items()},
                "classes": self.classes,
                "ngrams": list(NGRAMS),
            },
            ensure_ascii=False,
        ).encode()
        return len(header).to_bytes(8, "big") + header + buf.getvalue()

    @classmethod
    def loads(cls, blob: bytes) -> Classifier:
        size = int.from_bytes(blob[:8], "big")
        header = json.loads(blob[8 : 8 + size])
        arrays = np.load(io.BytesIO(blob[8 + size :]), allow_pickle=False)
        vectorizer = _vectorizer()
        vectorizer.vocabulary_ = header["vocabulary"]
        vectorizer.idf_ = arrays["idf"]
        return cls(vectorizer, list(header["classes"]), arrays["coef"], arrays["intercept"])


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=1)


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    weights: Sequence[float] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Classifier:
    """Fit on (text, label) pairs; `weights` lets an agent's correction count more than a starter example."""
    if progress:
        progress("vectorise")
    vectorizer = _vectorizer()
    x = vectorizer.fit_transform([for_model(t) for t in texts])
    if progress:
        progress("fit")
    # Stochastic gradient descent on the log loss: the same model as logistic regression, but linear
    # in the data size (50,000 tickets train in seconds on 2 cores, #15); fixed seed, so training
    # the same data twice gives the same model.
    model = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=30, tol=None, random_state=0)
    model.fit(x, list(labels), sample_weight=None if weights is None else np.asarray(weights, dtype=float))
    return Classifier(vectorizer, [str(c) for c in model.classes_], model.coef_, model.intercept_)
