#!/usr/bin/env python3
"""PyTorch peer of @appliedml/traffic's GRU model, for `npm run bench -w @appliedml/traffic`.

Reads the exact windows the SDK trained on (raw float32 files written by the bench), builds the same
network (GRU over the vector of all sensors' features -> dense to every step and sensor, predicting
the scaled change from the last reading), trains it with Adam and the same masked MAE loss, batch size
and epochs, and prints one JSON line: timings and the test forecasts' path.
"""
import json
import sys
import time

import numpy as np
import torch

spec = json.loads(sys.argv[1])
torch.manual_seed(spec.get("seed", 1))
threads = spec.get("threads", 1)
torch.set_num_threads(threads)

T, N, F, P, H = spec["inputSteps"], spec["sensors"], spec["features"], spec["outputSteps"], spec["hidden"]


def load(name, shape):
    return torch.from_numpy(np.fromfile(spec["dir"] + "/" + name, dtype=np.float32).reshape(shape))


x_train = load("x_train.f32", (-1, T, N * F))
y_train = load("y_train.f32", (-1, P, N, 2))
x_val = load("x_val.f32", (-1, T, N * F))
y_val = load("y_val.f32", (-1, P, N, 2))
x_test = load("x_test.f32", (-1, T, N * F))


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(N * F, H, batch_first=True)
        self.head = torch.nn.Linear(H, P * N)

    def forward(self, x):
        _, h = self.gru(x)
        return self.head(h[-1]).reshape(-1, P, N)


def masked_mae(y, pred):
    value, mask = y[..., 0], y[..., 1]
    per = ((value - pred).abs() * mask).sum(dim=(1, 2)) / mask.sum(dim=(1, 2)).clamp(min=1)
    return per.mean()


net = Net()
opt = torch.optim.Adam(net.parameters(), lr=spec["learningRate"])
bs = spec["batchSize"]
best, best_state, waited, epochs_run = float("inf"), None, 0, 0
epoch_seconds = []
t_start = time.perf_counter()
for epoch in range(spec["epochs"]):
    t0 = time.perf_counter()
    net.train()
    order = torch.randperm(len(x_train))
    for i in range(0, len(order), bs):
        idx = order[i : i + bs]
        opt.zero_grad()
        loss = masked_mae(y_train[idx], net(x_train[idx]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
    net.eval()
    with torch.no_grad():
        val = masked_mae(y_val, net(x_val)).item()
    epoch_seconds.append(time.perf_counter() - t0)
    epochs_run += 1
    if val < best:
        best, waited = val, 0
        best_state = {k: v.clone() for k, v in net.state_dict().items()}
    else:
        waited += 1
        if waited >= spec["patience"]:
            break
train_seconds = time.perf_counter() - t_start
net.load_state_dict(best_state)
net.eval()
with torch.no_grad():
    pred = net(x_test).numpy().astype(np.float32)
    one = x_test[-1:].clone()
    for _ in range(5):
        net(one)
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        net(one)
        times.append((time.perf_counter() - t0) * 1000)
pred.tofile(spec["dir"] + "/torch_pred.f32")
print(json.dumps({
    "torch": torch.__version__,
    "threads": threads,
    "epochsRun": epochs_run,
    "trainSeconds": train_seconds,
    "secondsPerEpoch": float(np.median(epoch_seconds)),
    "forecastMs": float(np.median(times)),
    "bestValLoss": best,
}))
