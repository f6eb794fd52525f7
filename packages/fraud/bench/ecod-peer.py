#!/usr/bin/env python3
"""Is our ECOD the published one? A numpy ECOD written from PyOD's documented algorithm (the ECOD column of
the ADBench paper ran PyOD's), scored on the bench's splits (from bench/dump-splits.ts) and on
scikit-learn's own train_test_split(random_state=seed), in three forms:

- pyod: transductive like PyOD's decision_function (the empirical CDFs are computed over the training and
  the scored rows together); per feature the larger of the left tail, the right tail and the tail chosen
  by the sign of the feature's skewness (both tails summed only at a skewness of exactly 0); summed.
- pyod-inductive: the same aggregation, CDFs from the training rows only (each scored value counted
  in its own CDF, so p >= 1/(n+1)): what an online scorer can do.
- ours: the SDK's formula (packages/fraud/src/ecod.ts): inductive, and both tails summed for any
  feature with |skewness| <= 1.

Usage: APPLIEDML_DATA_DIR=../shared/datasets /usr/bin/python3 packages/fraud/bench/ecod-peer.py splits.json
Prints AUCROC / AUCPR % per set for each form and split source, then the means.
"""
import numpy as np
from scipy.stats import skew
from sklearn.metrics import average_precision_score, roc_auc_score

from adbench_splits import seed_splits, sets


def tails(reference, x, self_count):
    """-log left and right tail probabilities of each value of x among the reference values, per column."""
    n = reference.shape[0]
    left = np.empty_like(x)
    right = np.empty_like(x)
    for c in range(x.shape[1]):
        col = np.sort(reference[:, c])
        le = np.searchsorted(col, x[:, c], side='right')
        lt = np.searchsorted(col, x[:, c], side='left')
        left[:, c] = (le + self_count) / (n + self_count)
        right[:, c] = (n - lt + self_count) / (n + self_count)
    return -np.log(np.minimum(1, left)), -np.log(np.minimum(1, right))


def score(form, train, test):
    if form == 'pyod':
        both = np.concatenate([train, test])
        a, b = tails(both, test, 0)
        sign = np.sign(skew(both, axis=0))
    else:
        a, b = tails(train, test, 1)
        s = skew(train, axis=0)
        if form == 'ours':
            term = np.where(s > 1, b - a, np.where(s < -1, a - b, a + b))
            return np.maximum(np.maximum(a, b), term).sum(axis=1)
        sign = np.sign(s)
    term = a * -np.sign(sign - 1) + b * np.sign(sign + 1)
    return np.maximum(np.maximum(a, b), term).sum(axis=1)


FORMS = ('pyod', 'pyod-inductive', 'ours')
table = {}
for spec, name, entry, X, y in sets(__doc__):
    cells = {}
    for source in ('bench', 'sklearn'):
        for form in FORMS:
            roc = pr = 0.0
            for _, tr, te in seed_splits(spec, entry, y, source):
                s = score(form, X[tr], X[te])
                roc += roc_auc_score(y[te], s) / len(entry['test'])
                pr += average_precision_score(y[te], s) / len(entry['test'])
            cells[(source, form)] = (100 * roc, 100 * pr)
    table[name] = cells
    print(f'{name:12s} ' + '  '.join(f'{src}/{form} {cells[(src, form)][0]:6.2f} / {cells[(src, form)][1]:6.2f}'
                                      for src in ('bench', 'sklearn') for form in FORMS), flush=True)
for source in ('bench', 'sklearn'):
    for form in FORMS:
        roc = np.mean([table[n][(source, form)][0] for n in table])
        pr = np.mean([table[n][(source, form)][1] for n in table])
        print(f'mean over {len(table)} sets, {source} splits, {form}: {roc:.2f} / {pr:.2f}')
