"""Shared by the Python peers in this folder: the ADBench sets named in a splits file from
bench/dump-splits.ts, and each seed's train / test rows drawn either as the bench drew them (the file's
test indices) or by scikit-learn's own train_test_split(test_size=0.3, stratify=y, random_state=seed)."""
import json
import os
import sys

import numpy as np
from sklearn.model_selection import train_test_split


def open_spec(doc):
    """The splits file named by the first argument (exits with the script's usage without one)."""
    if len(sys.argv) < 2:
        sys.exit(doc)
    root = os.path.join(os.environ.get('APPLIEDML_DATA_DIR', '../shared/datasets'), 'adbench')
    return root, json.load(open(sys.argv[1]))


def load_set(root, entry):
    """X as float64 and y as int of one set of the splits file."""
    data = np.load(os.path.join(root, entry['file']), allow_pickle=False)
    return data['X'].astype(np.float64), data['y'].astype(int)


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
