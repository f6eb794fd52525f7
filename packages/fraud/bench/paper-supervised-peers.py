#!/usr/bin/env python3
"""The paper's own fully labelled learners on the bench's splits: ADBench's `Supervised.py` fits
`xgboost.XGBClassifier`, scikit-learn's `RandomForestClassifier` and `lightgbm.LGBMClassifier` /
`CatBoostClassifier` with their defaults and `random_state=seed`. XGBoost (Debian `python3-xgboost`) and the
random forest are run here the same way on exactly the bench's training and test rows (from
bench/dump-splits.ts); LightGBM and CatBoost are not packaged in Debian (scikit-learn's
HistGradientBoostingClassifier stands in for LightGBM in sklearn-hgb-peer.py). A peer measurement:
it shows where the published learners land on the bench's draw of rows, and chooses nothing.

Usage: APPLIEDML_DATA_DIR=../shared/datasets /usr/bin/python3 packages/fraud/bench/paper-supervised-peers.py splits.json [set ...]
Prints per set and learner the mean of the 3 seeds, then the means over the sets run.
"""
import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import average_precision_score, roc_auc_score
from xgboost import XGBClassifier

from adbench_splits import seed_splits, sets

LEARNERS = {
    'XGB': lambda seed: XGBClassifier(random_state=seed, n_jobs=2),
    'RF': lambda seed: RandomForestClassifier(random_state=seed, n_jobs=2),
}
only = sys.argv[2:]
means = {name: [] for name in LEARNERS}
for spec, name, entry, X, y in sets(__doc__, only):
    cells = []
    for learner, make in LEARNERS.items():
        per_seed = []
        for seed, train, test in seed_splits(spec, entry, y, 'bench'):
            p = make(seed).fit(X[train], y[train]).predict_proba(X[test])[:, 1]
            per_seed.append((100 * roc_auc_score(y[test], p), 100 * average_precision_score(y[test], p)))
        m = np.mean(per_seed, axis=0)
        means[learner].append(m)
        cells.append(f'{learner} {m[0]:.2f} / {m[1]:.2f}')
    print(f'{name}: ' + '; '.join(cells), flush=True)
for learner, ms in means.items():
    t = np.mean(ms, axis=0)
    print(f'mean over {len(ms)} sets, {learner}: {t[0]:.2f} / {t[1]:.2f}')
