#define _GNU_SOURCE
#include "CSystem.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// Identity caches. glibc stopped caching getpid() in 2.25 and gettid() is a syscall too (~190 ns
// here), which would dominate an uncontended lock. A fork handler forgets both in the child; a child
// made without glibc's fork() (raw clone, vfork) must not use these before exec.
static pid_t cached_pid;           // 0: not known yet
static __thread pid_t cached_tid;  // 0: not known yet
static pthread_once_t fork_handler_once = PTHREAD_ONCE_INIT;

static void forget_identity_in_child(void) {
    __atomic_store_n(&cached_pid, 0, __ATOMIC_RELAXED);
    cached_tid = 0;
}

static void install_fork_handler(void) { pthread_atfork(NULL, NULL, forget_identity_in_child); }

pid_t mp_current_pid(void) {
    pid_t pid = __atomic_load_n(&cached_pid, __ATOMIC_RELAXED);
    if (pid == 0) {
        // The handler is installed before the first value is cached, so no child can inherit a stale one.
        pthread_once(&fork_handler_once, install_fork_handler);
        pid = getpid();
        __atomic_store_n(&cached_pid, pid, __ATOMIC_RELAXED);
    }
    return pid;
}

pid_t mp_current_tid(void) {
    if (cached_tid == 0) {
        pthread_once(&fork_handler_once, install_fork_handler);
        cached_tid = (pid_t)syscall(SYS_gettid);
    }
    return cached_tid;
}

int mp_mutex_held_by_caller(pthread_mutex_t *mutex) {
#if defined(__GLIBC__)
    // A robust mutex's lock word is the owner's tid | FUTEX_WAITERS | FUTEX_OWNER_DIED (the robust-futex
    // ABI the kernel relies on); glibc's public header names it __data.__lock.
    int word = __atomic_load_n(&mutex->__data.__lock, __ATOMIC_RELAXED);
    return (pid_t)(word & FUTEX_TID_MASK) == mp_current_tid();
#else
#error "mp_mutex_held_by_caller reads glibc's pthread_mutex_t layout"
#endif
}

int mp_mutex_lock_until(pthread_mutex_t *mutex, int64_t deadline_ns) {
    struct timespec deadline;
    deadline.tv_sec = (time_t)(deadline_ns / 1000000000LL);
    deadline.tv_nsec = (long)(deadline_ns % 1000000000LL);
    return pthread_mutex_clocklock(mutex, CLOCK_MONOTONIC, &deadline);
}
