#ifndef MP_CSYSTEM_H
#define MP_CSYSTEM_H
// Only what Swift cannot call directly on Linux: variadic functions (shm_open, open with mode),
// the futex syscall, prctl, memfd_create, and the wait-status macros.
#include <stdint.h>
#include <sys/types.h>

/// shm_open(name, flags, mode); returns -1 and sets errno on failure.
int mp_shm_open(const char *name, int flags, mode_t mode);
/// memfd_create(name, MFD_CLOEXEC?); returns -1 and sets errno.
int mp_memfd_create(const char *name, int cloexec);
/// Waits while *word == expected (shared, not private, futex). timeout_ns < 0 waits forever.
/// Returns 0 when woken, or -1 with errno (EAGAIN: value changed, ETIMEDOUT, EINTR).
int mp_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);
/// Wakes up to count waiters on word; returns the number woken or -1.
int mp_futex_wake(uint32_t *word, int count);
/// One step of a spin-wait: the CPU's pause hint (x86 PAUSE, arm64 YIELD).
static inline void mp_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}
/// copy_file_range(in, in_offset, out, out_offset, length, 0) (Linux 4.5+): copies in the kernel, sharing
/// extents where the file system can, advancing both offsets. Returns bytes copied (0 at the end of the
/// input) or -1 with errno (ENOSYS, EXDEV, EINVAL, EOPNOTSUPP: not possible here; copy another way).
int64_t mp_copy_file_range(int in, int64_t *in_offset, int out, int64_t *out_offset, uint64_t length);
/// prctl(PR_SET_PDEATHSIG, sig).
int mp_set_parent_death_signal(int sig);
/// prctl(PR_SET_NAME, name): the name `ps` and `top` show for this process.
int mp_set_process_name(const char *name);
/// In a worker process: one thread for the thread pools of libraries already loaded in the process
/// (OpenBLAS, OpenMP), found by symbol, since each worker is one core's worth of work. Returns how
/// many it limited.
int mp_limit_library_threads(void);
/// In a worker process: SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT and SIGTRAP back to their default
/// action (die, no handler), undoing the Swift runtime's backtracer; and unblocked.
void mp_reset_crash_signals(void);
/// The CPUs this process may run on (its affinity mask: taskset, cpusets), or -1 if unknown.
int mp_usable_cpu_count(void);
int mp_wifexited(int status);
int mp_wexitstatus(int status);
int mp_wifsignaled(int status);
int mp_wtermsig(int status);
/// Async-signal-safe errno read/write for the Swift side.
int mp_errno(void);

/// Exit-path cleanup that must run inside a signal handler (async-signal-safe, fixed-size tables):
/// named shared-memory segments to unlink and worker processes to kill when this process is ended
/// by SIGINT, SIGTERM or SIGHUP. Registration blocks those signals while it edits the tables.
int mp_cleanup_add_segment(const char *name);
void mp_cleanup_remove_segment(const char *name);
int mp_cleanup_add_worker(pid_t pid);
/// A temporary output file to delete if the process is ended by a signal before it is renamed into place.
int mp_cleanup_add_file(const char *path);
void mp_cleanup_remove_file(const char *path);
void mp_cleanup_remove_worker(pid_t pid);
/// Installs the handlers once (idempotent). On a signal: SIGTERM then SIGKILL to registered workers,
/// unlink registered segments, then re-raise with the default action (exit status 128+signal).
void mp_cleanup_install_handlers(void);
/// Runs the same cleanup now (used at normal exit via atexit) without exiting.
void mp_cleanup_run(void);
/// In a freshly forked child: forget the parent's tables and restore default signal actions so a
/// worker never unlinks the parent's segments or kills its siblings.
void mp_cleanup_forget_in_child(void);

// Synchronization across processes (SyncShim.c): what Swift cannot reach in glibc's pthread API.
#include <pthread.h>
/// The caller's pid, cached (getpid() is a real syscall in glibc) and forgotten in a fork()ed child.
pid_t mp_current_pid(void);
/// The calling thread's kernel tid, cached per thread and forgotten in a fork()ed child.
pid_t mp_current_tid(void);
/// Whether the calling thread holds this *robust* mutex: the kernel-maintained owner tid in its lock
/// word equals the caller's (the kernel clears it when the owner dies, so a reused tid never matches).
int mp_mutex_held_by_caller(pthread_mutex_t *mutex);
/// pthread_mutex_clocklock(mutex, CLOCK_MONOTONIC, deadline): `deadline_ns` is an absolute
/// CLOCK_MONOTONIC time in nanoseconds. Returns 0, ETIMEDOUT, EOWNERDEAD, ... (not errno).
int mp_mutex_lock_until(pthread_mutex_t *mutex, int64_t deadline_ns);
#endif
