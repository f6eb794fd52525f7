#!/usr/bin/env python3
"""A linear reference for the Los-loop protocol (T-GCN's: 80/20 chronological split, 12 input steps,
horizons pooled over steps 1..h): per-sensor ridge regression of the change from the last reading on
the sensor's own 12 lags, the last 6 lags of its 6 strongest neighbours in the adjacency, and the time
of day. The ridge strength is chosen on the last 20 % of the training windows (never the test part).

Usage: /usr/bin/python3 tools/traffic-bench/ridge_peer.py [DATA_DIR]   (numpy only; about a minute)
"""
import os
import sys

import numpy as np

data = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("APPLIEDML_DATA_DIR", "../shared/datasets")
X = np.loadtxt(os.path.join(data, "los-loop", "los_speed.csv"), delimiter=",", skiprows=1)
A = np.loadtxt(os.path.join(data, "los-loop", "los_adj.csv"), delimiter=",")
T, N = X.shape
SPLIT, L, K = int(T * 0.8), 12, 6
tod = (np.arange(T) % 288) / 288.0
neighbours = []
for s in range(N):
    w = A[s].copy()
    w[s] = 0
    neighbours.append(np.argsort(-w)[:K])


def features(starts, s):
    rows = []
    for t0 in starts:
        w = X[t0 : t0 + L]
        last = w[-1, s]
        clock = [np.sin(2 * np.pi * tod[t0 + L - 1]), np.cos(2 * np.pi * tod[t0 + L - 1]), 1.0]
        rows.append(np.concatenate([w[:, s] - last] + [w[-6:, j] - last for j in neighbours[s]] + [clock]))
    return np.array(rows)


def targets(starts, s, p):
    return np.array([X[t0 + L : t0 + L + p, s] - X[t0 + L - 1, s] for t0 in starts])


def fit(a, b, lam):
    return np.linalg.solve(a.T @ a + lam * np.eye(a.shape[1]), a.T @ b)


for minutes, p in [(15, 3), (30, 6), (45, 9), (60, 12)]:
    train = list(range(0, SPLIT - L - p + 1))
    cut = int(len(train) * 0.8)
    test = list(range(SPLIT, T - L - p + 1))  # inputs and outputs inside the test part, as T-GCN
    best = None
    for lam in [10, 100, 1000, 10000, 100000]:
        se, count = 0.0, 0
        for s in range(N):
            e = features(train[cut:], s) @ fit(features(train[:cut], s), targets(train[:cut], s, p), lam) - targets(train[cut:], s, p)
            se += float((e**2).sum())
            count += e.size
        if best is None or se / count < best[0]:
            best = (se / count, lam)
    lam = best[1]
    errors = np.stack([features(test, s) @ fit(features(train, s), targets(train, s, p), lam) - targets(test, s, p) for s in range(N)])
    persistence = np.stack([targets(test, s, p) for s in range(N)])
    print(
        f"{minutes} min: ridge (lambda {lam}) RMSE {np.sqrt((errors**2).mean()):.3f} MAE {np.abs(errors).mean():.3f}; "
        f"persistence RMSE {np.sqrt((persistence**2).mean()):.3f} MAE {np.abs(persistence).mean():.3f}",
        flush=True,
    )
