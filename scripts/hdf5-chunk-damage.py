#!/usr/bin/env python3
"""Damages the chunk index of copies of the sample HDF5 files and compares mproc with h5py.

For every chunked dataset (version-1 B-tree chunk index, h5py's default) of datasets/ and datasets/batch/, a
few chunks' index records are altered in a copy of the file: the chunk's address (past the end, huge, into
the metadata, shifted, another chunk's), its stored size (larger, smaller, zero) and its coordinates (not on
the chunk grid, another chunk's, outside the extent). Each copy is read by h5py and by `mproc stats`,
`mproc batch` (streaming) and `mproc batch --strategy shared`. The rule checked: where h5py reads the file,
mproc gives the same values; where h5py refuses, mproc refuses too or gives exactly the original's values.
One exception, by design: a record that skips every filter while storing fewer bytes than the chunk, or that
stores 0 bytes at an address, makes HDF5 (h5py's 2.0 as well as 1.10) return its read buffer unfilled, i.e.
uninitialised heap memory as values; mproc refuses those (counted as "refuses undefined read").

    python3 scripts/hdf5-chunk-damage.py [--mproc .build/debug/mproc] [--limit N] [--keep DIR]

Prints one line per case and a summary; exits 1 if any case broke the rule.
"""
import argparse, glob, json, math, os, shutil, struct, subprocess, sys, tempfile

import h5py
import numpy as np

OPS = "count,sum,min,max,nancount,nansum,nanmin,nanmax"


def chunk_records(path, name):
    """(chunk index, coords, address, size, mask, position of the key in the file) for each chunk whose v1
    B-tree record is found in the file bytes."""
    data = open(path, "rb").read()
    with h5py.File(path, "r") as f:
        d = f[name]
        rank = len(d.shape)
        out = []
        for i in range(d.id.get_num_chunks()):
            info = d.id.get_chunk_info(i)
            key = struct.pack("<II", info.size, info.filter_mask)
            key += struct.pack("<" + "Q" * (rank + 1), *info.chunk_offset, 0)
            key += struct.pack("<Q", info.byte_offset)
            at = data.find(key)
            if at >= 0 and data.find(key, at + 1) < 0:
                out.append((i, tuple(info.chunk_offset), info.byte_offset, info.size, info.filter_mask, at))
        return out, d.shape, d.chunks


