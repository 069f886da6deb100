#if canImport(Glibc)
import Glibc
#endif

/// Starts a detached POSIX thread running `body` (no Foundation, no Dispatch: the executor's
/// dispatcher and the async bridges run blocking pool calls on such threads).
func startBackgroundThread(_ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<AnyObject>.fromOpaque(raw!).takeRetainedValue() as! Box
        box.body()
        return nil
    }, box)
    if rc == 0 {
        pthread_detach(thread)
    } else {
        // No thread: run inline rather than lose the work.
        let owned = Unmanaged<AnyObject>.fromOpaque(box).takeRetainedValue() as! Box
        owned.body()
    }
}
