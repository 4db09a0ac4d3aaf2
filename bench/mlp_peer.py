#!/usr/bin/python3
"""mlp_peer.py: the Python PyTorch side of bench/mlp.sh.

  mlp_peer.py --generate ROWS FEATURES X.f32 Y.f32   write the bench data
  mlp_peer.py X.f32 Y.f32 ROWS FEATURES BATCH STEPS WARMUP HIDDEN

The second form times training steps of the same network as mlp_standard
(Linear-ReLU-Dropout-Linear-ReLU-Dropout-Linear(1), dropout 0.1, Adam lr
1e-3, mean squared error) written the ordinary PyTorch way, batches taken
by indexing the data tensor with a shuffled permutation, on one thread; it
prints {"step_ms": median over 5 blocks, "loss": last} like
build/bench/mlp_step.
"""
import json
import sys
import time

import numpy as np
import torch


def generate(rows, features, xpath, ypath):
    rng = np.random.default_rng(20261126)
    x = rng.standard_normal((rows, features), dtype=np.float32)
    beta = rng.standard_normal(features).astype(np.float32)
    y = np.tanh(x @ beta / np.sqrt(features)) + 0.1 * rng.standard_normal(rows, dtype=np.float32)
    x.tofile(xpath)
    y.astype(np.float32).tofile(ypath)


def main():
    if sys.argv[1] == "--generate":
        generate(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
        return
    xpath, ypath = sys.argv[1], sys.argv[2]
    n, f, b, steps, warmup, hidden = (int(a) for a in sys.argv[3:9])
    torch.set_num_threads(1)
    torch.manual_seed(42)
    x = torch.from_numpy(np.fromfile(xpath, dtype=np.float32).reshape(n, f))
    y = torch.from_numpy(np.fromfile(ypath, dtype=np.float32))
    net = torch.nn.Sequential(
        torch.nn.Linear(f, hidden), torch.nn.ReLU(), torch.nn.Dropout(0.1),
        torch.nn.Linear(hidden, hidden), torch.nn.ReLU(), torch.nn.Dropout(0.1),
        torch.nn.Linear(hidden, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()
    perm = torch.randperm(n)
    off = 0
    blocks = []
    per_block = max(steps // 5, 1)
    loss = None
    for k in range(-1, 5):
        todo = warmup if k < 0 else per_block
        t0 = time.perf_counter()
        for _ in range(todo):
            if off + b > n:
                off = 0
            idx = perm[off:off + b]
            off += b
            opt.zero_grad()
            loss = loss_fn(net(x[idx]).squeeze(1), y[idx])
            loss.backward()
            opt.step()
        if k >= 0:
            blocks.append((time.perf_counter() - t0) / todo * 1e3)
    blocks.sort()
    print(json.dumps({"step_ms": blocks[2], "loss": float(loss)}))


if __name__ == "__main__":
    main()
