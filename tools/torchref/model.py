"""PyTorch mirror of reslab's ResNet, with torchvision's exact tensor names.

ResNet(depth, width=64, num_classes=1000, pooling='avg', head_hidden=(),
       dropout=0.0, input_size=224)

* depth 18/34 -> BasicBlock, layers [2,2,2,2] / [3,4,6,3]
  depth 50/101 -> Bottleneck (expansion 4, stride on the 3x3 conv, "v1.5"),
  layers [3,4,6,3] / [3,4,23,3].
* stage widths width, 2*width, 4*width, 8*width (torchvision: 64..512).
* stem: conv1 7x7/2 pad 3 (no bias), bn1, relu, maxpool 3x3/2 pad 1.
* shortcut: downsample.0 (1x1 conv, stride s, no bias) + downsample.1 (BN)
  when stride != 1 or the channel count changes.
* BN eps 1e-5, momentum 0.1.
* pooling 'avg': adaptive average pool to 1x1, flatten -> C features.
  pooling 'flatten': flatten the final NCHW map in (C, H, W) order.
* head: head_hidden empty -> one nn.Linear named `fc` (torchvision).
  Otherwise nn.ModuleList `head` of Linear layers head.0 .. head.K;
  forward: for each hidden layer: dropout(p) -> linear -> ELU(alpha=1);
  then dropout(p) -> last linear.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-5
BN_MOMENTUM = 0.1

LAYERS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3]}


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


def bn(c):
    return nn.BatchNorm2d(c, eps=BN_EPS, momentum=BN_MOMENTUM)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = bn(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = bn(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out = out + identity
        return self.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = bn(planes)
        self.conv2 = conv3x3(planes, planes, stride)  # v1.5: stride on the 3x3
        self.bn2 = bn(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = bn(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out = out + identity
        return self.relu(out)


def conv_out(size, kernel, stride, pad):
    return (size + 2 * pad - kernel) // stride + 1


def final_spatial(input_size):
    """Spatial size of layer4's output for a square input of input_size."""
    s = conv_out(input_size, 7, 2, 3)  # conv1
    s = conv_out(s, 3, 2, 1)           # maxpool
    # layer1 stride 1; layer2..4 stride 2 (3x3 pad 1 and 1x1 pad 0 agree)
    for _ in range(3):
        s = conv_out(s, 3, 2, 1)
    return s


class ResNet(nn.Module):
    def __init__(self, depth, width=64, num_classes=1000, pooling='avg',
                 head_hidden=(), dropout=0.0, input_size=224):
        super().__init__()
        if depth not in LAYERS:
            raise ValueError(f"unsupported depth {depth}")
        if pooling not in ('avg', 'flatten'):
            raise ValueError(f"unsupported pooling {pooling!r}")
        block = BasicBlock if depth in (18, 34) else Bottleneck
        layers = LAYERS[depth]
        self.depth = depth
        self.width = width
        self.pooling = pooling
        self.dropout_p = float(dropout)
        self.input_size = input_size
        self.head_hidden = list(head_hidden)

        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = bn(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, 2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 8 * width, layers[3], stride=2)
        if pooling == 'avg':
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        channels = 8 * width * block.expansion
        self.final_spatial = final_spatial(input_size)
        if pooling == 'avg':
            features = channels
        else:
            features = channels * self.final_spatial * self.final_spatial
        self.features = features

        if not self.head_hidden:
            self.fc = nn.Linear(features, num_classes)
        else:
            dims = [features] + self.head_hidden + [num_classes]
            self.head = nn.ModuleList(
                [nn.Linear(dims[i], dims[i + 1]) for i in range(len(dims) - 1)])

        # torchvision's initialisation
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                bn(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward_features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        if self.pooling == 'avg':
            x = self.avgpool(x)
        return torch.flatten(x, 1)  # (C, H, W) order

    def forward(self, x):
        x = self.forward_features(x)
        if not self.head_hidden:
            return self.fc(x)
        p = self.dropout_p
        for lin in self.head[:-1]:
            x = F.dropout(x, p, self.training)
            x = F.elu(lin(x), alpha=1.0)
        x = F.dropout(x, p, self.training)
        return self.head[-1](x)
