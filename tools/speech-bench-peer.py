#!/usr/bin/env python3
"""Peers for `npm run bench -w @appliedml/speech` (run by packages/speech/bench/run.ts; /usr/bin/python3
with python3-numpy, python3-scipy, python3-sklearn).

  speech-bench-peer.py mfcc <list.txt> <repeats>   vectorised numpy/scipy MFCC (same config as the SDK:
        8 kHz, 25 ms / 10 ms, 256-point FFT, Hann, pre-emphasis 0.97, 40 Slaney mel bands 20–4000 Hz,
        13 coefficients, deltas and delta-deltas, per-utterance CMVN) over every file; prints JSON with
        audio seconds and the median compute seconds (file reading excluded, as on the JS side).
  speech-bench-peer.py svm <list.txt>              the issue's classical peer: MFCC (25 ms / 10 ms, 40 mel,
        13 coefficients, deltas) pooled to mean and standard deviation, then an RBF SVM; official split
        and leave-one-speaker-out accuracy as JSON.
The list holds one WAV path per line, named {digit}_{speaker}_{index}.wav.
"""
import json
import os
import sys
import time

import numpy as np
import scipy.fft
import scipy.io.wavfile
import scipy.signal

SR = 8000
WIN = 200
HOP = 80
NFFT = 256


def mel_matrix(n_mels=40, fmin=20.0, fmax=4000.0):
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0

    def hz_to_mel(f):
        f = np.asanyarray(f, dtype=np.float64)
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-12) / min_log_hz) / logstep, f / f_sp)

    def mel_to_hz(m):
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    freqs = np.fft.rfftfreq(NFFT, 1.0 / SR)
    pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(pts)
    ramps = pts[:, None] - freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    w = np.maximum(0, np.minimum(lower, upper))
    return w * (2.0 / (pts[2:] - pts[:-2]))[:, None]


MEL = mel_matrix()
WINDOW = np.zeros(NFFT)
WINDOW[(NFFT - WIN) // 2 : (NFFT - WIN) // 2 + WIN] = scipy.signal.get_window("hann", WIN, fftbins=True)


def features(x, deltas=True, cmvn=True):
    y = np.empty_like(x)
    y[0] = x[0]
    y[1:] = x[1:] - 0.97 * x[:-1]
    y = np.pad(y, NFFT // 2)
    frames = np.lib.stride_tricks.sliding_window_view(y, NFFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * WINDOW, axis=1)) ** 2
    db = 10 * np.log10(np.maximum(power @ MEL.T, 1e-10))
    db = np.maximum(db, db.max() - 80)
    c = scipy.fft.dct(db, type=2, norm="ortho", axis=1)[:, :13]
    if deltas:
        mode = "interp" if len(c) >= 9 else "nearest"
        c = np.hstack([c, scipy.signal.savgol_filter(c, 9, 1, deriv=1, axis=0, mode=mode),
                       scipy.signal.savgol_filter(c, 9, 2, deriv=2, axis=0, mode=mode)])
    if cmvn:
        c = (c - c.mean(0)) / np.sqrt(c.var(0) + 1e-8)
    return c


def read_all(paths):
    out = []
    for p in paths:
        rate, data = scipy.io.wavfile.read(p)
        assert rate == SR, p
        out.append(data.astype(np.float64) / 32768.0)
    return out


def mfcc_bench(paths, repeats):
    audio = read_all(paths)
    seconds = sum(len(a) for a in audio) / SR
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for a in audio:
            features(a)
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    print(json.dumps({"audioSeconds": seconds, "computeSeconds": med, "rtf": seconds / med, "numpy": np.__version__}))


def svm_peer(paths):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    meta = []
    for p in paths:
        d, spk, idx = os.path.basename(p)[:-4].split("_")
        meta.append((int(d), spk, int(idx)))
    X = []
    for a in read_all(paths):
        c = features(a, deltas=True, cmvn=False)
        X.append(np.concatenate([c.mean(0), c.std(0)]))
    X = np.array(X)
    y = np.array([m[0] for m in meta])
    spk = np.array([m[1] for m in meta])
    idx = np.array([m[2] for m in meta])

    def fit_score(train, test):
        clf = make_pipeline(StandardScaler(), SVC(kernel="rbf", C=10, gamma="scale"))
        clf.fit(X[train], y[train])
        return float((clf.predict(X[test]) == y[test]).mean())

    t0 = time.perf_counter()
    official = fit_score(idx >= 5, idx < 5)
    train_seconds = time.perf_counter() - t0
    loso = {s: fit_score(spk != s, spk == s) for s in sorted(set(spk))}
    print(json.dumps({"official": official, "loso": loso, "losoMean": float(np.mean(list(loso.values()))), "trainSeconds": train_seconds}))


if __name__ == "__main__":
    with open(sys.argv[2]) as f:
        files = [line.strip() for line in f if line.strip()]
    if sys.argv[1] == "mfcc":
        mfcc_bench(files, int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    else:
        svm_peer(files)
