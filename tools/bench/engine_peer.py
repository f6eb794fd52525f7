#!/usr/bin/env python3
"""PyTorch CPU peer for the @appliedml/engine benchmark (packages/engine/bench/run.ts).

Runs the same three models, cases and workload as the tfjs workers, on the same data files, and
writes one JSON result. The TypeScript bench starts it once per thread count:

    OPENBLAS_NUM_THREADS=1 python3 tools/bench/engine_peer.py --plan plan.json --threads 1 --result out.json

If torch cannot be imported, the result says why (ok: false) instead of failing.
Dependencies on Debian/Ubuntu: apt-get install python3-torch libopenblas0-pthread
(without an optimised libblas.so.3, Debian's torch runs its matmuls on the reference BLAS).
"""

import argparse
import json
import math
import os
import platform
import resource
import statistics
import sys
import time

TRAIN_CASES = [
    ("mlp-b32", "mlp", 32),
    ("mlp-b128", "mlp", 128),
    ("cnn-b64", "cnn", 64),
    ("lstm-b64", "lstm", 64),
]
INFER_MODELS = ["mlp", "cnn", "lstm"]
INFER_BATCH_SIZES = [128, 256]


def log(tag, message):
    print(f"[{tag}] {message}", file=sys.stderr, flush=True)


def loaded_blas():
    """The BLAS shared objects this process has mapped (after torch has run a matmul)."""
    found = set()
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path).lower()
                if "blas" in name or "mkl" in name:
                    found.add(path)
    except OSError:
        pass
    return sorted(found)


def short(path):
    """The last two path parts (no machine-specific prefix in the report)."""
    return "/".join(path.split("/")[-2:])


def describe_blas(paths):
    for path in paths:
        low = path.lower()
        if "openblas" in low:
            variant = "pthread" if "pthread" in low else ("openmp" if "openmp" in low else "")
            return f"OpenBLAS{(' ' + variant) if variant else ''} ({short(path)})"
        if "mkl" in low:
            return f"MKL ({short(path)})"
    for path in paths:
        if "libblas" in path.lower():
            return f"reference BLAS ({short(path)})"
    return "unknown"


