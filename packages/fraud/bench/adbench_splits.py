"""Shared by the Python peers in this folder: the ADBench sets named in a splits file from
bench/dump-splits.ts, and each seed's train / test rows drawn either as the bench drew them (the file's
test indices) or by scikit-learn's own train_test_split(test_size=0.3, stratify=y, random_state=seed)."""
import json
import os
import sys

import numpy as np
from sklearn.model_selection import train_test_split


def sets(doc, only=()):
    """The splits file named by the first argument (exits with the script's usage without one), then, for
    each set in it (or only those named), (spec, name, entry, X as float64, y as int)."""
    if len(sys.argv) < 2:
        sys.exit(doc)
    root = os.path.join(os.environ.get('APPLIEDML_DATA_DIR', '../shared/datasets'), 'adbench')
    spec = json.load(open(sys.argv[1]))
    for name, entry in spec['splits'].items():
        if only and name not in only:
            continue
        data = np.load(os.path.join(root, entry['file']), allow_pickle=False)
        yield spec, name, entry, data['X'].astype(np.float64), data['y'].astype(int)


def seed_splits(spec, entry, y, source):
    """(seed, train rows, test rows) per seed; source 'bench' (the file's) or 'sklearn' (train_test_split)."""
    rows = np.arange(len(y))
    for seed, test in zip(spec['seeds'], entry['test']):
        if source == 'bench':
            te = np.asarray(test, dtype=int)
            yield seed, np.setdiff1d(rows, te), te
        else:
            tr, te = train_test_split(rows, test_size=0.3, stratify=y, random_state=seed)
            yield seed, tr, te
