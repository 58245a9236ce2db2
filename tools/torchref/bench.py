#!/usr/bin/python3
"""Time a ResNet step in PyTorch the way `reslab bench` times it in reslab.

Run with Debian's PyTorch: /usr/bin/python3 tools/torchref/bench.py --arch resnet18 --size 224
--batch 8 --mode train --json. Two threads (this machine's cores), float32, random inputs, Adam for
training; the median seconds per batch after warm-up, and the process's peak resident memory.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch
import torchvision


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--arch", default="resnet18", choices=["resnet18", "resnet34", "resnet50", "resnet101"])
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--mode", default="train", choices=["train", "infer", "frozen"])
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = getattr(torchvision.models, a.arch)(num_classes=a.classes)
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.arange(a.batch) % a.classes
    if a.mode == "frozen":
        for name, param in model.named_parameters():
            param.requires_grad = name.startswith("fc.")
    params = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        if a.mode == "infer":
            model.eval()
            with torch.no_grad():
                model(x)
            return
        if a.mode == "frozen":  # backbone in inference, head trains: reslab's frozen mode
            model.eval()
            model.fc.train()
        else:
            model.train()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    times = []
    for i in range(a.warmup + max(a.steps, 1)):
        t0 = time.perf_counter()
        step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    res = {
        "arch": a.arch, "size": a.size, "batch": a.batch, "mode": a.mode,
        "sec_per_batch": med, "images_per_sec": a.batch / med,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "blas": "pytorch %s (%d threads, mkldnn %s)" % (torch.__version__, torch.get_num_threads(), torch.backends.mkldnn.is_available()),
        "steps": len(times),
    }
    if a.json:
        json.dump(res, sys.stdout)
        print()
    else:
        print("%s %d px, batch %d, %s: %.3f s/batch, %.1f images/s, peak RSS %.2f GB" % (
            a.arch, a.size, a.batch, a.mode, med, a.batch / med, res["peak_rss_bytes"] / 1e9))


if __name__ == "__main__":
    main()
