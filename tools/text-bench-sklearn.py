#!/usr/bin/env python3
"""scikit-learn peer for `npm run bench -w @appliedml/text`: TF-IDF + LinearSVC and MultinomialNB on the
same splits, with scikit-learn's default word features and with features like ours (word 1-2-grams plus
character 2-5-grams within words). Reads a JSON file {datasets: [{name, positive, train: [[text, label]],
test: [...]}]} and prints one JSON line per (dataset, model) with accuracy, positive recall, train seconds
and predictions per second (median of 5 rounds of at least 5,000 texts, as the Node side measures).
Needs Debian's python3-sklearn."""
import json
import statistics
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.metrics import accuracy_score, recall_score
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC


def words():
    return TfidfVectorizer(sublinear_tf=True)


def words_and_chars():
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))),
            ("chars", TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5))),
        ]
    )


def run(dataset, name, make, features=words):
    train_x = [t for t, _ in dataset["train"]]
    train_y = [l for _, l in dataset["train"]]
    test_x = [t for t, _ in dataset["test"]]
    test_y = [l for _, l in dataset["test"]]
    start = time.perf_counter()
    vec = features()
    model = make()
    model.fit(vec.fit_transform(train_x), train_y)
    train_s = time.perf_counter() - start
    pred = model.predict(vec.transform(test_x))  # warm-up
    reps = max(1, -(-5000 // len(test_x)))
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(reps):
            pred = model.predict(vec.transform(test_x))
        rounds.append((time.perf_counter() - start) / reps)
    pred_s = statistics.median(rounds)
    out = {
        "dataset": dataset["name"],
        "model": name,
        "accuracy": accuracy_score(test_y, pred),
        "trainSeconds": train_s,
        "predictPerSecond": len(test_x) / pred_s,
    }
    if dataset.get("positive"):
        out["recall"] = recall_score(test_y, pred, pos_label=dataset["positive"])
    print(json.dumps(out), flush=True)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    for dataset in spec["datasets"]:
        run(dataset, "sklearn TF-IDF + LinearSVC", LinearSVC)
        run(dataset, "sklearn TF-IDF + MultinomialNB", MultinomialNB)
        run(dataset, "sklearn TF-IDF words 1-2 + chars 2-5 + LinearSVC", LinearSVC, words_and_chars)


if __name__ == "__main__":
    main()
