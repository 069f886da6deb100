#!/usr/bin/env python3
"""Writes the small batch of HDF5 files in this folder (fixed seed: the same files on every run).

    python3 datasets/batch/make_batch.py            # writes next to this script
    python3 datasets/batch/make_batch.py OUT_DIR    # writes somewhere else

A field campaign as it arrives on disk: weather-station files from different loggers, lidar scans, a
model forecast in netCDF-4, a MATLAB v7.3 recording, an event table and a calibration file. Mixed layouts
(contiguous, chunked, compact), filters (gzip, shuffle, fletcher32), types (float64/32, big-endian int16,
uint16, uint8, int64, int32, strings, compound), 1-D to 3-D, scalars and an empty dataset, and one
station file that was cut short in transfer (stations/aws-05.h5, truncated). Needs numpy and h5py.
See README.md in this folder.
"""
import os
import sys

import h5py
import numpy as np

SEED = 2024
N = 20_000  # 10-second readings, about 55 hours


def station(path, rng, station_id, name, kind):
    t = np.arange(N) * 10 / 86_400.0
    temperature = 9 + 6 * np.sin(2 * np.pi * (t - 0.375)) + rng.normal(0, 0.4, N).cumsum() * 0.02
    pressure = 1012 + 4 * np.sin(2 * np.pi * t / 2.7) + rng.normal(0, 0.05, N)
    humidity = np.clip(75 - 2.5 * (temperature - 9) + rng.normal(0, 2, N), 0, 100)
    with h5py.File(path, "w", track_order=False) as f:
        f.attrs["station"] = name
        f.attrs["logger"] = kind
        r = f.create_group("readings")
        if kind == "centi-degree logger":
            # An old logger: temperatures as big-endian int16 hundredths of a degree.
            d = r.create_dataset("temperature", data=np.round(temperature * 100).astype(">i2"), chunks=(2048,),
                                 compression="gzip", compression_opts=6, shuffle=True, track_times=False)
            d.attrs["units"] = "0.01 degC"
            d.attrs["scale_factor"] = 0.01
        elif kind == "float32 logger":
            r.create_dataset("temperature", data=np.round(temperature, 2).astype("<f4"), track_times=False)
        else:
            values = np.round(temperature, 2)
            # Dropped readings are NaN.
            for start in rng.integers(0, N - 300, 3):
                values[start:start + rng.integers(30, 300)] = np.nan
            d = r.create_dataset("temperature", data=values, chunks=(4096,), compression="gzip",
                                 compression_opts=4, shuffle=True,
                                 fletcher32=(kind == "checksummed logger"), track_times=False)
            d.attrs["units"] = "degC"
        if kind == "float32 logger":
            r.create_dataset("pressure", data=np.round(pressure, 2), chunks=(5000,), track_times=False)
        else:
            r.create_dataset("pressure", data=np.round(pressure, 2).astype("<f4"), track_times=False)
        # Humidity in whole percent, small enough for the compact layout (stored in the object header).
        space = h5py.h5s.create_simple((N,))
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        dcpl.set_obj_track_times(False)
        h5py.h5d.create(r.id, b"humidity", h5py.h5t.STD_U8LE, space, dcpl=dcpl).write(
            h5py.h5s.ALL, h5py.h5s.ALL, np.round(humidity).astype("u1"))
        m = f.create_group("meta")
        m.create_dataset("station_id", data=np.int32(station_id), track_times=False)
        m.create_dataset("name", data=name, dtype=h5py.string_dtype(), track_times=False)


def lidar(path, rng, with_cube):
    ranges = np.arange(256) * 15.0
    profile = np.exp(-ranges / 1500.0)
    backscatter = (profile[None, :] * rng.lognormal(0, 0.3, (200, 256))).astype("<f4")
    with h5py.File(path, "w") as f:
        f.attrs["instrument"] = "ceilometer CL-51 (simulated)"
        f.create_dataset("backscatter", data=backscatter, chunks=(50, 64), compression="gzip", track_times=False)
        f.create_dataset("range_m", data=ranges, track_times=False)
        f.create_dataset("time", data=1_709_251_200 + np.arange(200, dtype="<i8") * 30, track_times=False)
        if with_cube:
            cube = rng.integers(-2000, 2000, (8, 32, 32)).astype(">i2")
            f.create_dataset("cube", data=cube, chunks=(2, 32, 32), compression="gzip", shuffle=True,
                             track_times=False)


