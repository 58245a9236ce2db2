#!/usr/bin/python3
"""Time whole epochs of one of reslab's recipes in PyTorch, with its DataLoader.

--recipe names the reslab preset it reproduces (network, head, optimiser, schedule, loss and
augmentation as torchvision spells them), training and then the validation split each epoch:

  keras-tutorial   ResNet-50 at 224 px, backbone frozen (inference mode, no gradients), flatten
                   head 512,64 with ELU and dropout 0.4, Adam 1e-5, batch 32, rotation 30°, shear
                   0.2°, zoom 0.2, horizontal flip
  quick            ResNet-18 width 16 at 64 px from scratch, Adam 3e-3, batch 32, rotation 10°,
                   zoom 0.1, flip
  flowers-scratch  ResNet-18 width 32 at 128 px from scratch, AdamW 3e-3 (decay 0.05, none on
                   BatchNorm and biases), warm-up then cosine per step, label smoothing 0.1,
                   random-resized crops 25-100 %, flip, rotation 10°, colour jitter 0.2

It is what "PyTorch doing the same" means for the whole-epoch goals; compare with
`reslab train --preset RECIPE --no-tui` (benchmarks/epochs.sh runs both).

    /usr/bin/python3 tools/torchref/epoch.py --recipe quick --data ../shared/data/flowers10 --epochs 2 [--json]

Debian's python3-torch and python3-torchvision, two threads (this machine's cores) and, by
default, two DataLoader worker processes decoding and augmenting beside the model.
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import torch
import torchvision
from torchvision import transforms as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ResNet  # noqa: E402


RECIPES = {
    "keras-tutorial": dict(depth=50, width=64, size=224, pooling="flatten", head=(512, 64), dropout=0.4,
                           frozen=True, lr=1e-5),
    "quick": dict(depth=18, width=16, size=64, pooling="avg", head=(), dropout=0.0, frozen=False, lr=3e-3),
    "flowers-scratch": dict(depth=18, width=32, size=128, pooling="avg", head=(), dropout=0.2, frozen=False,
                            lr=3e-3),
}


def train_transform(recipe, size):
    if recipe == "keras-tutorial":
        return [T.Resize((size, size)), T.RandomAffine(degrees=30, scale=(0.8, 1.2), shear=0.2),
                T.RandomHorizontalFlip()]
    if recipe == "quick":
        return [T.Resize((size, size)), T.RandomAffine(degrees=10, scale=(0.9, 1.1)), T.RandomHorizontalFlip()]
    return [T.RandomResizedCrop(size, scale=(0.25, 1.0)), T.RandomHorizontalFlip(), T.RandomRotation(10),
            T.ColorJitter(0.2, 0.2, 0.2)]


def loaders(data, recipe, size, batch, workers, augment):
    norm = T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train_tf = train_transform(recipe, size) if augment else [T.Resize((size, size))]
    train_tf += [T.ToTensor(), norm]
    valid_tf = T.Compose([T.Resize((size, size)), T.ToTensor(), norm])
    train = torchvision.datasets.ImageFolder(os.path.join(data, "train"), T.Compose(train_tf))
    valid = torchvision.datasets.ImageFolder(os.path.join(data, "valid"), valid_tf)
    kw = dict(batch_size=batch, num_workers=workers, persistent_workers=workers > 0)
    return (torch.utils.data.DataLoader(train, shuffle=True, **kw),
            torch.utils.data.DataLoader(valid, shuffle=False, **kw), len(train.classes))


def optimiser(recipe, model, r, steps_per_epoch, epochs):
    """The recipe's optimiser, its per-step schedule (or None) and its loss."""
    if r["frozen"]:
        head = [q for n, q in model.named_parameters() if n.startswith("head.")]
        for n, q in model.named_parameters():
            q.requires_grad = n.startswith("head.")
        return torch.optim.Adam(head, lr=r["lr"]), None, torch.nn.CrossEntropyLoss()
    if recipe == "quick":
        return torch.optim.Adam(model.parameters(), lr=r["lr"]), None, torch.nn.CrossEntropyLoss()
    decay = [q for n, q in model.named_parameters() if q.ndim > 1]
    no_decay = [q for n, q in model.named_parameters() if q.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=r["lr"])
    total, warm = steps_per_epoch * epochs, steps_per_epoch * min(3, epochs)

    def factor(step):
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(total - warm, 1)))
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor), torch.nn.CrossEntropyLoss(label_smoothing=0.1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", default="keras-tutorial", choices=sorted(RECIPES))
    p.add_argument("--data", default="../shared/data/flowers10")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=0, help="input size (0: the recipe's)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    r = RECIPES[a.recipe]
    size = a.size or r["size"]

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    train, valid, classes = loaders(a.data, a.recipe, size, a.batch, a.workers, not a.no_augment)
    model = ResNet(r["depth"], width=r["width"], num_classes=classes, pooling=r["pooling"],
                   head_hidden=r["head"], dropout=r["dropout"], input_size=size)
    opt, schedule, loss_fn = optimiser(a.recipe, model, r, len(train), a.epochs)

    epochs = []
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        model.train()
        if r["frozen"]:
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.eval()  # BatchNorm on running statistics: the backbone is frozen
        for x, y in train:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            if schedule is not None:
                schedule.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in valid:
                correct += (model(x).argmax(1) == y).sum().item()
        epochs.append(time.perf_counter() - t0)
        if not a.json:
            print("epoch %d: %.1f s, val acc %.1f%%" % (epoch + 1, epochs[-1], 100 * correct / len(valid.dataset)))
    res = {"recipe": a.recipe, "epoch_seconds": epochs, "augment": not a.no_augment, "workers": a.workers,
           "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
           "torch": torch.__version__}
    if a.json:
        json.dump(res, sys.stdout)
        print()


if __name__ == "__main__":
    main()
