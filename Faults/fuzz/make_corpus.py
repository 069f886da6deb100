#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from the project's sample files (run once; the output is
committed under Faults/fuzz/corpus/). The codec and frame seeds come from the targets themselves:
`FuzzCodec --emit-seeds Faults/fuzz/corpus/codec`, `FuzzFrames --emit-seeds Faults/fuzz/corpus/frames`."""

import os
import numpy as np
import h5py

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..", "datasets")
out = os.path.join(here, "corpus")
npy = os.path.join(out, "npy")
h5 = os.path.join(out, "hdf5")
os.makedirs(npy, exist_ok=True)
os.makedirs(h5, exist_ok=True)

table = np.load(os.path.join(root, "sensors.npy"))
for name, arr in [("f8-2d", table[:20]), ("f4", table[:40, 0].astype("<f4")), ("i4", (table[:30, 2] * 100).astype("<i4")),
                  ("i2", (table[:30, 1] * 10).astype("<i2")), ("u1", table[:30, 1].astype("|u1")),
                  ("i8", (table[:20, 4] * 1000).astype("<i8")), ("be-f8", table[:20, 3].astype(">f8")),
                  ("fortran", np.asfortranarray(table[:6])), ("empty", np.zeros((0,))), ("scalar", np.float64(4021.0))]:
    np.save(os.path.join(npy, name + ".npy"), arr)
with open(os.path.join(root, "sensors.npy"), "rb") as f:
    head = f.read(128 + 64)
with open(os.path.join(npy, "sensors-head.npy"), "wb") as f:
    f.write(head)

# One small HDF5 file per storage layout, with the sample's values (h5py's default format, like the samples).
temp = np.load(os.path.join(root, "sensors_temperature.npy"))[:512]
with h5py.File(os.path.join(h5, "layouts.h5"), "w") as f:
    f.create_dataset("contiguous", data=temp[:64])
    f.create_dataset("chunked", data=temp, chunks=(64,))
    f.create_dataset("gzip", data=temp, chunks=(128,), compression="gzip", shuffle=True)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((32,))
    h5py.h5d.create(f.id, b"compact", h5py.h5t.NATIVE_UINT8, space, dcpl=dcpl).write(
        h5py.h5s.ALL, h5py.h5s.ALL, (temp[:32] * 4).astype("u1"))
    f.create_dataset("table", data=table[:64], chunks=(16, 6))
    f.create_dataset("scalar", data=4021)
for name in ("misc/calibration.h5", "events/events.h5"):
    with open(os.path.join(root, "batch", name), "rb") as src, open(os.path.join(h5, os.path.basename(name)), "wb") as dst:
        dst.write(src.read())
