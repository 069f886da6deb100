// The module programs import. The code lives in `MultiprocessingCore` (Sources/Multiprocessing); this
// module re-exports all of it, and re-exports each Python-named type once more with a scoped import.
//
// Why: `Foundation` declares its own `Process` and `Pipe`, and `Glibc` (which Foundation re-exports) a
// `Semaphore` typealias. A module's own declaration does not shadow another imported module's, so in a
// file that imports both, `Process` alone is ambiguous. A scoped import (`import class M.Process`) does
// take precedence over whole-module imports, in whichever order the file imports them: with these, a
// program that imports Foundation and Multiprocessing writes `Process`, `Pipe`, `Semaphore`... unqualified.
// Tests/UserPackage checks it as a user's package would.

@_exported import MultiprocessingCore

@_exported import class MultiprocessingCore.Process
@_exported import class MultiprocessingCore.WorkerPool
@_exported import typealias MultiprocessingCore.Pool
@_exported import class MultiprocessingCore.Queue
@_exported import typealias MultiprocessingCore.SimpleQueue
@_exported import class MultiprocessingCore.JoinableQueue
@_exported import enum MultiprocessingCore.Pipe
@_exported import class MultiprocessingCore.Lock
@_exported import class MultiprocessingCore.RLock
@_exported import class MultiprocessingCore.Semaphore
@_exported import class MultiprocessingCore.BoundedSemaphore
@_exported import class MultiprocessingCore.Event
@_exported import class MultiprocessingCore.Condition
@_exported import class MultiprocessingCore.Barrier
@_exported import class MultiprocessingCore.SharedValue
