"""Minimal safetensors writer/reader (no dependency on the safetensors package).

Format: 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header
{name: {"dtype": "F32"|"I64"|"F64", "shape": [...], "data_offsets": [b, e]},
 "__metadata__": {str: str}}, then the raw little-endian tensor bytes.
Offsets are relative to the first byte after the header. Tensors are laid
out contiguously in header order. The header is padded with trailing spaces
to a multiple of 8 bytes (as the reference implementation does).
"""
import json
import struct

import numpy as np

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8")}
_NP2ST = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}


def save(path, tensors, metadata=None):
    """tensors: ordered dict name -> numpy array (float32/float64/int64)."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    off = 0
    for name, arr in tensors.items():
        arr = np.asarray(arr)
        dt = _NP2ST[arr.dtype]
        b = np.ascontiguousarray(arr, dtype=_DTYPES[dt]).tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load(path):
    """Returns (tensors: dict name -> numpy array, metadata: dict, order: list)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    body = data[8 + n:]
    out = {}
    order = []
    expect = 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = info["data_offsets"]
        assert b == expect, f"{name}: gap/overlap at {b} (expected {expect})"
        dt = _DTYPES[info["dtype"]]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        assert e - b == count * dt.itemsize, f"{name}: size mismatch"
        out[name] = np.frombuffer(body[b:e], dtype=dt).reshape(shape).copy()
        order.append(name)
        expect = e
    assert expect == len(body), "trailing bytes after last tensor"
    return out, meta, order


def header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n).decode("utf-8"))
