#!/usr/bin/env python3
"""How precisely a mean AUCROC over the 8 ADBench sets is measured on the paper's own rows.

For each set and seed (1, 2, 3) it draws the paper's split with ADBench's generator (the same calls as
adbench-paper-splits.py, imported from it) and counts the test part's anomalies and normals: label
counts only, fixed by the stratified split; no detector is scored and no score is read. It then gives
the Hanley & McNeil (1982, Radiology 143:29-36) standard error of an AUCROC of value A measured on that
many anomalies and normals,

    SE^2 = (A(1-A) + (n_a - 1)(Q1 - A^2) + (n_n - 1)(Q2 - A^2)) / (n_a n_n),  Q1 = A/(2-A),  Q2 = 2A^2/(1+A),

at A = the published CatBoost AUCROC of the set (Table D18, the figure the issue's fully labelled target
is), and the standard error of the mean over 3 seeds and over the 8 sets, two ways: the seeds' test parts
taken as independent samples (a lower bound: they are drawn from the same rows) and as one sample (an upper
bound). It is the sampling error of one learner's figure from its test rows alone; a learner's own seed
adds to it, and the difference between two learners on the same rows has a smaller error that needs both
learners' scores (CatBoost's are not published).

Usage: auc-precision.py <adbench dir>   (prints a markdown table)
"""
import csv
import importlib.util
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('paper_splits', os.path.join(HERE, 'adbench-paper-splits.py'))
paper_splits = importlib.util.module_from_spec(spec)
spec.loader.exec_module(paper_splits)


def hanley_mcneil(a, n_a, n_n):
    q1 = a / (2 - a)
    q2 = 2 * a * a / (1 + a)
    return math.sqrt((a * (1 - a) + (n_a - 1) * (q1 - a * a) + (n_n - 1) * (q2 - a * a)) / (n_a * n_n))


def catboost_aucroc(root):
    out = {}
    with open(os.path.join(root, 'published_results_adbench_paper.csv'), newline='') as f:
        for row in csv.DictReader(f):
            if row['algorithm'] == 'CatB' and row['metric'] == 'AUCROC' and row['setting'].startswith('label-informed, gamma_l=100%'):
                out[row['dataset']] = float(row['value_percent']) / 100
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    published = catboost_aucroc(root)
    print('| set | test anomalies / normals (seeds 1, 2, 3) | CatBoost AUCROC | SE one seed | SE mean of 3 (independent … one sample) |')
    print('| --- | --- | --- | --- | --- |')
    var_low = var_high = 0.0
    sets = list(paper_splits.FILES)
    for name in sets:
        y = np.load(f'{root}/{paper_splits.FILES[name]}.npz', allow_pickle=False)['y'].astype(int)
        a = published[name]
        counts, ses = [], []
        for seed in paper_splits.SEEDS:
            _, test = paper_splits.paper_rows(y, seed)
            n_a = int(y[test].sum())
            n_n = len(test) - n_a
            counts.append(f'{n_a} / {n_n}')
            ses.append(hanley_mcneil(a, n_a, n_n))
        k = len(ses)
        low = math.sqrt(sum(s * s for s in ses)) / k
        high = sum(ses) / k
        var_low += low * low
        var_high += high * high
        print(f'| {name} | {", ".join(counts)} | {100 * a:.2f} | {100 * sum(ses) / k:.2f} | {100 * low:.2f} … {100 * high:.2f} |')
    n = len(sets)
    print(f'| **mean (8)** | | {100 * sum(published[s] for s in sets) / n:.2f} | | **{100 * math.sqrt(var_low) / n:.2f} … {100 * math.sqrt(var_high) / n:.2f}** |')


if __name__ == '__main__':
    main()