def build(nn, model_id):
    if model_id == "mlp":
        return nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
    if model_id == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 5 * 5, 64), nn.ReLU(), nn.Linear(64, 10),
        )

    class Lstm(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(8, 64, batch_first=True)
            self.head = nn.Linear(64, 1)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.head(h[-1])

    return Lstm()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--result", required=True)
    args = parser.parse_args()
    backend = f"torch-{args.threads}t"
    result = {"backend": backend, "ok": False, "info": {}, "train": {}, "infer": {}}

    def finish():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["maxRssMiB"] = usage.ru_maxrss / 1024
        result["cpuSeconds"] = usage.ru_utime + usage.ru_stime
        with open(args.result, "w", encoding="utf-8") as out:
            json.dump(result, out)

    try:
        import numpy as np
        import torch
        from torch import nn
    except Exception as error:  # ImportError, or a broken install
        result["reason"] = f"{sys.executable} cannot import torch/numpy ({error}); install python3-torch"
        finish()
        return

    try:
        run(args, backend, result, np, torch, nn)
        result["ok"] = True
    except Exception as error:  # report, do not crash the TypeScript bench
        result["reason"] = f"{type(error).__name__}: {error}"
        log(backend, f"failed: {result['reason']}")
    finish()


def run(args, backend, result, np, torch, nn):
    with open(args.plan, encoding="utf-8") as f:
        plan = json.load(f)
    work = plan["workloads"][backend]
    seed = plan["seed"]
    torch.manual_seed(seed)
    torch.set_num_threads(args.threads)
    info = result["info"]
    info["python"] = platform.python_version()
    info["torch"] = torch.__version__
    info["threads"] = torch.get_num_threads()
    info["OPENBLAS_NUM_THREADS"] = os.environ.get("OPENBLAS_NUM_THREADS", "(unset)")

    # sgemm first: it also makes torch load its BLAS, so /proc/self/maps shows which one.
    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    times = []
    for r in range(3 if plan["quick"] else 6):
        t0 = time.perf_counter()
        torch.mm(a, b)
        if r > 0:
            times.append(time.perf_counter() - t0)
    result["sgemmGflops"] = 2 * 1024**3 / statistics.median(times) / 1e9
    info["sgemmSize"] = 1024
    info["blas"] = describe_blas(loaded_blas())
    log(backend, f"torch {torch.__version__}, {info['threads']} thread(s), BLAS {info['blas']}, sgemm {result['sgemmGflops']:.1f} GFLOP/s")

    d = plan["data"]
    data_dir = plan["dataDir"]
    n = d["mnistRows"]
    mnist_x = torch.from_numpy(np.fromfile(os.path.join(data_dir, d["mnistX"]), dtype="<f4").reshape(n, 784).copy())
    labels = torch.from_numpy(np.fromfile(os.path.join(data_dir, d["mnistLabels"]), dtype="<i4").astype(np.int64))
    m = d["seqRows"]
    seq_x = torch.from_numpy(np.fromfile(os.path.join(data_dir, d["seqX"]), dtype="<f4").reshape(m, d["seqSteps"], d["seqFeatures"]).copy())
    seq_y = torch.from_numpy(np.fromfile(os.path.join(data_dir, d["seqY"]), dtype="<f4").reshape(m, 1).copy())
    sets = {
        "mlp": (mnist_x, labels, nn.CrossEntropyLoss()),
        "cnn": (mnist_x.reshape(n, 1, 28, 28), labels, nn.CrossEntropyLoss()),
        "lstm": (seq_x, seq_y, nn.MSELoss()),
    }

    def one_pass(model, optimizer, loss_fn, x, y, batch_size, generator):
        """One shuffled pass over (x, y), like the engine's fitModel: loss summed on-device, read once."""
        rows = x.shape[0]
        order = torch.randperm(rows, generator=generator)
        total = torch.zeros(())
        for start in range(0, rows, batch_size):
            idx = order[start:start + batch_size]
            xb, yb = x[idx], y[idx]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.detach() * idx.shape[0]
        return float(total) / rows

    for case_id, model_id, batch_size in TRAIN_CASES:
        x_all, y_all, loss_fn = sets[model_id]
        steps = work["trainSteps"][case_id]
        warm = work["warmupSteps"][case_id]
        torch.manual_seed(seed)
        model = build(nn, model_id)
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        generator = torch.Generator().manual_seed(seed)
        x, y = x_all[: steps * batch_size], y_all[: steps * batch_size]
        one_pass(model, optimizer, loss_fn, x_all[: warm * batch_size], y_all[: warm * batch_size], batch_size, generator)
        # One untimed pass sizes the repeats: whole passes over the same rows of at least minTrainSeconds.
        passes = 1
        if work["minTrainSeconds"] > 0:
            t0 = time.perf_counter()
            one_pass(model, optimizer, loss_fn, x, y, batch_size, generator)
            passes = max(1, math.ceil(work["minTrainSeconds"] / max(time.perf_counter() - t0, 1e-6)))
        rates = []
        for r in range(work["trainRepeats"]):
            t0 = time.perf_counter()
            for _ in range(passes):
                one_pass(model, optimizer, loss_fn, x, y, batch_size, generator)
            seconds = time.perf_counter() - t0
            rates.append(passes * x.shape[0] / seconds)
            log(backend, f"train {case_id}: {rates[-1]:,.0f} samples/s (repeat {r + 1}/{work['trainRepeats']}, {passes} x {steps} steps, {seconds:.2f} s)")
        result["train"][case_id] = {"samplesPerSecond": rates, "samples": passes * int(x.shape[0]), "passes": passes}

    for model_id in INFER_MODELS:
        x_all, _, _ = sets[model_id]
        torch.manual_seed(seed)
        model = build(nn, model_id)
        model.eval()
        x = x_all[: work["inferRows"][model_id]]
        rows = x.shape[0]

        def predict(batch_size):
            # The tfjs models end in softmax; apply it here too, and copy out like predictBatched.
            out = None
            with torch.inference_mode():
                for start in range(0, rows, batch_size):
                    pred = model(x[start:start + batch_size])
                    if model_id != "lstm":
                        pred = torch.softmax(pred, dim=-1)
                    if out is None:
                        out = np.empty((rows, pred.shape[1]), dtype=np.float32)
                    out[start:start + pred.shape[0]] = pred.numpy()
            return out

        for batch_size in INFER_BATCH_SIZES:
            t0 = time.perf_counter()
            predict(batch_size)
            once = time.perf_counter() - t0
            passes = max(1, math.ceil(work["minInferSeconds"] / max(once, 1e-6)))
            rates = []
            for _ in range(work["inferRepeats"]):
                t1 = time.perf_counter()
                for _ in range(passes):
                    predict(batch_size)
                rates.append(passes * rows / (time.perf_counter() - t1))
            result["infer"][f"{model_id}@{batch_size}"] = {"samplesPerSecond": rates, "samples": passes * rows, "passes": passes}
            log(backend, f"predict {model_id} batch {batch_size}: median {statistics.median(rates):,.0f} samples/s ({work['inferRepeats']} x {passes} pass(es) of {rows} rows)")


if __name__ == "__main__":
    main()
