#!/usr/bin/env python3
"""How much of an unsupervised AUCPR is the split draw? scikit-learn's IsolationForest (100 trees, five
forests per split, averaged) scored twice on the ADBench protocol (stratified 70/30, seeds 0..2): on
exactly the bench's splits (from bench/dump-splits.ts) and on scikit-learn's own train_test_split with
random_state = seed (the splits behind the issue's sklearn figures). The detector and the protocol are the
same; only the rows drawn into the 30 % differ.

Usage: APPLIEDML_DATA_DIR=../shared/datasets /usr/bin/python3 packages/fraud/bench/sklearn-iforest-splits.py splits.json
Prints one line per set (AUCROC / AUCPR % for each split source) and the mean over the sets run.
"""
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

from adbench_splits import seed_splits, sets

FORESTS = 5
table = {}
for spec, name, entry, X, y in sets(__doc__):
    cells = {}
    for source in ('bench', 'sklearn'):
        roc = pr = 0.0
        for _, tr, te in seed_splits(spec, entry, y, source):
            for forest in range(FORESTS):
                model = IsolationForest(n_estimators=100, random_state=forest).fit(X[tr])
                score = -model.score_samples(X[te])
                roc += roc_auc_score(y[te], score) / (FORESTS * len(entry['test']))
                pr += average_precision_score(y[te], score) / (FORESTS * len(entry['test']))
        cells[source] = (100 * roc, 100 * pr)
    table[name] = cells
    print(f"{name:12s} bench splits {cells['bench'][0]:6.2f} / {cells['bench'][1]:6.2f}   "
          f"sklearn splits {cells['sklearn'][0]:6.2f} / {cells['sklearn'][1]:6.2f}", flush=True)
for source in ('bench', 'sklearn'):
    roc = np.mean([table[n][source][0] for n in table])
    pr = np.mean([table[n][source][1] for n in table])
    print(f"mean over {len(table)} sets, {source} splits: {roc:.2f} / {pr:.2f}")
