#!/usr/bin/python3
"""Generate PyTorch reference fixtures for reslab's Go network (package resnet).

Run from anywhere:  /usr/bin/python3 tools/torchref/make_fixtures.py
Writes resnet/testdata/torchref/*.safetensors (see README.md for semantics).
"""
import copy
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True  # keep tools/torchref free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import ResNet  # noqa: E402
import safetensors_io as st  # noqa: E402

OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "resnet", "testdata", "torchref"))

# name, depth, width, size, classes, pooling, head_hidden, dropout, batch, seed
FIXTURES = [
    ("r18_w8_s32_linear", 18, 8, 32, 10, "avg", [], 0.0, 4, 1801),
    ("r18_w8_s64_head", 18, 8, 64, 5, "flatten", [32, 16], 0.0, 3, 1802),
    ("r50_w8_s64_avg", 50, 8, 64, 7, "avg", [16], 0.0, 2, 5001),
    ("r34_w4_s32_linear", 34, 4, 32, 3, "avg", [], 0.0, 8, 3401),
    ("r101_w4_s32_linear", 101, 4, 32, 3, "avg", [], 0.0, 8, 10101),
    # 96 px at batch 8: the 3×3 convolutions of the first two stages run by
    # Winograd's F(2×2, 3×3) in reslab (256 tiles or more).
    ("r18_w8_s96_winograd", 18, 8, 96, 10, "avg", [], 0.0, 8, 1803),
]


def randomise_bn(model, residual_gamma=None):
    """BN weight U(0.5,1.5), bias N(0,0.1), running_mean N(0,0.1), running_var U(0.5,1.5).

    residual_gamma=(lo, hi) draws the weight of each residual branch's last
    BatchNorm (bn3 of a Bottleneck) from U(lo, hi) instead: a deep network
    then stays close to identity, as trained ResNets are (torchvision's
    zero_init_residual is the limit), and float32 arithmetic can be checked
    against float64 to 1e-4 instead of drowning in 33 blocks' amplification.
    """
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                if residual_gamma is not None and name.endswith(".bn3"):
                    m.weight.uniform_(*residual_gamma)
                else:
                    m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)


def to_np32(t):
    t = t.detach().cpu()
    if t.dtype in (torch.int64, torch.int32):
        return t.to(torch.int64).numpy()
    return t.to(torch.float32).numpy()


# ---------------------------------------------------------------------------
# torchvision equivalence checks
# ---------------------------------------------------------------------------
def check_torchvision():
    import torchvision
    ctors = {18: torchvision.models.resnet18, 34: torchvision.models.resnet34,
             50: torchvision.models.resnet50, 101: torchvision.models.resnet101}
    for depth, ctor in ctors.items():
        torch.manual_seed(0)
        tv = ctor()
        mine = ResNet(depth, width=64, num_classes=1000)
        a = [(k, tuple(v.shape)) for k, v in tv.state_dict().items()]
        b = [(k, tuple(v.shape)) for k, v in mine.state_dict().items()]
        assert a == b, f"resnet{depth}: state_dict keys/shapes differ"
        print(f"torchvision resnet{depth}: {len(a)} state_dict entries, keys+shapes+order identical")

    for depth in (18, 50):
        torch.manual_seed(42)
        tv = ctors[depth]()
        randomise_bn(tv)
        mine = ResNet(depth, width=64, num_classes=1000)
        mine.load_state_dict(tv.state_dict(), strict=True)
        x = torch.randn(2, 3, 64, 64)
        tv.eval(); mine.eval()
        with torch.no_grad():
            ya, yb = tv(x), mine(x)
        assert torch.equal(ya, yb), f"resnet{depth} eval outputs differ: {(ya - yb).abs().max()}"
        tv.train(); mine.train()
        ya, yb = tv(x), mine(x)
        assert torch.equal(ya, yb), f"resnet{depth} train outputs differ"
        for (k, va), (_, vb) in zip(tv.state_dict().items(), mine.state_dict().items()):
            assert torch.equal(va, vb), f"resnet{depth}: {k} differs after train forward"
        print(f"torchvision resnet{depth} weights in ResNet({depth}) at 64px: eval+train outputs "
              f"and updated running stats bit-identical")


# ---------------------------------------------------------------------------
# model fixtures
# ---------------------------------------------------------------------------
def grad_names(model):
    names = ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight",
             "layer4.0.downsample.0.weight", "layer4.1.bn2.weight", "layer4.1.bn2.bias"]
    if model.head_hidden:
        k = len(model.head) - 1
        names += ["head.0.weight", "head.0.bias", f"head.{k}.weight", f"head.{k}.bias"]
    else:
        names += ["fc.weight", "fc.bias"]
    return names


AFTER_TRAIN = ["bn1.running_mean", "bn1.running_var", "layer4.1.bn2.running_var",
               "bn1.num_batches_tracked"]


