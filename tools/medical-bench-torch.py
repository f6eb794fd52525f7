#!/usr/bin/env python3
"""PyTorch CPU peer for packages/medical-imaging/bench/run.ts: the same residual CNN and U-Net, the same
data, epochs, batch sizes, optimiser (Adam, cosine schedule), class weights, augmentation and selection
rules (epoch by validation AUC / Dice, threshold by Youden's J on validation). Prints one JSON object.

usage: medical-bench-torch.py CONFIG.json   (written by the bench; see run.ts for the fields)
"""
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def auc(y, s):
    order = np.argsort(s, kind="mergesort")
    s_sorted = s[order]
    ranks = np.empty(len(s), dtype=np.float64)
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s_sorted[j + 1] == s_sorted[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = y == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def youden(y, s):
    order = np.argsort(-s, kind="mergesort")
    pos = (y == 1).sum()
    neg = len(y) - pos
    tp = fp = 0
    best, thr = -1e9, 0.5
    for k, i in enumerate(order):
        if y[i] == 1:
            tp += 1
        else:
            fp += 1
        nxt = order[k + 1] if k + 1 < len(order) else None
        if nxt is not None and s[nxt] == s[i]:
            continue
        j = tp / pos - fp / neg
        if j > best:
            best = j
            thr = s[i] if nxt is None else (s[i] + s[nxt]) / 2
    return float(thr)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-3)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout, momentum=0.1, eps=1e-3)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout, momentum=0.1, eps=1e-3))

    def forward(self, x):
        h = F.relu(self.b1(self.c1(x)))
        h = self.b2(self.c2(h))
        return F.relu(h + (x if self.short is None else self.short(x)))


class ResNet(nn.Module):
    def __init__(self, filters, classes, dropout):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, filters[0], 3, 1, 1, bias=False), nn.BatchNorm2d(filters[0], momentum=0.1, eps=1e-3), nn.ReLU())
        blocks, cin = [], filters[0]
        for i, f in enumerate(filters):
            blocks.append(Block(cin, f, 1 if i == 0 else 2))
            cin = f
        self.blocks = nn.Sequential(*blocks)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        h = self.blocks(self.stem(x)).mean(dim=(2, 3))
        return self.fc(self.drop(h))


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout, momentum=0.1, eps=1e-3), nn.ReLU(),
        nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout, momentum=0.1, eps=1e-3), nn.ReLU(),
    )


class UNet(nn.Module):
    def __init__(self, channels, filters, dropout):
        super().__init__()
        self.down = nn.ModuleList()
        cin = channels
        for f in filters[:-1]:
            self.down.append(double_conv(cin, f))
            cin = f
        self.bottom = double_conv(cin, filters[-1])
        self.drop = nn.Dropout(dropout)
        self.ups = nn.ModuleList()
        self.convs = nn.ModuleList()
        cin = filters[-1]
        for f in reversed(filters[:-1]):
            self.ups.append(nn.ConvTranspose2d(cin, f, 2, 2))
            self.convs.append(double_conv(2 * f, f))
            cin = f
        self.out = nn.Conv2d(cin, 1, 1)

    def forward(self, x):
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.drop(self.bottom(x))
        for up, conv in zip(self.ups, self.convs):
            x = conv(torch.cat([up(x), skips.pop()], dim=1))
        return torch.sigmoid(self.out(x))


