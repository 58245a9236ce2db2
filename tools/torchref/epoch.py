#!/usr/bin/python3
"""Time whole epochs of the frozen-backbone reference workflow in PyTorch.

The workflow is reslab's `keras-tutorial` preset: ResNet-50 at 224 px, backbone frozen (inference
mode, no gradients), flatten head 512,64 with ELU and dropout 0.4, Adam 1e-5, batch 32, training
images augmented as reslab does (rotation 30°, shear 0.2°, zoom 0.2, horizontal flip, nearest
fill), then the validation split each epoch. It is what "PyTorch doing the same" means for issue 6's
frozen-workflow goal; compare with `reslab train --preset keras-tutorial --no-tui`.

    /usr/bin/python3 tools/torchref/epoch.py --data ../shared/data/flowers10 --epochs 2 [--json]

Debian's python3-torch and python3-torchvision, two threads (this machine's cores) and, by
default, two DataLoader worker processes decoding and augmenting beside the model.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torchvision
from torchvision import transforms as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ResNet  # noqa: E402


def loaders(data, size, batch, workers, augment):
    norm = T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    train_tf = [T.Resize((size, size))]
    if augment:
        train_tf += [T.RandomAffine(degrees=30, scale=(0.8, 1.2), shear=0.2), T.RandomHorizontalFlip()]
    train_tf += [T.ToTensor(), norm]
    valid_tf = T.Compose([T.Resize((size, size)), T.ToTensor(), norm])
    train = torchvision.datasets.ImageFolder(os.path.join(data, "train"), T.Compose(train_tf))
    valid = torchvision.datasets.ImageFolder(os.path.join(data, "valid"), valid_tf)
    kw = dict(batch_size=batch, num_workers=workers, persistent_workers=workers > 0)
    return (torch.utils.data.DataLoader(train, shuffle=True, **kw),
            torch.utils.data.DataLoader(valid, shuffle=False, **kw), len(train.classes))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="../shared/data/flowers10")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    train, valid, classes = loaders(a.data, a.size, a.batch, a.workers, not a.no_augment)
    model = ResNet(50, num_classes=classes, pooling="flatten", head_hidden=(512, 64), dropout=0.4,
                   input_size=a.size)
    head = [q for n, q in model.named_parameters() if n.startswith("head.")]
    for n, q in model.named_parameters():
        q.requires_grad = n.startswith("head.")
    opt = torch.optim.Adam(head, lr=1e-5)
    loss_fn = torch.nn.CrossEntropyLoss()

    epochs = []
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        model.train()         # dropout on (the model's own flag drives it) ...
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()      # ... BatchNorm on running statistics: the backbone is frozen
        for x, y in train:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in valid:
                correct += (model(x).argmax(1) == y).sum().item()
        epochs.append(time.perf_counter() - t0)
        if not a.json:
            print("epoch %d: %.1f s, val acc %.1f%%" % (epoch + 1, epochs[-1], 100 * correct / len(valid.dataset)))
    res = {"epoch_seconds": epochs, "augment": not a.no_augment, "workers": a.workers,
           "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
           "torch": torch.__version__}
    if a.json:
        json.dump(res, sys.stdout)
        print()


if __name__ == "__main__":
    main()
