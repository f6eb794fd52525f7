#!/usr/bin/env python3
"""A like-for-like peer for the fully labelled GBT: scikit-learn's HistGradientBoostingClassifier with its
defaults (LightGBM-like; early_stopping='auto', i.e. a 10 % validation slice only above 10,000 training
rows: campaign, shuttle and donors), trained on exactly the bench's training rows
and scored on exactly its test rows (the splits come from bench/dump-splits.ts), so its AUCROC / AUCPR sit
beside ours without the split-to-split spread that separates us from the paper's columns.

Usage: APPLIEDML_DATA_DIR=../shared/datasets /usr/bin/python3 packages/fraud/bench/sklearn-hgb-peer.py splits.json [--sklearn-splits] [set ...]
With --sklearn-splits the same peer runs on scikit-learn's own train_test_split(random_state=seed) instead
(the split generator behind published scikit-learn figures), to show how much the split draw moves it.
Prints one line per set (each seed, then the mean of the 3) and the mean over the sets run.
"""
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

from adbench_splits import seed_splits, sets

own_splits = '--sklearn-splits' in sys.argv[2:]
only = [a for a in sys.argv[2:] if not a.startswith('--')]
means = []
for spec, name, entry, X, y in sets(__doc__, only):
    per_seed = []
    for seed, train, test in seed_splits(spec, entry, y, 'sklearn' if own_splits else 'bench'):
        model = HistGradientBoostingClassifier(random_state=seed).fit(X[train], y[train])
        p = model.predict_proba(X[test])[:, 1]
        per_seed.append((100 * roc_auc_score(y[test], p), 100 * average_precision_score(y[test], p)))
    m = np.mean(per_seed, axis=0)
    means.append(m)
    seeds = ', '.join(f'{a:.2f} / {b:.2f}' for a, b in per_seed)
    print(f'{name}: seeds {seeds}; mean {m[0]:.2f} / {m[1]:.2f}', flush=True)
total = np.mean(means, axis=0)
print(f'mean over {len(means)} sets: {total[0]:.2f} / {total[1]:.2f}')
