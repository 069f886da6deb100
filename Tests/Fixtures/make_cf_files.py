"""CF-decoding test files: cf.h5 (packed, masked and hostile attributes) and obs.nc (netCDF-4 style: _NCProperties,
dimension scales, string attributes, netCDF default fill values), written by h5py into the current directory, with
the reference decoding of each variable as netCDF4-python does it (mask in the stored type, then unpack in numpy's
types): NAME.f64 (decoded values as float64, NaN where masked) and cf.json (decoded dtype, valid count, moments)."""
import json, numpy as np, h5py
rng = np.random.default_rng(13)
n = 1_300_000

def packed(n, lo, hi, dtype, specials=()):
    x = rng.integers(lo, hi, n).astype(dtype)
    for value in specials:
        x[rng.integers(0, n, max(1, n // 50))] = value
    return x

with h5py.File('cf.h5', 'w') as f:
    d = f.create_dataset('packed_i16', data=packed(n, -3500, 3500, '<i2', [-32767]), chunks=(100_000,), compression='gzip')
    d.attrs['scale_factor'] = np.float32(0.01); d.attrs['add_offset'] = np.float32(20)
    d.attrs['_FillValue'] = np.int16(-32767); d.attrs['valid_range'] = np.array([-3000, 3000], 'i2')
    d.attrs['units'] = 'degC'
    d = f.create_dataset('packed_i16_f64', data=packed(n, -30000, 30000, '>i2', [-999, -998]).reshape(n // 100, 100), chunks=(1000, 100))
    d.attrs['scale_factor'] = 0.01; d.attrs['add_offset'] = 273.15; d.attrs['missing_value'] = np.array([-999, -998], 'i2')
    d.attrs['long_name'] = 'air temperature'
    d = f.create_dataset('packed_u8', data=packed(777_777, 0, 256, 'u1', [255]), chunks=(65_536,))
    d.attrs['scale_factor'] = np.float32(0.5); d.attrs['add_offset'] = np.float32(-10); d.attrs['_FillValue'] = np.uint8(255)
    d.attrs['valid_min'] = np.uint8(10); d.attrs['valid_max'] = np.uint8(250)
    d = f.create_dataset('mixed', data=packed(5001, -20000, 20000, '<i2'))
    d.attrs['scale_factor'] = np.float32(0.1); d.attrs['add_offset'] = np.float64(1000.05)
    x = rng.normal(10, 3, 100_001).astype('<f4'); x[::97] = -9999; x[5::1001] = np.nan
    d = f.create_dataset('float_missing', data=x)
    d.attrs['missing_value'] = np.float32(-9999); d.attrs['units'] = 'm/s'
    d = f.create_dataset('i32_scale_f32', data=packed(4099, -2**31 + 2, 2**31 - 1, '<i4'))
    d.attrs['scale_factor'] = np.float32(1e-3)
    d = f.create_dataset('unsafe_fill', data=packed(1000, -100, 100, '<i2'))
    d.attrs['scale_factor'] = 2.0; d.attrs['_FillValue'] = 1e20
    d = f.create_dataset('bad_fill_array', data=packed(1000, -100, 100, '<i2', [7]))
    d.attrs['_FillValue'] = np.array([7, 8], 'i2'); d.attrs['valid_range'] = np.array([1, 2, 3], 'i2')
    d.attrs['valid_min'] = np.int16(-50)
    d = f.create_dataset('string_fill', data=packed(1000, -100, 100, '<i2'))
    d.attrs['_FillValue'] = 'none'; d.attrs['add_offset'] = np.float32(0.5)
    d = f.create_dataset('many_missing', data=packed(100, 0, 10, '<i2'))
    d.attrs['missing_value'] = np.arange(2000, dtype='i2')
    f.create_dataset('plain_int', data=packed(1000, -100, 100, '<i4')).attrs['units'] = 'counts'
    for name, value in [('bad_scale_string', '0.01'), ('bad_scale_nan', np.nan), ('bad_scale_array', np.array([1.0, 2.0])),
                        ('bad_offset_inf', None)]:
        d = f.create_dataset(name, data=packed(100, 0, 10, '<i2'))
        if value is None: d.attrs['add_offset'] = np.inf
        else: d.attrs['scale_factor'] = value

with h5py.File('obs.nc', 'w') as f:
    f.attrs['_NCProperties'] = np.bytes_(b'version=2,netcdf=4.9.2,hdf5=1.14.3')
    f.attrs['Conventions'] = 'CF-1.8'
    t = f.create_dataset('time', data=np.arange(20_000, dtype='<f8'))
    t.attrs['units'] = 'hours since 2000-01-01'
    t.make_scale('time')
    s = f.create_dataset('station', data=np.arange(7, dtype='<i4'))
    s.make_scale('station')
    temp = f.create_dataset('temperature', data=packed(20_000 * 7, -2000, 4000, '<i2', [-32767]).reshape(20_000, 7),
                            chunks=(2048, 7), compression='gzip', shuffle=True)
    temp.attrs['scale_factor'] = np.float32(0.01); temp.attrs['add_offset'] = np.float32(10)
    temp.attrs['_FillValue'] = np.int16(-32767); temp.attrs['units'] = 'degC'; temp.attrs['long_name'] = 'air temperature'
    temp.dims[0].attach_scale(t); temp.dims[1].attach_scale(s)
    p = rng.normal(1000, 10, 20_000).astype('<f4'); p[::333] = np.float32(9.969209968386869e36)
    pres = f.create_dataset('pressure', data=p); pres.attrs['units'] = 'hPa'; pres.dims[0].attach_scale(t)
    flags = f.create_dataset('flags', data=packed(20_000, 0, 255, 'u1', [255])); flags.dims[0].attach_scale(t)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE); dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    nofill = h5py.h5d.create(f.id, b'flags_nofill', h5py.h5t.STD_U8LE, h5py.h5s.create_simple((1000,)), dcpl=dcpl)
    nofill.write(h5py.h5s.ALL, h5py.h5s.ALL, packed(1000, 0, 255, 'u1', [255]))
    counts = f.create_dataset('counts', data=packed(20_000, -100, 100, '<i4', [-2147483647]))
    # A dimension without a coordinate variable, as netCDF writes it: a dimension scale holding no data.
    f.create_dataset('bnds', shape=(2,), dtype='f4').make_scale('This is a netCDF dimension but not a netCDF variable.         2')

# The reference: netCDF4-python's decoding (mask in the stored type, then unpack with numpy's types).
NC_DEFAULT = {'i1': -127, 'u1': 255, 'i2': -32767, 'u2': 65535, 'i4': -2147483647, 'u4': 4294967295,
              'i8': -9223372036854775806, 'f4': 9.969209968386869e36, 'f8': 9.969209968386869e36}
def safe(value, dtype):
    v = np.atleast_1d(np.asarray(value))
    if v.dtype.kind not in 'iuf': return None
    with np.errstate(all='ignore'):
        c = v.astype(dtype)
        ok = np.all((c == v) | (np.isnan(c.astype('f8')) & np.isnan(v.astype('f8'))))
    return c if ok else None
def decode(d, netcdf):
    a = d.attrs; raw = d[()].ravel(); dt = raw.dtype.newbyteorder('=')
    raw = raw.astype(dt); mask = np.zeros(raw.shape, bool)
    def match(values):
        m = np.zeros(raw.shape, bool)
        for v in values: m |= np.isnan(raw) if (dt.kind == 'f' and np.isnan(v)) else (raw == v)
        return m
    if 'missing_value' in a and (v := safe(a['missing_value'], dt)) is not None: mask |= match(v)
    if '_FillValue' in a:
        v = safe(a['_FillValue'], dt)
        if v is not None and v.size == 1: mask |= match(v)
    elif netcdf and (dt.itemsize > 1 or d.id.get_create_plist().get_fill_time() != h5py.h5d.FILL_TIME_NEVER):
        mask |= raw == np.array(NC_DEFAULT[dt.str[1:]], dt)
    lo = hi = None
    if 'valid_range' in a and (v := safe(a['valid_range'], dt)) is not None and v.size == 2: lo, hi = v
    else:
        if 'valid_min' in a and (v := safe(a['valid_min'], dt)) is not None and v.size == 1: lo = v[0]
        if 'valid_max' in a and (v := safe(a['valid_max'], dt)) is not None and v.size == 1: hi = v[0]
    if lo is not None: mask |= raw < lo
    if hi is not None: mask |= raw > hi
    s, o = a.get('scale_factor'), a.get('add_offset')
    x = raw
    if s is not None and o is not None:
        if s != 1 or o != 0: x = x * s + o
    elif s is not None and s != 1: x = x * s
    elif o is not None and o != 0: x = x + o
    if x.dtype.kind != 'f' or (s is not None and np.asarray(s).dtype.kind in 'iu') or (o is not None and np.asarray(o).dtype.kind in 'iu'):
        small = dt.itemsize <= 2 if dt.kind in 'iu' else dt.itemsize <= 4
        x = raw.astype('f4' if small and (s is None or np.asarray(s).dtype == np.float32) and (o is None or np.asarray(o).dtype == np.float32) else 'f8')
        if s is not None and s != 1: x = x * np.float64(s)
        if o is not None and o != 0: x = x + np.float64(o)
    if x.dtype == np.float16: x = x.astype('f4')
    x = x.copy(); x[mask] = np.nan
    return x
meta = {}
for path, names, netcdf in [('cf.h5', ['packed_i16', 'packed_i16_f64', 'packed_u8', 'mixed', 'float_missing', 'i32_scale_f32',
                                         'unsafe_fill', 'bad_fill_array', 'string_fill'], False),
                            ('obs.nc', ['temperature', 'pressure', 'flags', 'counts', 'time'], True)]:
    with h5py.File(path, 'r') as f:
        for name in names:
            x = decode(f[name], netcdf)
            x.astype('<f8').tofile(name + '.f64')
            valid = x[~np.isnan(x)].astype('f8')
            # Floats as hex strings: exact through any JSON parser.
            meta[name] = {'dtype': str(x.dtype), 'count': int(valid.size), 'size': int(x.size),
                          'mean': float(valid.mean()).hex(), 'min': float(valid.min()).hex(),
                          'max': float(valid.max()).hex(), 'std': float(valid.std()).hex()}
        with open('raw_' + path + '.json', 'w') as out:
            json.dump({name: {'mean': float(f[name][()].astype('f8').mean()).hex(), 'dtype': str(f[name].dtype)} for name in names}, out)
json.dump(meta, open('cf.json', 'w'), indent=1)
