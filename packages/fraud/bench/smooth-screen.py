#!/usr/bin/env python3
"""Exploratory screen, inner folds of the TRAINING parts of the paper's rows only (the test parts are never
read): do smooth learners (RBF SVM, MLP, logistic regression, kNN) or PCA-rotated features, beside a
gradient-boosted model averaged with a random forest (scikit-learn's HistGradientBoosting and a 100-tree
RandomForest, a stand-in for the `gbt` default's boosted trees + forest), raise inner AUCROC / AUCPR?
Session 25, docs/benchmarks/fraud.md ("Smooth learners and rotated features beside the trees").

Each seed's training part (seeds 1-3 of the paper's rows, from bench/adbench-paper-splits.py's JSON) is cut
into K stratified folds (K=5 unless set); every model is fitted on K-1 folds and scores the held-out one.
Features standardised on the fitting folds (clipped to +-10) for the smooth learners and the rotation.

Usage: APPLIEDML_DATA_DIR=../shared/datasets [K=3] /usr/bin/python3 packages/fraud/bench/smooth-screen.py \
         paper-splits.json [set ...]
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.svm import SVC
from sklearn.neural_network import MLPClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.decomposition import PCA
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold

if len(sys.argv) < 2:
    sys.exit(__doc__)
spec = json.load(open(sys.argv[1]))
only = sys.argv[2:]
K = int(os.environ.get('K', 5))
root = os.path.join(os.environ.get('APPLIEDML_DATA_DIR', '../shared/datasets'), 'adbench')
res = {}
for name, entry in spec['splits'].items():
    if only and name not in only: continue
    d = np.load(os.path.join(root, entry['file']))
    X, y = d['X'].astype(np.float64), d['y'].astype(int)
    acc = {}
    t0 = time.time()
    for seed, train in zip(spec['seeds'], entry['train']):
        tr = np.asarray(train, dtype=int)
        Xt, yt = X[tr], y[tr]
        for k, (a, b) in enumerate(StratifiedKFold(K, shuffle=True, random_state=seed).split(Xt, yt)):
            rs = seed * 10 + k
            sc = StandardScaler().fit(Xt[a]); Za, Zb = np.clip(sc.transform(Xt[a]), -10, 10), np.clip(sc.transform(Xt[b]), -10, 10)
            P = {}
            P['hgb'] = HistGradientBoostingClassifier(random_state=rs).fit(Xt[a], yt[a]).predict_proba(Xt[b])[:, 1]
            P['rf'] = RandomForestClassifier(100, n_jobs=2, random_state=rs).fit(Xt[a], yt[a]).predict_proba(Xt[b])[:, 1]
            pca = PCA(random_state=rs).fit(Za)
            Ra, Rb = np.hstack([Xt[a], pca.transform(Za)]), np.hstack([Xt[b], pca.transform(Zb)])
            P['hgb-rot'] = HistGradientBoostingClassifier(random_state=rs).fit(Ra, yt[a]).predict_proba(Rb)[:, 1]
            P['rf-rot'] = RandomForestClassifier(100, n_jobs=2, random_state=rs).fit(Ra, yt[a]).predict_proba(Rb)[:, 1]
            P['svm'] = SVC(C=1.0, probability=True, random_state=rs).fit(Za, yt[a]).predict_proba(Zb)[:, 1]
            P['mlp'] = MLPClassifier((100,), max_iter=300, early_stopping=False, random_state=rs).fit(Za, yt[a]).predict_proba(Zb)[:, 1]
            P['lr'] = LogisticRegression(max_iter=2000).fit(Za, yt[a]).predict_proba(Zb)[:, 1]
            P['knn'] = KNeighborsClassifier(15, weights='distance').fit(Za, yt[a]).predict_proba(Zb)[:, 1]
            base = (P['hgb'] + P['rf']) / 2
            P['base'] = base
            P['base-rot'] = (P['hgb-rot'] + P['rf-rot']) / 2
            P['base+rot'] = (P['hgb'] + P['rf'] + P['hgb-rot'] + P['rf-rot']) / 4
            for m in ('svm', 'mlp', 'lr', 'knn'):
                P['base+' + m] = (2 * base + P[m]) / 3
                P['base+' + m + '-half'] = (base + P[m]) / 2
            for m, p in P.items():
                acc.setdefault(m, []).append((100 * roc_auc_score(yt[b], p), 100 * average_precision_score(yt[b], p)))
    res[name] = {m: np.mean(v, axis=0) for m, v in acc.items()}
    print(name, f'{time.time() - t0:.0f}s', flush=True)
    for m, v in res[name].items(): print(f'   {m:18s} {v[0]:.2f} / {v[1]:.2f}', flush=True)
print('MEAN')
for m in next(iter(res.values())):
    v = np.mean([res[s][m] for s in res], axis=0)
    print(f'   {m:18s} {v[0]:.2f} / {v[1]:.2f}')
