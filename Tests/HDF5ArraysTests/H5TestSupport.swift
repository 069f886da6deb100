import TestSupport

/// numpy and h5py as the reference for the HDF5 tests, with a temporary directory per test.
let H5TestSupport = PythonReference(modules: ["numpy", "h5py"], directoryPrefix: "h5-test")