def mutations(records, shape, chunks, file_size):
    """(label, records to change: [(key position, field, new value)])."""
    if not records:
        return
    rank = len(shape)
    picks = sorted({0, len(records) // 2, len(records) - 1})
    for p in picks:
        i, coords, addr, size, mask, at = records[p]
        other = records[(p + 1) % len(records)]
        a = at + 8 + 8 * (rank + 1)
        yield f"chunk{i}.addr_past_eof", [(a, "Q", file_size + 4096)]
        yield f"chunk{i}.addr_huge", [(a, "Q", 1 << 60)]
        yield f"chunk{i}.addr_straddles_eof", [(a, "Q", max(0, file_size - size // 2))]
        yield f"chunk{i}.addr_metadata", [(a, "Q", 0)]
        yield f"chunk{i}.addr_shift8", [(a, "Q", addr + 8)]
        if other[0] != i:
            yield f"chunk{i}.addr_other_chunk", [(a, "Q", other[2]), (at, "I", other[3])]
        yield f"chunk{i}.size_double", [(at, "I", size * 2 + 64)]
        yield f"chunk{i}.size_huge", [(at, "I", 0xFFFFFFF0)]
        yield f"chunk{i}.size_half", [(at, "I", max(1, size // 2))]
        yield f"chunk{i}.size_zero", [(at, "I", 0)]
        yield f"chunk{i}.coord_off_grid", [(at + 8, "Q", coords[0] + 1)]
        if other[0] != i:
            yield f"chunk{i}.coord_other_chunk", [(at + 8 + 8 * d, "Q", other[1][d]) for d in range(rank)]
        yield f"chunk{i}.coord_outside", [(at + 8, "Q", (shape[0] // chunks[0] + 4) * chunks[0])]
        yield f"chunk{i}.mask_all_skipped", [(at + 4, "I", 0xFFFF)]


H5PY_READ = """
import sys, h5py, numpy as np
try:
    with h5py.File(sys.argv[1], "r") as f:
        np.save(sys.argv[3], np.asarray(f[sys.argv[2]][...], dtype=np.float64).ravel())
except Exception as e:
    print(str(e).splitlines()[0][:120]); sys.exit(3)
"""


def h5py_values(path, name):
    """The dataset as float64 values read by h5py in a child process (HDF5 itself may crash on a damaged
    file), or None and the reason it refused."""
    target = path + ".values.npy"
    try:
        p = subprocess.run([sys.executable, "-c", H5PY_READ, path, name, target], capture_output=True, text=True,
                           timeout=120)
    except subprocess.TimeoutExpired:
        return None, "h5py hung"
    if p.returncode != 0:
        reason = p.stdout.strip() or f"h5py crashed (status {p.returncode})"
        return None, reason
    values = np.load(target)
    os.unlink(target)
    return values, None


def summary(values):
    """What mproc reports, computed by numpy: NaN statistics are null in mproc's JSON; its nancount counts the
    values that are not NaN."""
    v = values
    finite = v[~np.isnan(v)]
    total = float(v.sum()) if v.size else 0.0
    return {"count": float(v.size), "sum": None if math.isnan(total) else total,
            "nancount": float(finite.size), "nansum": float(finite.sum()) if finite.size else 0.0,
            "nanmin": float(finite.min()) if finite.size else None, "nanmax": float(finite.max()) if finite.size else None}


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def same(mine, reference):
    return all(close(mine.get(k), reference[k]) for k in reference)


def run(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return "hang", "", ""


def mproc_results(mproc, path, name):
    """{reader: summary dict or an error string}."""
    results = {}
    code, out, err = run([mproc, "stats", f"{path}:{name}", "--ops", OPS, "--dtype", "float64", "--json"])
    results["stats"] = parse(code, out, err, lambda j: j)
    for strategy in ("streaming", "shared"):
        code, out, err = run([mproc, "batch", path, "--dataset", name, "--ops", OPS, "--format", "json", "-q",
                              "--strategy", strategy])
        def pick(j):
            r = j["records"][0]
            return r if r.get("status") == "ok" else "refused: " + str(r.get("message"))
        results[f"batch-{strategy}"] = parse(code, out, err, pick, allow_status_1=True)
    return results


def parse(code, out, err, pick, allow_status_1=False):
    if code == "hang":
        return "HANG"
    if code < 0 or code >= 128 or "Fatal error" in err or "Stack dump" in err:
        return f"CRASH ({code}): {err.strip()[:160]}"
    if code != 0 and not (allow_status_1 and code == 1 and out.strip()):
        return "refused: " + (err.strip().splitlines() or ["?"])[-1]
    try:
        j = json.loads(out)
    except ValueError:
        return "refused: unparsable output"
    return pick(j)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mproc", default=".build/debug/mproc")
    ap.add_argument("--limit", type=int, default=0, help="stop after this many cases (0: all)")
    ap.add_argument("--keep", help="keep the damaged files in this directory")
    args = ap.parse_args()
    files = ["datasets/sensors.h5"] + sorted(glob.glob("datasets/batch/**/*.h5", recursive=True))
    work = args.keep or tempfile.mkdtemp(prefix="chunk-damage-")
    os.makedirs(work, exist_ok=True)
    cases = bad = 0
    counts = {}
    for src in files:
        try:
            with h5py.File(src, "r") as f:
                names = []
                f.visititems(lambda n, o: names.append("/" + n) if isinstance(o, h5py.Dataset) and o.chunks
                             and o.dtype.kind in "iuf" else None)
        except OSError:
            continue
        for name in names:
            original, _ = h5py_values(src, name)
            records, shape, chunks = chunk_records(src, name)
            data = open(src, "rb").read()
            for label, changes in mutations(records, shape, chunks, len(data)):
                if args.limit and cases >= args.limit:
                    break
                damaged = bytearray(data)
                for at, fmt, value in changes:
                    struct.pack_into("<" + fmt, damaged, at, value)
                tag = f"{os.path.basename(src)[:-3]}{name.replace('/', '_')}.{label}"
                path = os.path.join(work, tag + ".h5")
                open(path, "wb").write(damaged)
                reference, refusal = h5py_values(path, name)
                want = summary(reference) if reference is not None else None
                orig = summary(original)
                undefined = label.endswith(".size_zero") or label.endswith(".mask_all_skipped")
                verdicts = []
                for reader, got in mproc_results(args.mproc, path, name).items():
                    if isinstance(got, str):
                        if got.startswith("refused") and want is None:
                            verdict = "both refuse"
                        elif got.startswith("refused") and undefined and "damaged" in got:
                            verdict = "refuses undefined read"
                        elif got.startswith("refused"):
                            verdict = "WRONG: mproc refuses, h5py reads"
                        else:
                            verdict = "WRONG: " + got
                    elif want is not None:
                        verdict = "same values" if same(got, want) else "WRONG: values differ from h5py's"
                    else:
                        verdict = "original values" if same(got, orig) else "WRONG: a number where h5py refuses"
                    verdicts.append((reader, verdict, got if isinstance(got, str) else ""))
                    counts[verdict.split(":")[0]] = counts.get(verdict.split(":")[0], 0) + 1
                cases += 1
                wrong = [v for v in verdicts if v[1].startswith("WRONG")]
                bad += bool(wrong)
                status = "BAD " if wrong else "ok  "
                print(f"{status}{tag}: h5py {'reads' if want else 'refuses (' + refusal + ')'}; "
                      + "; ".join(f"{r} {v}" + (f" [{g[:90]}]" if v.startswith("WRONG") and g else "")
                                  for r, v, g in verdicts), flush=True)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{cases} damaged files, {bad} broke the rule; per reader: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