def forecast(path, rng):
    # netCDF-4 files are HDF5 files: written here as one would find them (lat/lon/time axes, a 3-D field).
    lat = np.linspace(45, 49, 40)
    lon = np.linspace(5, 11, 60)
    hours = np.arange(24, dtype="<i4")
    field = (12 - 0.6 * (lat[None, :, None] - 45) + 4 * np.sin(2 * np.pi * (hours[:, None, None] - 9) / 24)
             + rng.normal(0, 0.3, (24, 40, 60))).astype("<f4")
    with h5py.File(path, "w") as f:
        f.attrs["Conventions"] = "CF-1.8"
        f.create_dataset("lat", data=lat, track_times=False)
        f.create_dataset("lon", data=lon, track_times=False)
        f.create_dataset("time", data=hours, track_times=False)
        d = f.create_dataset("temperature", data=field, chunks=(1, 40, 60), compression="gzip",
                             compression_opts=4, shuffle=True, track_times=False)
        d.attrs["units"] = "degC"


def matlab(path, rng):
    # MATLAB v7.3 .mat files are HDF5 files after a 512-byte user block.
    fs = 2000.0
    n = 30_000
    t = np.arange(n) / fs
    signal = np.sin(2 * np.pi * 50 * t) + 0.3 * np.sin(2 * np.pi * 120 * t) + rng.normal(0, 0.2, n)
    with h5py.File(path, "w", userblock_size=512) as f:
        f.create_dataset("signal", data=signal[None, :], chunks=(1, 4096), compression="gzip", track_times=False)
        f.create_dataset("fs", data=np.float64(fs), track_times=False)
    with open(path, "r+b") as raw:
        raw.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Fri Mar  1 00:00:00 2024 HDF5 schema 1.00 .")


def events(path, rng):
    n = 500
    table = np.zeros(n, dtype=[("time", "<f8"), ("channel", "<i4"), ("amplitude", "<f4")])
    table["time"] = np.sort(rng.uniform(0, 3600, n))
    table["channel"] = rng.integers(0, 8, n)
    table["amplitude"] = rng.gamma(2.0, 1.5, n)
    with h5py.File(path, "w") as f:
        f.create_dataset("events", data=table, track_times=False)
        f.create_dataset("counts", data=np.bincount(table["channel"], minlength=8).astype("<i8"), track_times=False)
        f.create_dataset("flags", data=(table["amplitude"] > 6).astype("u1"), track_times=False)


def calibration(path, rng):
    with h5py.File(path, "w") as f:
        f.create_dataset("gain", data=np.float64(1.0375), track_times=False)
        f.create_dataset("offset", data=np.float64(-0.012), track_times=False)
        f.create_dataset("adc_counts", data=rng.integers(0, 65536, 4096).astype(">u2"), track_times=False)
        f.create_dataset("rejected", data=np.zeros(0), track_times=False)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    rng = np.random.default_rng(SEED)
    for sub in ["stations", "lidar", "model", "legacy", "events", "misc"]:
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    kinds = ["gzip logger", "gzip logger", "centi-degree logger", "float32 logger", "gzip logger", "checksummed logger"]
    for i, kind in enumerate(kinds, start=1):
        station(os.path.join(out, f"stations/aws-{i:02d}.h5"), rng, 4020 + i, f"AWS-{i:02d}", kind)
    # aws-05 was cut short in transfer: keep the first 40 % of its bytes.
    bad = os.path.join(out, "stations/aws-05.h5")
    size = os.path.getsize(bad)
    with open(bad, "r+b") as f:
        f.truncate(int(size * 0.4))
    lidar(os.path.join(out, "lidar/scan-0001.h5"), rng, with_cube=False)
    lidar(os.path.join(out, "lidar/scan-0002.h5"), rng, with_cube=True)
    forecast(os.path.join(out, "model/forecast.nc"), rng)
    matlab(os.path.join(out, "legacy/run7.mat"), rng)
    events(os.path.join(out, "events/events.h5"), rng)
    calibration(os.path.join(out, "misc/calibration.h5"), rng)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs if not f.endswith((".py", ".md")))
    print(f"wrote 12 files, {total / 1e6:.2f} MB, to {out}")


if __name__ == "__main__":
    main()
