import TestSupport

/// numpy as the reference for the .npy tests, with a temporary directory per test.
let NpyTestSupport = PythonReference(modules: ["numpy"], directoryPrefix: "npy-test")
