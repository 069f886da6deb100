#ifndef MP_CHILD_PROCESS_H
#define MP_CHILD_PROCESS_H
// Watching child processes without SIGCHLD (ChildProcess.c).
#include <sys/types.h>

/// pidfd_open(pid, 0) (Linux 5.3+): a close-on-exec descriptor that becomes readable when process `pid`
/// ends. Returns -1 with errno (ENOSYS on older kernels, ESRCH if there is no such process).
int mp_pidfd_open(pid_t pid);
/// A close-on-exec, non-blocking eventfd with count 0, or -1 with errno.
int mp_wake_fd_open(void);
/// Adds 1 to an eventfd (wakes a poll on it); async-signal-safe.
void mp_wake_fd_signal(int fd);
/// Resets an eventfd to 0 (after a poll saw it readable).
void mp_wake_fd_drain(int fd);
#endif
