// HDF5Arrays: HDF5 files <-> SharedArray. The only module that imports CHDF5.
@_exported import SharedArrays
