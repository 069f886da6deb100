#!/usr/bin/env python3
"""Writes the small sample data set in this folder (fixed seed: the output is the same on every run).

    python3 datasets/make_sample.py            # writes next to this script
    python3 datasets/make_sample.py OUT_DIR    # writes somewhere else

Needs numpy and h5py. See datasets/README.md for what each file holds.
"""
import os
import sys

import h5py
import numpy as np

SEED = 42
TEMPERATURE_INTERVAL_S = 10      # the 1-D series: one reading every 10 s
TABLE_INTERVAL_S = 60            # the table: one row a minute
N_SERIES = 150_000               # ~17 days at 10 s
N_TABLE = 40_000                 # ~28 days at 1 min
STATION_ID = 4021
COLUMNS = ["temperature", "humidity", "pressure", "wind", "voltage", "current"]
UNITS = ["degC", "percent", "hPa", "m/s", "V", "A"]
START = "2024-03-01T00:00:00Z"


def fronts(rng, n, interval_s):
    """Slow 'weather' drift, bounded: a sum of waves with periods of 1.5 to 9 days, scaled to std 1."""
    t = np.arange(n) * interval_s / 86_400.0
    periods = rng.uniform(1.5, 9.0, 5)
    phases = rng.uniform(0.0, 2 * np.pi, 5)
    weights = rng.uniform(0.5, 1.0, 5)
    wave = sum(w * np.sin(2 * np.pi * t / p + ph) for w, p, ph in zip(weights, periods, phases))
    return wave / wave.std()


def battery(net_current, interval_s, capacity_ah=40.0, start=0.75):
    """State of charge (0..1) of a battery charged by a solar panel; charge is curtailed when full."""
    soc = np.empty_like(net_current)
    level = start
    step = interval_s / 3600.0 / capacity_ah
    for i, amps in enumerate(net_current):
        level = min(1.0, max(0.05, level + amps * step))
        soc[i] = level
    return soc


def weather(rng, n, interval_s):
    """Temperature, humidity, pressure, wind, battery voltage and current with daily cycles."""
    t = np.arange(n) * interval_s
    day = 86_400.0
    phase = 2 * np.pi * (t - 9 * 3600) / day                              # warmest mid-afternoon
    sun = np.clip(np.sin(2 * np.pi * (t - 6 * 3600) / day), 0.0, None)    # daylight 06:00-18:00
    front = fronts(rng, n, interval_s)
    cloud = np.clip(0.55 + 0.35 * front + rng.normal(0.0, 0.05, n), 0.0, 1.0)  # fronts bring cloud

    temperature = 11.0 + 6.0 * np.sin(phase) * (1.0 - 0.4 * cloud) + 3.0 * front + rng.normal(0.0, 0.15, n)
    humidity = np.clip(70.0 - 2.4 * (temperature - 11.0) + 18.0 * (cloud - 0.5) + rng.normal(0.0, 1.2, n),
                       15.0, 100.0)
    pressure = 1013.0 - 7.0 * front + 0.5 * np.sin(2 * phase) + rng.normal(0.0, 0.08, n)
    wind = rng.weibull(2.0, n) * (2.8 + 1.2 * sun + 1.5 * np.clip(front, 0.0, None))
    load = 0.32 + rng.normal(0.0, 0.02, n)
    solar = 3.0 * sun * (1.0 - 0.75 * cloud)
    current = solar - load                                  # net battery current, + charging
    soc = battery(current, interval_s)
    charging = soc < 0.999
    current = np.where(charging, current, np.minimum(current, 0.0))
    voltage = 11.8 + 1.0 * soc + 0.35 * np.clip(current, 0.0, None) - 0.2 * load + rng.normal(0.0, 0.005, n)
    return {
        "temperature": np.round(temperature, 2),
        "humidity": np.round(humidity, 1),
        "pressure": np.round(pressure, 2),
        "wind": np.round(wind, 2),
        "voltage": np.round(voltage, 3),
        "current": np.round(current, 3),
    }


def drop_readings(rng, values, gaps):
    """Sets a few runs of readings to NaN, like a logger that lost its radio link."""
    out = values.copy()
    starts = rng.choice(len(values) - 500, size=gaps, replace=False)
    lengths = rng.integers(1, 360, size=gaps)
    for s, l in zip(starts, lengths):
        out[s : s + l] = np.nan
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)

    series = weather(rng, N_SERIES, TEMPERATURE_INTERVAL_S)
    temperature = drop_readings(rng, series["temperature"], gaps=6)
    pressure = series["pressure"].astype(np.float32)

    rows = weather(rng, N_TABLE, TABLE_INTERVAL_S)
    table = np.column_stack([rows[c] for c in COLUMNS]).astype(np.float64)

    h5_path = os.path.join(out_dir, "sensors.h5")
    with h5py.File(h5_path, "w", track_order=False) as f:
        f.attrs["title"] = "Synthetic weather-station sample"
        f.attrs["station"] = "Ridge Top AWS-7"
        f.attrs["created_by"] = "datasets/make_sample.py"
        f.attrs["seed"] = SEED
        f.attrs["start_time"] = START

        d = f.create_dataset("readings/temperature", data=temperature, chunks=(16_384,),
                             compression="gzip", compression_opts=4, shuffle=True)
        d.attrs["units"] = "degC"
        d.attrs["sample_interval_s"] = TEMPERATURE_INTERVAL_S
        d.attrs["missing"] = "NaN marks dropped readings"

        d = f.create_dataset("readings/pressure", data=pressure)  # contiguous
        d.attrs["units"] = "hPa"
        d.attrs["sample_interval_s"] = TEMPERATURE_INTERVAL_S

        d = f.create_dataset("readings/table", data=table, chunks=(4096, len(COLUMNS)),
                             compression="gzip", compression_opts=4, shuffle=True)
        d.attrs["columns"] = ",".join(COLUMNS)
        d.attrs["units"] = ",".join(UNITS)
        d.attrs["sample_interval_s"] = TABLE_INTERVAL_S

        d = f.create_dataset("meta/station_id", data=np.array([STATION_ID], dtype=np.int32))
        d.attrs["description"] = "WMO-style station number"

    np.save(os.path.join(out_dir, "sensors.npy"), np.ascontiguousarray(table, dtype="<f8"))
    np.save(os.path.join(out_dir, "sensors_temperature.npy"), np.ascontiguousarray(temperature, dtype="<f8"))

    total = 0
    for name in ("sensors.h5", "sensors.npy", "sensors_temperature.npy"):
        size = os.path.getsize(os.path.join(out_dir, name))
        total += size
        print(f"{name:26s} {size / 1e6:6.2f} MB")
    print(f"{'total':26s} {total / 1e6:6.2f} MB")
    print(f"temperature: {np.isnan(temperature).sum()} NaN of {len(temperature)}, "
          f"mean {np.nanmean(temperature):.3f} degC")


if __name__ == "__main__":
    main()
