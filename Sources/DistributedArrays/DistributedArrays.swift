// Distributed forms of the SharedArrays reductions over Open MPI: each rank reduces a chunk-aligned share of
// one worker-independent chunk grid on its own pool, and rank 0 combines every chunk's partial in the same
// fixed pairwise order as a single node. Built only with the package trait `MPI` (`swift build --traits MPI`).
@_exported import SharedArrays

