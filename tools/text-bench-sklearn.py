#!/usr/bin/env python3
"""scikit-learn peer for `npm run bench -w @appliedml/text`: TF-IDF + LinearSVC and MultinomialNB on the
same splits, with scikit-learn's default word features, with word 1-2-grams, and with features like ours
(word 1-2-grams plus character 2-5-grams within words). Reads a JSON file {datasets: [{name, positive,
train: [[text, label]], test: [...]}]} and prints one JSON line per (dataset, model, features) with accuracy,
positive recall, train seconds (median of at least 3 fits, up to 15 while they add up to under 2 s,
vectoriser included; the first fit too) and predictions per second (median of 5 rounds of at least 5,000
texts), in wall and in CPU time (process_time), as the Node side measures. Needs Debian's python3-sklearn."""
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


def words_1_2():
    return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))


def words_and_chars():
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))),
            ("chars", TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5))),
        ]
    )


FEATURES = {"words": words, "words 1-2": words_1_2, "words 1-2 + chars 2-5": words_and_chars}


def run(dataset, name, make, features):
    train_x = [t for t, _ in dataset["train"]]
    train_y = [l for _, l in dataset["train"]]
    test_x = [t for t, _ in dataset["test"]]
    test_y = [l for _, l in dataset["test"]]
    fits = []
    fits_cpu = []
    while len(fits) < 3 or (len(fits) < 15 and sum(fits) < 2):
        cpu = time.process_time()
        start = time.perf_counter()
        vec = FEATURES[features]()
        model = make()
        model.fit(vec.fit_transform(train_x), train_y)
        fits.append(time.perf_counter() - start)
        fits_cpu.append(time.process_time() - cpu)
    pred = model.predict(vec.transform(test_x))  # warm-up
    reps = max(1, -(-5000 // len(test_x)))
    rounds = []
    rounds_cpu = []
    for _ in range(5):
        cpu = time.process_time()
        start = time.perf_counter()
        for _ in range(reps):
            pred = model.predict(vec.transform(test_x))
        rounds.append((time.perf_counter() - start) / reps)
        rounds_cpu.append((time.process_time() - cpu) / reps)
    pred_s = statistics.median(rounds)
    out = {
        "dataset": dataset["name"],
        "model": name,
        "features": features,
        "accuracy": accuracy_score(test_y, pred),
        "trainSeconds": statistics.median(fits),
        "firstTrainSeconds": fits[0],
        "predictPerSecond": len(test_x) / pred_s,
        "trainCpuSeconds": statistics.median(fits_cpu),
        "predictPerCpuSecond": len(test_x) / statistics.median(rounds_cpu),
    }
    if dataset.get("positive"):
        out["recall"] = recall_score(test_y, pred, pos_label=dataset["positive"])
    print(json.dumps(out), flush=True)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    for dataset in spec["datasets"]:
        run(dataset, "sklearn LinearSVC", LinearSVC, "words")
        run(dataset, "sklearn MultinomialNB", MultinomialNB, "words")
        run(dataset, "sklearn LinearSVC", LinearSVC, "words 1-2")
        run(dataset, "sklearn LinearSVC", LinearSVC, "words 1-2 + chars 2-5")


if __name__ == "__main__":
    main()
