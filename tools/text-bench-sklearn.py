#!/usr/bin/env python3
"""scikit-learn peer for `npm run bench -w @appliedml/text`: TF-IDF + LinearSVC and MultinomialNB on the
same splits. Reads a JSON file {datasets: [{name, positive, train: [[text, label]], test: [...]}]}
and prints one JSON line per (dataset, model) with accuracy, positive recall, train seconds and
predictions per second. Needs Debian's python3-sklearn."""
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, recall_score
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC


def run(dataset, name, make):
    train_x = [t for t, _ in dataset["train"]]
    train_y = [l for _, l in dataset["train"]]
    test_x = [t for t, _ in dataset["test"]]
    test_y = [l for _, l in dataset["test"]]
    start = time.perf_counter()
    vec = TfidfVectorizer(sublinear_tf=True)
    model = make()
    model.fit(vec.fit_transform(train_x), train_y)
    train_s = time.perf_counter() - start
    reps = max(1, 20000 // len(test_x))
    start = time.perf_counter()
    for _ in range(reps):
        pred = model.predict(vec.transform(test_x))
    pred_s = (time.perf_counter() - start) / reps
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


if __name__ == "__main__":
    main()
