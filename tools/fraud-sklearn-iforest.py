#!/usr/bin/env python3
"""scikit-learn IsolationForest (100 trees, 2 jobs) on the ADBench protocol: stratified 70/30, seeds 0..2.
Usage: fraud-sklearn-iforest.py <adbench dir> [set ...]. Prints JSON {set: {aucroc, aucpr, fitSeconds, recordsPerSecond}}."""
import json, sys, time
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

FILES = {'campaign': '5_campaign', 'donors': '11_donors', 'mammography': '23_mammography', 'shuttle': '32_shuttle',
         'thyroid': '38_thyroid', 'cardio': '6_cardio', 'annthyroid': '2_annthyroid', 'satimage-2': '31_satimage-2'}
root = sys.argv[1]
names = sys.argv[2:] or list(FILES)
out = {}
for name in names:
    d = np.load(f"{root}/{FILES[name]}.npz")
    X, y = d['X'].astype(np.float64), d['y'].astype(int)
    acc = {'aucroc': 0.0, 'aucpr': 0.0, 'fitSeconds': 0.0, 'recordsPerSecond': 0.0}
    for seed in range(3):
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
        m = IsolationForest(n_estimators=100, n_jobs=2, random_state=seed)
        t0 = time.perf_counter(); m.fit(Xtr); t1 = time.perf_counter()
        s = -m.score_samples(Xte); t2 = time.perf_counter()
        acc['aucroc'] += 100 * roc_auc_score(yte, s) / 3
        acc['aucpr'] += 100 * average_precision_score(yte, s) / 3
        acc['fitSeconds'] += (t1 - t0) / 3
        acc['recordsPerSecond'] += len(Xte) / (t2 - t1) / 3
    out[name] = acc
print(json.dumps(out))
