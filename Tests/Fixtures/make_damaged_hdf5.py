#!/usr/bin/env python3
"""Writes good.h5 and copies of it with one damaged storage field each, into the directory given (or .).

good.h5 (h5py, libver earliest: version-1 B-tree chunk index):
  /gz       float64 arange(40000), chunks of 4000, gzip
  /raw      float64 2 * arange(40000), chunks of 4000, no filter
  /compact  uint8 arange(2000) % 251, compact layout
  /contig   float32 arange(3000), contiguous
  /many     float64 arange(20000), 2000 chunks of 10, gzip (past the limit of whole-record checks)
Damaged copies (the name says what was changed):
  compact_dims_1048576.h5, compact_dims_2001.h5   the compact dataspace enlarged past its stored bytes
  compact_dims_1999.h5                            the compact dataspace one element short of its stored bytes
  contig_dims_3001.h5                             the contiguous dataspace one element past its storage
  gz_chunk3_address_past_eof.h5                   a chunk record pointing past the end of the file
  gz_chunk2_all_filters_skipped.h5                a gzip chunk's record marked unfiltered (fewer bytes)
  raw_chunk1_zero_bytes.h5                        an unfiltered chunk's record of 0 bytes at its address
  gz_chunk4_size_doubled.h5                       a gzip chunk's record claiming twice its bytes (still readable)
  many_chunk1500_all_filters_skipped.h5           as above, in a dataset of 2000 chunks
  many_chunk1200_zero_bytes.h5                    a gzip chunk's record of 0 bytes, in a dataset of 2000 chunks
  gz_chunk3_offset_past_extent.h5                 a chunk key's offset moved past the dataset's extent
  gz_chunk3_offset_of_chunk2.h5                   a chunk key's offset made equal to another record's
  gz_chunk3_element_offset_8.h5                   a chunk key's element-size coordinate made 8 (not 0)
  gz_chunk3_address_of_chunk2.h5                  a chunk record pointing at another chunk's bytes
  raw_chunk1_size_1.h5                            an unfiltered chunk's record of 1 byte (of 32000)
  contig_dims_2999.h5                             the contiguous dataspace one element short of its storage
  contig_dims_0.h5                                the contiguous dataspace made empty, its storage allocated
  contig_dims_3001_max_3000.h5                    the contiguous dataspace's size past its maximum size
  many_scalar_space.h5                            the chunked dataset's dataspace made scalar (rank 0)
  contig_float_mantissa_30.h5                     the float32 type's mantissa made 30 bits (past its precision)
Prints a JSON object: {"file": path} for each.
"""
import json, os, struct, sys

import h5py
import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "."
good = os.path.join(out, "good.h5")
with h5py.File(good, "w", libver="earliest") as f:
    f.create_dataset("gz", data=np.arange(40000.0), chunks=(4000,), compression="gzip")
    f.create_dataset("raw", data=2 * np.arange(40000.0), chunks=(4000,))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple((2000,))
    compact = h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_U8LE, space, dcpl=dcpl)
    compact.write(h5py.h5s.ALL, h5py.h5s.ALL, (np.arange(2000) % 251).astype(np.uint8))
    f.create_dataset("contig", data=np.arange(3000, dtype=np.float32))
    f.create_dataset("many", data=np.arange(20000.0), chunks=(10,), compression="gzip")
data = open(good, "rb").read()
made = {"good": good}


def unique(pattern):
    at = data.find(pattern)
    assert at >= 0 and data.find(pattern, at + 1) < 0, pattern
    return at


def write(name, changes):
    damaged = bytearray(data)
    for at, fmt, value in changes:
        struct.pack_into("<" + fmt, damaged, at, value)
    path = os.path.join(out, name + ".h5")
    open(path, "wb").write(damaged)
    made[name] = path


def record(name, index):
    """(position of the chunk's v1 B-tree key, its size, its address)."""
    with h5py.File(good, "r") as f:
        info = f[name].id.get_chunk_info(index)
    key = struct.pack("<II", info.size, info.filter_mask) + struct.pack("<QQ", info.chunk_offset[0], 0)
    at = unique(key + struct.pack("<Q", info.byte_offset))
    return at, info.size, info.byte_offset


dims = unique(struct.pack("<QQ", 2000, 2000))
write("compact_dims_1048576", [(dims, "Q", 1 << 20), (dims + 8, "Q", 1 << 20)])
write("compact_dims_2001", [(dims, "Q", 2001), (dims + 8, "Q", 2001)])
write("compact_dims_1999", [(dims, "Q", 1999), (dims + 8, "Q", 1999)])
dims = unique(struct.pack("<QQ", 3000, 3000))
write("contig_dims_3001", [(dims, "Q", 3001), (dims + 8, "Q", 3001)])
at, size, address = record("gz", 3)
write("gz_chunk3_address_past_eof", [(at + 24, "Q", len(data) + 4096)])
at, size, address = record("gz", 2)
write("gz_chunk2_all_filters_skipped", [(at + 4, "I", 1)])
at, size, address = record("raw", 1)
write("raw_chunk1_zero_bytes", [(at, "I", 0)])
at, size, address = record("gz", 4)
write("gz_chunk4_size_doubled", [(at, "I", 2 * size + 64)])
at, size, address = record("many", 1500)
write("many_chunk1500_all_filters_skipped", [(at + 4, "I", 1)])
at, size, address = record("many", 1200)
write("many_chunk1200_zero_bytes", [(at, "I", 0)])
at, size, address = record("gz", 3)
write("gz_chunk3_offset_past_extent", [(at + 8, "Q", 1 << 40)])
write("gz_chunk3_offset_of_chunk2", [(at + 8, "Q", 8000)])
write("gz_chunk3_element_offset_8", [(at + 16, "Q", 8)])
_, _, address2 = record("gz", 2)
write("gz_chunk3_address_of_chunk2", [(at + 24, "Q", address2)])
at, size, address = record("raw", 1)
write("raw_chunk1_size_1", [(at, "I", 1)])
dims = unique(struct.pack("<QQ", 3000, 3000))
write("contig_dims_2999", [(dims, "Q", 2999), (dims + 8, "Q", 2999)])
write("contig_dims_0", [(dims, "Q", 0), (dims + 8, "Q", 0)])
write("contig_dims_3001_max_3000", [(dims, "Q", 3001)])
dims = unique(struct.pack("<QQ", 20000, 20000))
write("many_scalar_space", [(dims - 7, "B", 0)])
fields = unique(struct.pack("<HHBBBBI", 0, 32, 23, 8, 0, 23, 127))
write("contig_float_mantissa_30", [(fields + 7, "B", 30)])
print(json.dumps(made))
