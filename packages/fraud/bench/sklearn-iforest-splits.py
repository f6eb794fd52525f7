#!/usr/bin/env python3
"""How much of an unsupervised AUCPR is the split draw? scikit-learn's IsolationForest (100 trees, five
forests per split, averaged) scored twice on the ADBench protocol (stratified 70/30, seeds 0..2): on
exactly the bench's splits (from bench/dump-splits.ts) and on scikit-learn's own train_test_split with
random_state = seed (the splits behind the issue's sklearn figures). The detector and the protocol are the
same; only the rows drawn into the 30 % differ.

Usage: APPLIEDML_DATA_DIR=../shared/datasets /usr/bin/python3 packages/fraud/bench/sklearn-iforest-splits.py splits.json
Prints one line per set (AUCROC / AUCPR % for each split source) and the mean over the sets run.
"""
import json
import os
import sys

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split

FORESTS = 5
if len(sys.argv) < 2:
    sys.exit(__doc__)
root = os.path.join(os.environ.get('APPLIEDML_DATA_DIR', '../shared/datasets'), 'adbench')
spec = json.load(open(sys.argv[1]))
table = {}
for name, entry in spec['splits'].items():
    data = np.load(os.path.join(root, entry['file']), allow_pickle=False)
    X, y = data['X'].astype(np.float64), data['y'].astype(int)
    rows = np.arange(len(y))
    cells = {}
    for source in ('bench', 'sklearn'):
        roc = pr = 0.0
        for seed, test in zip(spec['seeds'], entry['test']):
            if source == 'bench':
                te = np.asarray(test, dtype=int)
                tr = np.setdiff1d(rows, te)
            else:
                tr, te = train_test_split(rows, test_size=0.3, stratify=y, random_state=seed)
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
