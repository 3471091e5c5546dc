"""The classifier on the shipped data, its pickle-free storage, and the measured figures (#15)."""

from herdesk.triage import classifier, dataset
from herdesk.triage.services import LabelledText, evaluate, food_safety_evaluate


def _starter_model() -> classifier.Classifier:
    examples = dataset.load("starter")
    return classifier.train([e.text for e in examples], [e.problem_type for e in examples])


def test_starter_set_is_large_varied_and_covers_six_types() -> None:
    examples = dataset.load("starter")
    assert len(examples) >= 600
    by_type: dict[str, int] = {}
    for e in examples:
        by_type[e.problem_type] = by_type.get(e.problem_type, 0) + 1
    assert len(by_type) == 6 and min(by_type.values()) >= 90
    texts = [e.text for e in examples]
    assert any("尊敬" in t for t in texts)  # formal e-mail
    assert any("來電" in t or "擠" in t for t in texts)  # traditional characters
    assert any(any(c.isascii() and c.isalpha() for c in t) for t in texts)  # English mixed in
    assert not set(texts) & {e.text for e in dataset.load("heldout")}  # held-out never trained on


def test_held_out_accuracy_and_food_safety_meet_the_targets() -> None:
    starter = [LabelledText(e.text, e.problem_type) for e in dataset.load("starter")]
    heldout = [LabelledText(e.text, e.problem_type) for e in dataset.load("heldout")]
    result = evaluate(starter, heldout)
    assert result["accuracy"] >= 0.85, result["accuracy"]
    fs = food_safety_evaluate(dataset.load("heldout"))
    assert fs["recall"] >= 0.95 and fs["precision"] >= 0.80, fs


def test_stored_model_predicts_exactly_like_the_fitted_one_and_is_not_a_pickle() -> None:
    model = _starter_model()
    blob = model.dumps()
    assert b"\x80\x04" not in blob[:2] and blob[8:9] == b"{"  # a JSON header, then NPZ
    again = classifier.Classifier.loads(blob)
    texts = ["挤奶机真空压力报警", "订单什么时候到", "建议出小包装"]
    assert [p.ranked for p in again.predict(texts)] == [p.ranked for p in model.predict(texts)]


def test_confidence_is_a_probability_and_ranked_covers_every_class() -> None:
    p = _starter_model().predict(["冷藏罐不制冷"])[0]
    assert 0 < p.confidence <= 1 and len(p.ranked) == 6
    assert abs(sum(c for _, c in p.ranked) - 1) < 1e-6


def test_one_text_fast_path_scores_exactly_like_scikit_learn() -> None:
    """Intake classifies one text at a time without scikit-learn's per-call overhead (#20); the
    result must be the one the vectoriser and the sparse product give, for every held-out text, an
    empty one, one with no known n-gram, traditional characters, and after a store/load round trip."""
    import numpy as np

    from herdesk.triage.text import for_model

    model = _starter_model()
    texts = [e.text for e in dataset.load("heldout")] + ["", "   ", "ⅩⅩⅩ ⅹⅹ", "冷藏罐不製冷 TMR 胀包!!"]
    for m in (model, classifier.Classifier.loads(model.dumps())):
        for text in texts:
            x = m.vectorizer.transform([for_model(text)])
            expected = np.asarray(x @ m.coef.T) + m.intercept
            assert np.allclose(m._scores_one(for_model(text)), expected[0], rtol=1e-12, atol=1e-12), text
        one, batch = m.predict(texts[:1])[0], m.predict(texts[:2])[0]
        assert one.label == batch.label
        assert np.allclose([c for _, c in one.ranked], [c for _, c in batch.ranked], rtol=1e-12)
