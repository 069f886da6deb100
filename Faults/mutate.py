"""Mutants of the project's own sample files (.npy and HDF5), one per (seed, index), deterministic.

Every mutator takes the original bytes, a `random.Random` and the seed file's `Seed` description, and returns
the mutated bytes and a short label saying what it did (the label goes into the reproducer's name and notes).
The structure-aware mutators find the places to damage from the file itself (h5py's view of where a dataset's
data and chunks are, and byte patterns of the dataspace and layout messages), so they keep working when the
sample files are regenerated.
"""

from __future__ import annotations

import ast
import random
import re
import struct
from dataclasses import dataclass, field

HUGE_DIMS = [2**31, 2**32, 2**40, 2**62, 2**63 - 1, 2**64 - 1, 10**20, 4611686018427387904]
NEGATIVE_DIMS = [-1, -2, -(2**31), -(2**63)]
DESCRS = ["<f8", ">f8", "<f4", ">f4", "<i8", ">i8", "<i4", ">i4", "<i2", ">i2", "|u1", "|i1", "<u2", "<u8",
          "<f2", "<c16", "|b1", "|O", "<U8", "|S4", "<M8[ns]", "f8", "<f16", "<f9", "", "<", "'", "<f8\x00"]


@dataclass
class DatasetSpot:
    """Where one numeric HDF5 dataset lives in its file."""
    name: str
    shape: tuple
    dtype: str
    layout: str                      # compact, contiguous or chunked
    data_offset: int | None          # contiguous data address
    storage: int
    chunks: list = field(default_factory=list)           # (address, size) per chunk
    space_positions: list = field(default_factory=list)  # offsets of the dims inside dataspace messages
    address_positions: list = field(default_factory=list)  # offsets of 8-byte data/chunk addresses in metadata


@dataclass
class Seed:
    path: str
    kind: str                         # "npy" or "hdf5"
    data: bytes
    datasets: list = field(default_factory=list)  # DatasetSpot, HDF5 only
    header_end: int = 0               # .npy: where the data starts


# ---------------------------------------------------------------------------------------------- .npy

def npy_header(data: bytes):
    """(version, header text, data start) of a well-formed .npy, or None."""
    if len(data) < 10 or data[:6] != b"\x93NUMPY":
        return None
    major = data[6]
    if major == 1:
        n = struct.unpack("<H", data[8:10])[0]
        start = 10
    else:
        n = struct.unpack("<I", data[8:12])[0]
        start = 12
    return major, data[start:start + n].decode("latin1"), start + n


def npy_with_header(data: bytes, text: str, version: int | None = None) -> bytes:
    """The file with its header dictionary text replaced (padded to numpy's 64-byte alignment)."""
    h = npy_header(data)
    body = data[h[2]:] if h else b""
    major = version or (h[0] if h else 1)
    raw = text.rstrip("\n").encode("latin1")
    pre = 10 if major == 1 else 12
    pad = (-(pre + len(raw) + 1)) % 64
    raw = raw + b" " * pad + b"\n"
    if major == 1 and len(raw) > 0xFFFF:
        major, pre = 2, 12
    length = struct.pack("<H", len(raw)) if major == 1 else struct.pack("<I", len(raw))
    return b"\x93NUMPY" + bytes([major, 0]) + length + raw + body


def _dict_text(d: dict) -> str:
    return "{" + "".join(f"'{k}': {v}, " for k, v in d.items()) + "}"


def _parsed(seed: Seed):
    h = npy_header(seed.data)
    return ast.literal_eval(h[1].strip()) if h else {"descr": "<f8", "fortran_order": False, "shape": (1,)}


def _shape_text(dims) -> str:
    return "(" + "".join(f"{d}, " for d in dims).rstrip(" ") + ")" if len(dims) != 1 else f"({dims[0]},)"


