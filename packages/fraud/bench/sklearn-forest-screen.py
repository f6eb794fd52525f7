#!/usr/bin/env python3
"""Exploratory screen, inner folds only: does averaging a gradient-boosted model with a bagged-tree forest
help on the ADBench training parts? For each set and outer seed (the bench's splits from bench/dump-splits.ts),
only the 70 % training part is used, cut into 5 stratified folds; scikit-learn's HistGradientBoosting
(defaults), RandomForest and ExtraTrees (300 and 100 trees) and their probability averages are scored on
each held-out fold. The test 30 % is never touched. This chose the candidate of the session-9 rule in
docs/benchmarks/fraud.md; the decision itself is made on our own implementation by bench/gbt-select.ts.

Usage: APPLIEDML_DATA_DIR=../shared/datasets /usr/bin/python3 packages/fraud/bench/sklearn-forest-screen.py splits.json [set ...]
"""
import sys
import time

import numpy as np
from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from adbench_splits import seed_splits, sets

only = sys.argv[2:]
res = {}
for spec, name, entry, X, y in sets(__doc__, only):
    acc = {}
    t0 = time.time()
    for seed, train, _test in seed_splits(spec, entry, y, 'bench'):
        Xt, yt = X[train], y[train]
        for k, (a, b) in enumerate(StratifiedKFold(5, shuffle=True, random_state=seed).split(Xt, yt)):
            rs = seed * 10 + k
            P = {'hgb': HistGradientBoostingClassifier(random_state=rs).fit(Xt[a], yt[a]).predict_proba(Xt[b])[:, 1]}
            for label, cls, n in (('rf', RandomForestClassifier, 300), ('rf100', RandomForestClassifier, 100),
                                  ('et', ExtraTreesClassifier, 300), ('et100', ExtraTreesClassifier, 100)):
                P[label] = cls(n, n_jobs=2, random_state=rs).fit(Xt[a], yt[a]).predict_proba(Xt[b])[:, 1]
            for label in ('rf', 'rf100', 'et', 'et100'):
                P['hgb+' + label] = (P['hgb'] + P[label]) / 2
            P['hgb+rf+et'] = (P['hgb'] + P['rf'] + P['et']) / 3
            for m, p in P.items():
                acc.setdefault(m, []).append((100 * roc_auc_score(yt[b], p), 100 * average_precision_score(yt[b], p)))
    res[name] = {m: np.mean(v, axis=0) for m, v in acc.items()}
    print(name, f'{time.time() - t0:.0f}s', '  '.join(f'{m} {v[0]:.2f}/{v[1]:.2f}' for m, v in res[name].items()), flush=True)
for m in next(iter(res.values())):
    v = np.mean([res[s][m] for s in res], axis=0)
    print(f'mean over {len(res)} sets {m}: {v[0]:.2f} / {v[1]:.2f}')
