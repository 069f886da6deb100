"""The reference reader: numpy for .npy, h5py for HDF5. A long-lived server (one JSON request per line on stdin,
one JSON answer per line on stdout) so a mutant costs no interpreter start; run in its own process so a file
that crashes h5py cannot take the suite down (the suite restarts it and counts the file as refused).

Request: {"path": ..., "kind": "npy"|"hdf5", "dataset": "/x" or null}
Answer:  {"ok": true, "shape": [...], "count", "nancount", "nansum", "sumabs", "nanmin", "nanmax", "integer": bool,
          "overflow": bool} or {"ok": false, "error": "..."}.
Floats are sent as repr strings so inf and nan survive JSON exactly.
"""

import json
import math
import sys

import numpy as np


def stats(a) -> dict:
    a = np.asarray(a)
    shape = list(a.shape)
    if a.dtype.kind not in "iufb":
        raise TypeError(f"dtype {a.dtype} is not a number")
    flat = a.reshape(-1)
    out = {"ok": True, "shape": shape, "count": int(flat.size), "dtype": a.dtype.str}
    if a.dtype.kind in "iub":
        v = flat.astype(np.int64) if a.dtype.kind != "u" or a.dtype.itemsize < 8 else flat
        total = int(np.sum(v.astype(object))) if v.size <= 200_000 else int(np.sum(v, dtype=np.int64))
        out.update(integer=True, nancount=int(flat.size), nansum=str(total), sumabs=repr(float(np.sum(np.abs(v.astype(np.float64))))),
                   nanmin=str(int(v.min())) if v.size else None, nanmax=str(int(v.max())) if v.size else None,
                   overflow=abs(total) >= 2**63)
    else:
        f = flat.astype(np.float64)
        finite = ~np.isnan(f)
        good = f[finite]
        with np.errstate(all="ignore"):
            try:
                fs = math.fsum(good) if np.all(np.isfinite(good)) else float(np.sum(good))
            except OverflowError:  # finite values whose exact sum exceeds a double
                fs = float(np.sum(good))
            sumabs = float(np.sum(np.abs(good)))
        out.update(integer=False, nancount=int(finite.sum()), nansum=repr(fs), sumabs=repr(sumabs),
                   nanmin=repr(float(good.min())) if good.size else None,
                   nanmax=repr(float(good.max())) if good.size else None, overflow=False,
                   itemsize=a.dtype.itemsize)
    return out


def answer(req: dict) -> dict:
    try:
        if req["kind"] == "npy":
            a = np.load(req["path"], allow_pickle=False)
        else:
            import h5py
            with h5py.File(req["path"], "r") as f:
                a = f[req["dataset"]][()]
        return stats(a)
    except MemoryError:
        return {"ok": False, "error": "MemoryError"}
    except Exception as e:  # the reference refuses the file: that is an answer, not a failure
        return {"ok": False, "error": f"{type(e).__name__}: {str(e)[:200]}"}


def main():
    import resource
    # A mutant may declare terabytes; numpy would try to allocate them. Cap the reference's memory.
    limit = 2 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for line in sys.stdin:
        req = json.loads(line)
        sys.stdout.write(json.dumps(answer(req)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