def m_npy_huge_dims(seed, rng):
    d = _parsed(seed)
    shape = list(d["shape"]) or [1]
    choice = rng.randrange(5)
    if choice == 0:
        shape[rng.randrange(len(shape))] = rng.choice(HUGE_DIMS)
    elif choice == 1:
        shape = [rng.choice(HUGE_DIMS[:3]), rng.choice(HUGE_DIMS[:3])] + shape[2:]
    elif choice == 2:
        shape = [rng.choice([2, 3, 7, 1 << 16]) for _ in range(rng.choice([16, 33, 64, 200]))]
    elif choice == 3:
        shape[rng.randrange(len(shape))] += rng.choice([1, 2, 100, 10**6])
    else:
        shape[rng.randrange(len(shape))] = rng.choice([0, 1, shape[0] // 2])
    d["shape"] = _shape_text(shape)
    d["descr"] = repr(d["descr"])
    return npy_with_header(seed.data, _dict_text(d)), f"npy-dims{shape[:3]}"


def m_npy_negative_dims(seed, rng):
    d = _parsed(seed)
    shape = list(d["shape"]) or [1]
    shape[rng.randrange(len(shape))] = rng.choice(NEGATIVE_DIMS)
    if rng.random() < 0.3 and len(shape) > 1:
        shape[0] = -shape[0] if shape[0] < 0 else -1
    d["shape"] = _shape_text(shape)
    d["descr"] = repr(d["descr"])
    return npy_with_header(seed.data, _dict_text(d)), "npy-negdims"


def m_npy_descr(seed, rng):
    d = _parsed(seed)
    d["descr"] = repr(rng.choice(DESCRS))
    d["shape"] = _shape_text(list(d["shape"]))
    return npy_with_header(seed.data, _dict_text(d)), "npy-descr"


def m_npy_repeated_key(seed, rng):
    h = npy_header(seed.data)
    d = _parsed(seed)
    key = rng.choice(["shape", "descr", "fortran_order"])
    if key == "shape":
        extra = _shape_text([rng.choice([1, 5, 10**11, 2**62] + list(d["shape"][:1]))])
    elif key == "descr":
        extra = repr(rng.choice(["<f4", "<i8", "|u1", "<f8"]))
    else:
        extra = rng.choice(["True", "False"])
    text = h[1].rstrip(" \n")
    text = text[:-1].rstrip() + f" '{key}': {extra}, " + "}"
    return npy_with_header(seed.data, text), f"npy-repeat-{key}"


def m_npy_syntax(seed, rng):
    h = npy_header(seed.data)
    text = h[1].rstrip(" \n")
    choice = rng.randrange(8)
    if choice == 0:
        text = text.replace("False", rng.choice(["0", "'False'", "None", "Flase", "True"]))
    elif choice == 1:
        text = text.replace("'shape'", rng.choice(["'shpe'", "\"shape\"", "'shape '", "shape"]))
    elif choice == 2:
        text = text + rng.choice(["}", " garbage", "{", "\x00"])
    elif choice == 3:
        text = text[: rng.randrange(len(text))]
    elif choice == 4:
        text = text.replace("(", rng.choice(["[", "((", "(((", "(\n"]))
    elif choice == 5:
        text = re.sub(r"\d+", lambda m: rng.choice([m.group(0) + "L", "0x" + m.group(0), m.group(0) + ".0", "1e9",
                                                      "9" * rng.randrange(19, 40), "+" + m.group(0)]), text, count=1)
    elif choice == 6:
        text = text[:-1] + " 'extra': (1, 2), 'nested': {'a': [1, (2,)]}, }"
    else:
        text = "{" + ", ".join(rng.sample(text.strip("{} ").rstrip(",").split(", "),
                                          k=len(text.strip("{} ").rstrip(",").split(", ")))) + "}"
    return npy_with_header(seed.data, text), "npy-syntax"


def m_npy_length_field(seed, rng):
    data = bytearray(seed.data)
    choice = rng.randrange(4)
    if choice == 0:
        data[6] = rng.choice([0, 2, 3, 4, 255])
    elif choice == 1:
        data[8:10] = struct.pack("<H", rng.choice([0, 1, 9, 0xFFFF, len(data) % 0xFFFF, 127]))
    elif choice == 2:
        data[6] = 2
        data[8:10] = struct.pack("<H", rng.randrange(0, 0xFFFF))
    else:
        data[rng.randrange(0, 6)] ^= 1 << rng.randrange(8)
    return bytes(data), "npy-lenfield"


# ---------------------------------------------------------------------------------------------- generic

def _spot(seed, rng, metadata_bias):
    """A byte position, biased towards the metadata (npy header; HDF5 non-data bytes) when asked."""
    n = len(seed.data)
    if metadata_bias and seed.kind == "npy" and seed.header_end:
        return rng.randrange(min(seed.header_end + 16, n))
    if metadata_bias and seed.kind == "hdf5":
        places = [p for d in seed.datasets for p in d.space_positions + d.address_positions]
        if places and rng.random() < 0.6:
            return max(0, min(n - 1, rng.choice(places) + rng.randrange(-96, 96)))
        return rng.randrange(min(n, 4096))
    return rng.randrange(n)


def m_bitflip(seed, rng):
    data = bytearray(seed.data)
    k = rng.choice([1, 1, 2, 4, 8, 32])
    bias = rng.random() < 0.7
    for _ in range(k):
        p = _spot(seed, rng, bias)
        data[p] ^= 1 << rng.randrange(8)
    return bytes(data), f"bitflip{k}"


def m_overwrite(seed, rng):
    data = bytearray(seed.data)
    p = _spot(seed, rng, rng.random() < 0.7)
    width = rng.choice([1, 2, 4, 8, 16])
    fill = rng.choice([b"\xff", b"\x00", b"\x7f", b"\x80", None])
    chunk = (fill * width) if fill else bytes(rng.randrange(256) for _ in range(width))
    data[p:p + width] = chunk[: max(0, len(data) - p)]
    return bytes(data), f"overwrite{width}"


def m_truncate(seed, rng):
    n = len(seed.data)
    choice = rng.randrange(4)
    if choice == 0:
        cut = rng.randrange(0, min(n, 4096))
    elif choice == 1 and seed.kind == "npy":
        cut = seed.header_end + rng.randrange(-8, 64)
    elif choice == 2:
        cut = n - rng.randrange(1, 64)
    else:
        cut = rng.randrange(0, n)
    cut = max(0, min(n, cut))
    return seed.data[:cut], "truncate"


def m_extend(seed, rng):
    extra = bytes(rng.randrange(256) for _ in range(rng.choice([1, 7, 64, 4096])))
    return seed.data + extra, "extend"


# ---------------------------------------------------------------------------------------------- HDF5

def _pick_dataset(seed, rng, want=None):
    cands = [d for d in seed.datasets if want is None or want(d)]
    return rng.choice(cands) if cands else None


def m_h5_dims(seed, rng):
    d = _pick_dataset(seed, rng, lambda d: d.space_positions)
    if d is None:
        return m_bitflip(seed, rng)
    data = bytearray(seed.data)
    pos = rng.choice(d.space_positions)
    rank = max(1, len(d.shape))
    axis = rng.randrange(rank)
    old = d.shape[axis] if d.shape else 1
    new = rng.choice(HUGE_DIMS + [old + 1, old * 2, old * 8, old + 4096, max(0, old - 1), 0, old // 2,
                                  2**64 - 1, 2**63 + 5]) & 0xFFFFFFFFFFFFFFFF
    data[pos + 8 * axis: pos + 8 * axis + 8] = struct.pack("<Q", new)
    if rng.random() < 0.5:  # the maximum dims follow the current dims in the dataspace message
        mpos = pos + 8 * rank + 8 * axis
        if mpos + 8 <= len(data):
            data[mpos:mpos + 8] = struct.pack("<Q", new if rng.random() < 0.5 else 0xFFFFFFFFFFFFFFFF)
    return bytes(data), f"h5-dims-{d.layout}"


def m_h5_addresses(seed, rng):
    """Chunk-index (B-tree) and layout damage: an 8-byte data or chunk address overwritten."""
    d = _pick_dataset(seed, rng, lambda d: d.address_positions)
    if d is None:
        return m_overwrite(seed, rng)
    data = bytearray(seed.data)
    pos = rng.choice(d.address_positions)
    old = struct.unpack("<Q", data[pos:pos + 8])[0]
    others = [a for a, _ in d.chunks] or [0]
    new = rng.choice([old + 1, old - 1, old + 8, old - 64, old + 4096, len(data) + 8, len(data) - 4, 2**40,
                      2**63 - 1, 2**64 - 1, 0, rng.choice(others), old + rng.randrange(-5000, 5000)])
    data[pos:pos + 8] = struct.pack("<Q", new & 0xFFFFFFFFFFFFFFFF)
    if rng.random() < 0.3 and pos >= 8:  # a v1 B-tree key: chunk size (4 bytes) and filter mask before it
        data[pos - 8:pos - 4] = struct.pack("<I", rng.choice([0, 1, 0xFFFFFFFF, 1 << 30, 17]))
    return bytes(data), f"h5-addr-{d.layout}"


def m_h5_sizes(seed, rng):
    """Storage size damage: the 4- or 8-byte size next to a data address (layout message, chunk key)."""
    d = _pick_dataset(seed, rng, lambda d: d.address_positions)
    if d is None:
        return m_overwrite(seed, rng)
    data = bytearray(seed.data)
    pos = rng.choice(d.address_positions)
    if d.layout == "contiguous" and pos + 16 <= len(data):
        data[pos + 8:pos + 16] = struct.pack("<Q", rng.choice([0, 1, 2**62, 2**64 - 1, d.storage * 2, d.storage // 2]))
    elif pos >= 24:
        key = pos - 24 if rng.random() < 0.5 else pos - 8
        data[key:key + 4] = struct.pack("<I", rng.choice([0, 1, 0xFFFFFFFF, 1 << 30, 17, 65536]))
    return bytes(data), f"h5-size-{d.layout}"


def m_h5_object_header(seed, rng):
    d = _pick_dataset(seed, rng, lambda d: d.space_positions)
    if d is None:
        return m_bitflip(seed, rng)
    data = bytearray(seed.data)
    base = rng.choice(d.space_positions)
    for _ in range(rng.choice([1, 2, 4])):
        p = max(0, min(len(data) - 1, base + rng.randrange(-200, 120)))
        if rng.random() < 0.5:
            data[p] ^= 1 << rng.randrange(8)
        else:
            data[p] = rng.choice([0, 0xFF, rng.randrange(256)])
    return bytes(data), f"h5-ohdr-{d.layout}"


def m_h5_signatures(seed, rng):
    data = bytearray(seed.data)
    sigs = [m.start() for sig in (b"TREE", b"SNOD", b"HEAP", b"GCOL", b"OHDR", b"OCHK", b"FRHP", b"BTHD")
            for m in re.finditer(re.escape(sig), seed.data)]
    if not sigs:
        return m_overwrite(seed, rng)
    p = rng.choice(sigs)
    off = rng.choice([0, 4, 5, 6, 8, 16, 24, rng.randrange(0, 64)])
    if p + off < len(data):
        data[p + off] = rng.choice([0, 0xFF, data[p + off] ^ (1 << rng.randrange(8))])
    return bytes(data), "h5-node"


def m_h5_superblock(seed, rng):
    data = bytearray(seed.data)
    sb = seed.data.find(b"\x89HDF\r\n\x1a\n")
    sb = max(sb, 0)
    p = sb + rng.randrange(8, 96)
    if p < len(data):
        data[p] = rng.randrange(256) if rng.random() < 0.5 else data[p] ^ (1 << rng.randrange(8))
    return bytes(data), "h5-superblock"


NPY_MUTATORS = [(m_bitflip, 4), (m_overwrite, 3), (m_truncate, 2), (m_extend, 1), (m_npy_huge_dims, 3),
                (m_npy_negative_dims, 2), (m_npy_descr, 2), (m_npy_repeated_key, 2), (m_npy_syntax, 2),
                (m_npy_length_field, 1)]
H5_MUTATORS = [(m_bitflip, 4), (m_overwrite, 3), (m_truncate, 2), (m_extend, 1), (m_h5_dims, 4),
               (m_h5_addresses, 4), (m_h5_sizes, 2), (m_h5_object_header, 3), (m_h5_signatures, 2),
               (m_h5_superblock, 1)]


def mutate(seed: Seed, rng: random.Random):
    table = NPY_MUTATORS if seed.kind == "npy" else H5_MUTATORS
    fns = [f for f, w in table for _ in range(w)]
    return rng.choice(fns)(seed, rng)


# ---------------------------------------------------------------------------------------------- seeds

def describe_hdf5(path: str) -> list:
    """The numeric datasets of an HDF5 file with the byte positions of their dims and data addresses."""
    import h5py
    import numpy as np
    with open(path, "rb") as f:
        data = f.read()
    spots = []
    with h5py.File(path, "r") as f:
        items = []
        f.visititems(lambda n, o: items.append((n, o)) if isinstance(o, h5py.Dataset) else None)
        for name, ds in items:
            if ds.dtype.kind not in "iuf":
                continue
            layout = {0: "compact", 1: "contiguous", 2: "chunked"}.get(ds.id.get_create_plist().get_layout(), "?")
            chunks = []
            if layout == "chunked":
                for i in range(ds.id.get_num_chunks()):
                    info = ds.id.get_chunk_info(i)
                    chunks.append((info.byte_offset, info.size))
            offset = ds.id.get_offset() if layout == "contiguous" else None
            spot = DatasetSpot(name="/" + name, shape=tuple(ds.shape), dtype=str(ds.dtype), layout=layout,
                               data_offset=offset, storage=ds.id.get_storage_size(), chunks=chunks)
            if ds.shape:
                pattern = b"".join(struct.pack("<Q", x) for x in ds.shape)
                for m in re.finditer(re.escape(pattern), data):
                    # A dataspace message: version 1 (8 header bytes) or 2 (4 header bytes) before the dims.
                    s = m.start()
                    if (s >= 8 and data[s - 8] == 1 and data[s - 7] == len(ds.shape)) or \
                       (s >= 4 and data[s - 4] == 2 and data[s - 3] == len(ds.shape)):
                        spot.space_positions.append(s)
            addresses = [offset] if offset is not None else [a for a, _ in chunks]
            for a in addresses[:64]:
                for m in re.finditer(re.escape(struct.pack("<Q", a)), data):
                    spot.address_positions.append(m.start())
            spots.append(spot)
    del np
    return spots
