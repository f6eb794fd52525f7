#!/usr/bin/env python3
"""Outlier tasks made from the datasets bundled with scikit-learn (Debian python3-sklearn; nothing is
downloaded), the usual ODDS way: one class (down-sampled) is the anomaly, the others are normal. None of
them is among the 8 ADBench sets of the fraud bench, so the unsupervised design can be chosen on them
without ADBench's labels. Writes <out>/<task>.npz (X float64, y int64 0/1) with np.savez_compressed;
the output belongs in a gitignored or temporary folder (default .bench-out/fraud-design-sets), never in git.

Usage: export-sklearn-sets.py [out dir]
Tasks (family: rows drawn):
  wine-r{0,1,2}:    classes 1 and 2 normal (119), 10 rows of class 0 as anomalies (as ODDS 'wine').
  breast-r{0,1,2}:  the 357 benign normal, 21 malignant as anomalies (as ODDS 'wdbc').
  iris-r{0,1,2}:    setosa and versicolor normal (100), 10 virginica as anomalies.
  digits-c{0..9}:   every other digit normal, 3 % as many rows of digit c as anomalies (as ODDS 'optdigits').
"""
import os
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '../../../.bench-out/fraud-design-sets')
os.makedirs(out, exist_ok=True)


def task(name, X, normal_mask, anomaly_mask, n_anomalies, seed):
    rng = np.random.default_rng(seed)
    anomalies = rng.choice(np.flatnonzero(anomaly_mask), size=n_anomalies, replace=False)
    rows = np.concatenate([np.flatnonzero(normal_mask), np.sort(anomalies)])
    y = np.concatenate([np.zeros(normal_mask.sum(), dtype=np.int64), np.ones(n_anomalies, dtype=np.int64)])
    np.savez_compressed(os.path.join(out, f'{name}.npz'), X=X[rows].astype(np.float64), y=y)
    print(name, X[rows].shape, int(y.sum()))


wine = load_wine()
breast = load_breast_cancer()  # target 0 = malignant, 1 = benign
iris = load_iris()
digits = load_digits()
for r in range(3):
    task(f'wine-r{r}', wine.data, wine.target != 0, wine.target == 0, 10, 1000 + r)
    task(f'breast-r{r}', breast.data, breast.target == 1, breast.target == 0, 21, 2000 + r)
    task(f'iris-r{r}', iris.data, iris.target != 2, iris.target == 2, 10, 3000 + r)
for c in range(10):
    normal = digits.target != c
    task(f'digits-c{c}', digits.data, normal, digits.target == c, int(round(0.03 * normal.sum())), 4000 + c)
