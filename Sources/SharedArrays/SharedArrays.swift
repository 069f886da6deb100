// SharedArrays: SharedArray<Element>, the chunk planner, kernels and exact combine.
// Re-exports Multiprocessing so `import SharedArrays` gives WorkerPool too.
@_exported import Multiprocessing