def augment(x, aug):
    n, _, h, w = x.shape
    ang = (torch.rand(n) * 2 - 1) * aug["rotation"] * math.pi / 180
    scale = 1 + (torch.rand(n) * 2 - 1) * aug["zoom"]
    dx = (torch.rand(n) * 2 - 1) * aug["shift"] * 2
    dy = (torch.rand(n) * 2 - 1) * aug["shift"] * 2
    cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
    theta = torch.stack([torch.stack([cos, sin, dx], 1), torch.stack([-sin, cos, dy], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    gain = 1 + (torch.rand(n, 1, 1, 1) * 2 - 1) * aug["contrast"]
    bias = (torch.rand(n, 1, 1, 1) * 2 - 1) * aug["brightness"]
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * gain + mean + bias


def cosine_lr(base, epoch, epochs):
    return base * 0.5 * (1 + math.cos(math.pi * epoch / epochs))


def classifier(cfg):
    data = np.load(cfg["npz"])
    norm = lambda a: (a.astype(np.float32) / 255.0)
    xtr, ytr = norm(data["train_images"]), data["train_labels"].reshape(-1).astype(np.int64)
    xva, yva = norm(data["val_images"]), data["val_labels"].reshape(-1).astype(np.int64)
    xte, yte = norm(data["test_images"]), data["test_labels"].reshape(-1).astype(np.int64)
    mean, std = xtr.mean(), xtr.std()
    t = lambda a: torch.from_numpy((a - mean) / std).unsqueeze(1)
    xtr_t, xva_t, xte_t = t(xtr), t(xva), t(xte)
    ytr_t = torch.from_numpy(ytr)
    counts = np.bincount(ytr, minlength=2)
    weights = torch.tensor(len(ytr) / (2 * counts), dtype=torch.float32)
    torch.manual_seed(cfg["seed"])
    model = ResNet(cfg["filters"], 2, cfg["dropout"])
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    best, best_state, best_epoch, epochs_run = -1, None, -1, 0
    start = time.perf_counter()
    for epoch in range(cfg["epochs"]):
        for g in opt.param_groups:
            g["lr"] = cosine_lr(cfg["lr"], epoch, cfg["epochs"])
        model.train()
        perm = torch.randperm(len(ytr))
        for b in range(0, len(ytr), cfg["batch"]):
            idx = perm[b : b + cfg["batch"]]
            xb = augment(xtr_t[idx], cfg["augmentation"])
            logits = model(xb)
            loss = (F.cross_entropy(logits, ytr_t[idx], reduction="none") * weights[ytr_t[idx]]).mean()
            l2 = sum((p ** 2).sum() for n_, p in model.named_parameters() if p.dim() == 4) * cfg["l2"]
            opt.zero_grad()
            (loss + l2).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            s = F.softmax(model(xva_t), 1)[:, 1].numpy()
        a = auc(yva, s)
        epochs_run += 1
        if a > best:
            best, best_epoch = a, epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= cfg["patience"]:
            break
    train_seconds = time.perf_counter() - start
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        sv = F.softmax(model(xva_t), 1)[:, 1].numpy()
        st = F.softmax(model(xte_t), 1)[:, 1].numpy()
    thr = youden(yva, sv)
    pred = (st >= thr).astype(np.int64)
    sens = float(((pred == 1) & (yte == 1)).sum() / (yte == 1).sum())
    spec = float(((pred == 0) & (yte == 0)).sum() / (yte == 0).sum())
    with torch.no_grad():
        one = xte_t[:1]
        for _ in range(20):
            model(one)
        times = []
        for i in range(200):
            t0 = time.perf_counter()
            model(xte_t[i % len(yte) : i % len(yte) + 1])
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model(xte_t)
        batch_ms = (time.perf_counter() - t0) * 1000 / len(yte)
    return {
        "accuracy": float((pred == yte).mean()), "auc": auc(yte, st), "sensitivity": sens, "specificity": spec,
        "threshold": thr, "valAuc": best, "trainSeconds": train_seconds, "epochsRun": epochs_run, "selectedEpoch": best_epoch,
        "latencyMs": float(np.median(times) * 1000), "batchMsPerImage": batch_ms,
    }


def dice_scores(y, p):
    pb = (p > 0.5).astype(np.float64)
    inter = (pb * y).sum(axis=(1, 2, 3))
    tot = pb.sum(axis=(1, 2, 3)) + y.sum(axis=(1, 2, 3))
    union = tot - inter
    d = np.where(tot > 0, 2 * inter / np.maximum(tot, 1e-12), 1.0)
    j = np.where(union > 0, inter / np.maximum(union, 1e-12), 1.0)
    return float(d.mean()), float(j.mean())


def segmenter(cfg):
    d = cfg["dir"]
    ld = lambda n: np.load(f"{d}/{n}.npy").astype(np.float32)
    xtr, ytr, xva, yva, xte, yte = (ld(n) for n in ["x_train", "y_train", "x_val", "y_val", "x_test", "y_test"])
    mean = xtr.mean(axis=(0, 1, 2))
    std = xtr.std(axis=(0, 1, 2))
    t = lambda a: torch.from_numpy(((a - mean) / std).transpose(0, 3, 1, 2).copy())
    m = lambda a: torch.from_numpy(a.transpose(0, 3, 1, 2).copy())
    xtr_t, ytr_t = t(xtr), m(ytr)
    xva_t, xte_t = t(xva), t(xte)
    torch.manual_seed(cfg["seed"])
    model = UNet(xtr.shape[3], cfg["filters"], cfg["dropout"])
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    best, best_state, best_epoch, epochs_run = -1, None, -1, 0
    start = time.perf_counter()
    n = len(xtr_t)
    for epoch in range(cfg["epochs"]):
        for g in opt.param_groups:
            g["lr"] = cosine_lr(cfg["lr"], epoch, cfg["epochs"])
        model.train()
        perm = torch.randperm(n)
        for b in range(0, n, cfg["batch"]):
            idx = perm[b : b + cfg["batch"]]
            xb, yb = xtr_t[idx], ytr_t[idx]
            k = len(idx)
            if cfg["flip"]:
                # Like the SDK: each image and its mask flipped together, left-right and up-down at random.
                for axis in (3, 2):
                    sel = torch.rand(k) < 0.5
                    xb = torch.where(sel[:, None, None, None], xb.flip(axis), xb)
                    yb = torch.where(sel[:, None, None, None], yb.flip(axis), yb)
            gain = 1 + (torch.rand(k, 1, 1, 1) * 2 - 1) * cfg["contrast"]
            bias = (torch.rand(k, 1, 1, 1) * 2 - 1) * cfg["brightness"]
            mu = xb.mean(dim=(1, 2, 3), keepdim=True)
            xb = (xb - mu) * gain + mu + bias
            p = model(xb).clamp(1e-7, 1 - 1e-7)
            bce = -(yb * torch.log(p) + (1 - yb) * torch.log(1 - p)).mean(dim=(1, 2, 3))
            inter = (yb * p).sum(dim=(1, 2, 3))
            tot = yb.sum(dim=(1, 2, 3)) + p.sum(dim=(1, 2, 3))
            loss = (bce + cfg["diceWeight"] * (1 - (2 * inter + 1) / (tot + 1))).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            pv = torch.cat([model(xva_t[i : i + 16]) for i in range(0, len(xva_t), 16)]).numpy()
        dv, _ = dice_scores(yva.transpose(0, 3, 1, 2), pv)
        epochs_run += 1
        if dv > best:
            best, best_epoch = dv, epoch
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= cfg["patience"]:
            break
    train_seconds = time.perf_counter() - start
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        pt = torch.cat([model(xte_t[i : i + 16]) for i in range(0, len(xte_t), 16)]).numpy()
    dt, jt = dice_scores(yte.transpose(0, 3, 1, 2), pt)
    # The latency network is the one the SDK side times (--lat-filters), which may differ from the trained one.
    big = UNet(xtr.shape[3], cfg.get("latFilters", cfg["filters"]), cfg["dropout"]).eval()
    x256 = torch.randn(1, xtr.shape[3], 256, 256)
    lat_size = cfg.get("latSize", 256)

    def segment_256():
        # Same pipeline as the SDK: resize to the network's size, U-Net, mask upsampled to 256 x 256.
        x = x256 if lat_size == 256 else torch.nn.functional.interpolate(x256, size=(lat_size, lat_size), mode="area")
        p = big(x)
        if lat_size != 256:
            p = torch.nn.functional.interpolate(p, size=(256, 256), mode="bilinear", align_corners=False)
        return p > 0.5

    with torch.no_grad():
        for _ in range(3):
            segment_256()
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            segment_256()
            times.append(time.perf_counter() - t0)
    return {"dice": dt, "iou": jt, "valDice": best, "trainSeconds": train_seconds, "epochsRun": epochs_run, "selectedEpoch": best_epoch,
            "latency256Ms": float(np.median(times) * 1000)}


def main():
    cfg = json.load(open(sys.argv[1]))
    torch.set_num_threads(cfg.get("threads", 1))
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if "classifier" in cfg:
        out["classifier"] = classifier(cfg["classifier"])
    if "segmenter" in cfg:
        out["segmenter"] = segmenter(cfg["segmenter"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
