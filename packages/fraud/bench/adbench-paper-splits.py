#!/usr/bin/env python3
"""The rows behind the ADBench paper's figures, and scikit-learn's IsolationForest scored on them.

ADBench's data generator (adbench/datasets/data_generator.py; its runs use seeds 1, 2, 3) seeds numpy's
global generator with the run's seed, draws 10,000 rows without replacement from any set larger than
that (seeding again first), then calls train_test_split(test_size=0.3, shuffle=True, stratify=y) with no
random_state, so the split is drawn from the same global generator. numpy's legacy RandomState stream is
stable across versions, so the same calls give the same rows today. Its IForest column is PyOD's IForest
with defaults: scikit-learn's IsolationForest (100 trees), fitted right after the seed is set again, on
features min-max scaled on the training part.

Writes {seeds, splits: {set: {file, train: [[row, ...] per seed], test: [...]}}} (row numbers in the .npz,
in the order ADBench's split returns them; indices only, no data) to <out.json>, and prints the
IsolationForest peer as JSON {set: {aucroc, aucpr, fitSeconds, recordsPerSecond}}: if these are the
paper's rows, it reproduces the paper's IForest column.

Usage: adbench-paper-splits.py <adbench dir> <out.json> [set ...]
"""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

FILES = {'campaign': '5_campaign', 'donors': '11_donors', 'mammography': '23_mammography', 'shuttle': '32_shuttle',
         'thyroid': '38_thyroid', 'cardio': '6_cardio', 'annthyroid': '2_annthyroid', 'satimage-2': '31_satimage-2'}
SEEDS = (1, 2, 3)
SUBSAMPLE = 10000


def paper_rows(y, seed):
    """(train rows, test rows) as ADBench's generator draws them for this seed."""
    np.random.seed(seed)
    rows = np.arange(len(y))
    if len(y) > SUBSAMPLE:
        np.random.seed(seed)
        rows = np.random.choice(rows, SUBSAMPLE, replace=False)
    train, test = train_test_split(rows, test_size=0.3, shuffle=True, stratify=y[rows])
    return train, test


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root, out = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or list(FILES)
    unknown = [n for n in names if n not in FILES]
    if unknown:
        sys.exit(f'unknown set(s) {", ".join(unknown)}; known: {", ".join(FILES)}')
    splits, peer = {}, {}
    for name in names:
        data = np.load(f'{root}/{FILES[name]}.npz', allow_pickle=False)
        X, y = data['X'].astype(np.float64), data['y'].astype(int)
        entry = {'file': f'{FILES[name]}.npz', 'train': [], 'test': []}
        cell = {'aucroc': 0.0, 'aucpr': 0.0, 'fitSeconds': 0.0, 'recordsPerSecond': 0.0}
        for seed in SEEDS:
            train, test = paper_rows(y, seed)
            entry['train'].append(train.tolist())
            entry['test'].append(test.tolist())
            scaler = MinMaxScaler().fit(X[train])
            x_train, x_test = scaler.transform(X[train]), scaler.transform(X[test])
            np.random.seed(seed)
            t0 = time.perf_counter()
            model = IsolationForest().fit(x_train)
            t1 = time.perf_counter()
            score = -model.decision_function(x_test)
            t2 = time.perf_counter()
            cell['aucroc'] += 100 * roc_auc_score(y[test], score) / len(SEEDS)
            cell['aucpr'] += 100 * average_precision_score(y[test], score) / len(SEEDS)
            cell['fitSeconds'] += (t1 - t0) / len(SEEDS)
            cell['recordsPerSecond'] += len(test) / (t2 - t1) / len(SEEDS)
        splits[name] = entry
        peer[name] = cell
    with open(out, 'w') as f:
        json.dump({'seeds': list(SEEDS), 'splits': splits}, f)
    print(json.dumps(peer))


if __name__ == '__main__':
    main()
