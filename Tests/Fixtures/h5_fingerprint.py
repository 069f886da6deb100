"""Prints, as JSON, everything an HDF5 file holds (per link: groups, datasets with a hash of their
values, type, shape, chunks and filters, attributes, soft links, which names share one object), so a test
can show that writing one dataset left every other object exactly as it was.

usage: python3 h5_fingerprint.py FILE [EXCLUDED_PATH ...]   (an excluded path drops it and its children)
"""
import hashlib
import json
import sys

import h5py
import numpy as np


def attributes(obj):
    return {name: repr(obj.attrs[name]) for name in sorted(obj.attrs)}


def main():
    path, excluded = sys.argv[1], sys.argv[2:]
    out = {}
    addresses = {}
    with h5py.File(path, "r") as f:
        out["/"] = {"attrs": attributes(f)}

        def walk(group, prefix):
            for name in group:
                full = prefix + name
                if any(full == e or full.startswith(e + "/") for e in excluded):
                    continue
                link = group.get(name, getlink=True)
                if isinstance(link, h5py.SoftLink):
                    out[full] = {"soft": link.path}
                    continue
                if isinstance(link, h5py.ExternalLink):
                    out[full] = {"external": [link.filename, link.path]}
                    continue
                obj = group[name]
                addresses.setdefault(h5py.h5o.get_info(obj.id).addr, []).append(full)
                if isinstance(obj, h5py.Group):
                    out[full] = {"group": True, "attrs": attributes(obj)}
                    walk(obj, full + "/")
                else:
                    values = np.ascontiguousarray(obj[()])
                    out[full] = {
                        "dtype": obj.dtype.str, "shape": list(obj.shape), "chunks": repr(obj.chunks),
                        "compression": repr(obj.compression), "shuffle": bool(obj.shuffle),
                        "sha256": hashlib.sha256(values.tobytes()).hexdigest(), "attrs": attributes(obj),
                    }

        walk(f, "/")
    out["shared objects"] = sorted(sorted(names) for names in addresses.values() if len(names) > 1)
    print(json.dumps(out, sort_keys=True))


main()