def make_model_fixture(name, depth, width, size, classes, pooling, head, dropout, batch, seed):
    torch.manual_seed(seed)
    model = ResNet(depth, width=width, num_classes=classes, pooling=pooling,
                   head_hidden=head, dropout=dropout, input_size=size)
    randomise_bn(model, (0.05, 0.15) if depth >= 50 else None)
    x = torch.randn(batch, 3, size, size)
    labels = torch.randint(0, classes, (batch,), dtype=torch.int64)

    tensors = OrderedDict()
    for k, v in model.state_dict().items():
        tensors[k] = to_np32(v)
    tensors["input"] = to_np32(x)
    tensors["labels"] = labels.numpy().astype(np.int64)

    # float64 reference (parameters are exactly the stored float32 values)
    ref = copy.deepcopy(model).double()
    xd = x.double()
    ref.eval()
    with torch.no_grad():
        eval_logits = ref(xd)
    ref.train()
    ref.zero_grad()
    train_logits = ref(xd)
    loss = F.cross_entropy(train_logits, labels)  # mean over batch
    loss.backward()

    tensors["eval.logits"] = to_np32(eval_logits)
    tensors["train.logits"] = to_np32(train_logits)
    tensors["train.loss"] = np.array(loss.item(), dtype=np.float32).reshape(())
    params = dict(ref.named_parameters())
    for g in grad_names(ref):
        tensors["grad." + g] = to_np32(params[g].grad)
    sd = ref.state_dict()
    for k in AFTER_TRAIN:
        tensors["after_train." + k] = to_np32(sd[k])

    # Plain float32 PyTorch run of the same model: not stored, only measured, so
    # that the Go tests know how far an honest float32 implementation lands from
    # the float64 reference (metadata "f32_relerr.<tensor>").
    m32 = copy.deepcopy(model)
    m32.eval()
    with torch.no_grad():
        e32 = m32(x)
    m32.train()
    t32 = m32(x)
    l32 = F.cross_entropy(t32, labels)
    l32.backward()
    p32 = dict(m32.named_parameters())
    sd32 = m32.state_dict()
    got32 = {"eval.logits": e32, "train.logits": t32, "train.loss": l32}
    for g in grad_names(ref):
        got32["grad." + g] = p32[g].grad
    for k in AFTER_TRAIN:
        if not k.endswith("num_batches_tracked"):
            got32["after_train." + k] = sd32[k]
    relerr = OrderedDict()
    for k, v in got32.items():
        a = v.detach().double()
        b = torch.from_numpy(np.asarray(tensors[k])).double()
        den = b.abs().max().clamp_min(1e-30)
        relerr[k] = ((a - b).abs().max() / den).item()

    if pooling == "avg":
        # BatchNorm recalibration at another input size (FixRes), as
        # torch.optim.swa_utils.update_bn does it: two batches of unequal
        # size, each weighing the same, from a generator of their own so that
        # the tensors above stay as they were.
        gen = torch.Generator().manual_seed(seed + 77)
        rsize = size + 16
        recal = [torch.randn(3, 3, rsize, rsize, generator=gen), torch.randn(2, 3, rsize, rsize, generator=gen)]
        bns = [n for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
        keys = [f"{bns[0]}.running_mean", f"{bns[0]}.running_var", f"{bns[-1]}.running_mean",
                f"{bns[-1]}.running_var", f"{bns[-1]}.num_batches_tracked"]
        r64 = copy.deepcopy(model).double()
        torch.optim.swa_utils.update_bn([b.double() for b in recal], r64)
        r32 = copy.deepcopy(model)
        torch.optim.swa_utils.update_bn(recal, r32)
        sd64, sd32 = r64.state_dict(), r32.state_dict()
        for i, b in enumerate(recal):
            tensors[f"recal.input{i}"] = to_np32(b)
        for k in keys:
            tensors["recal." + k] = to_np32(sd64[k])
            if not k.endswith("num_batches_tracked"):
                a, b = sd32[k].double(), sd64[k]
                relerr["recal." + k] = ((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item()

    print(f"{name}: final spatial {model.final_spatial}x{model.final_spatial}, features {model.features}, "
          f"|eval.logits|max {eval_logits.abs().max():.3g}, |train.logits|max {train_logits.abs().max():.3g}, "
          f"loss {loss.item():.6f}")
    print("    torch f32 vs f64 (max abs err / max abs ref): " +
          ", ".join(f"{k} {v:.1e}" for k, v in relerr.items()))

    meta = OrderedDict([
        ("depth", str(depth)), ("width", str(width)), ("size", str(size)),
        ("classes", str(classes)), ("pooling", pooling),
        ("head", ",".join(str(h) for h in head) if head else "linear"),
        ("dropout", repr(float(dropout))), ("batch", str(batch)),
        ("seed", str(seed)), ("reference", "float64 (stored as float32)"),
        ("final_spatial", str(model.final_spatial)), ("features", str(model.features)),
        ("bn_eps", "1e-05"), ("bn_momentum", "0.1"),
    ])
    for k, v in relerr.items():
        meta["f32_relerr." + k] = f"{v:.3e}"
    path = os.path.join(OUT_DIR, name + ".safetensors")
    st.save(path, tensors, meta)
    self_check(path, tensors, meta)
    return path


# ---------------------------------------------------------------------------
# pure-op fixture
# ---------------------------------------------------------------------------
def make_ops_fixture():
    torch.manual_seed(777)
    t = OrderedDict()

    # ELU(alpha=1): y = x if x > 0 else exp(x) - 1; dx = g * (1 if x > 0 else exp(x))
    x = (torch.randn(4, 6) * 2.0).double().requires_grad_(True)
    g = torch.randn(4, 6).double()
    y = F.elu(x, alpha=1.0)
    y.backward(g)
    t["elu.x"], t["elu.y"], t["elu.g"], t["elu.dx"] = map(to_np32, (x, y, g, x.grad))

    # adaptive average pool to 1x1 over (N,C,H,W) = (2,3,5,4)
    x = torch.randn(2, 3, 5, 4).double().requires_grad_(True)
    y = F.adaptive_avg_pool2d(x, (1, 1))
    g = torch.randn(2, 3, 1, 1).double()
    y.backward(g)
    t["avgpool.x"], t["avgpool.y"], t["avgpool.g"], t["avgpool.dx"] = map(to_np32, (x, y, g, x.grad))

    # log_softmax + NLL (mean over batch) for (3,5) logits
    z = (torch.randn(3, 5) * 2.0).double().requires_grad_(True)
    labels = torch.randint(0, 5, (3,), dtype=torch.int64)
    ls = F.log_softmax(z, dim=1)
    loss = F.nll_loss(ls, labels)  # == F.cross_entropy(z, labels)
    assert torch.allclose(loss, F.cross_entropy(z, labels))
    loss.backward()
    t["ce.logits"] = to_np32(z)
    t["ce.labels"] = labels.numpy().astype(np.int64)
    t["ce.log_softmax"] = to_np32(ls)
    t["ce.loss"] = np.array(loss.item(), dtype=np.float32).reshape(())
    t["ce.dlogits"] = to_np32(z.grad)  # = (softmax(z) - onehot) / N

    # the same logits with label smoothing 0.1 (PyTorch's definition)
    z2 = z.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(z2, labels, label_smoothing=0.1)
    loss.backward()
    t["ce_smooth.loss"] = np.array(loss.item(), dtype=np.float32).reshape(())
    t["ce_smooth.dlogits"] = to_np32(z2.grad)

    # optimisers: three steps from the same weights and gradients (float64)
    w0 = torch.randn(7).double()
    grads = [torch.randn(7).double() for _ in range(3)]
    t["opt.w0"] = to_np32(w0)
    for i, g in enumerate(grads):
        t["opt.g%d" % (i + 1)] = to_np32(g)
    cases = {
        "sgd": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
        "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        "sgd_plain": lambda p: torch.optim.SGD([p], lr=0.1),
        "adam_l2": lambda p: torch.optim.Adam([p], lr=0.01, weight_decay=0.1),
        "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1),
    }
    for name, make in cases.items():
        p = w0.clone().requires_grad_(True)
        opt = make(p)
        for g in grads:
            opt.zero_grad()
            p.grad = g.clone()
            opt.step()
        t["opt.%s.w3" % name] = to_np32(p.detach())

    meta = {"reference": "float64 (stored as float32)", "seed": "777",
            "elu_alpha": "1.0", "ce_reduction": "mean", "ce_label_smoothing": "0.1",
            "opt": "lr 0.1 momentum 0.9 wd 0.01 (sgd, sgd_nesterov); lr 0.1 (sgd_plain); lr 0.01 wd 0.1 (adam_l2, adamw); 3 steps"}
    path = os.path.join(OUT_DIR, "ops.safetensors")
    st.save(path, t, meta)
    self_check(path, t, meta)
    return path


def self_check(path, tensors, meta):
    back, bmeta, order = st.load(path)
    assert order == list(tensors.keys()), "header order != layout order"
    assert bmeta == {k: str(v) for k, v in meta.items()}
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and back[k].shape == v.shape and np.array_equal(back[k], v), k


def main():
    torch.set_num_threads(1)  # keep float64 reductions in a fixed order
    os.makedirs(OUT_DIR, exist_ok=True)
    check_torchvision()
    paths = [make_model_fixture(*f) for f in FIXTURES]
    paths.append(make_ops_fixture())
    total = 0
    for p in paths:
        n = os.path.getsize(p)
        total += n
        print(f"  {os.path.relpath(p, os.path.join(OUT_DIR, '..', '..', '..'))}: {n} bytes")
    print(f"  total {total} bytes")


if __name__ == "__main__":
    main()
