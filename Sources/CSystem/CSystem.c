#define _GNU_SOURCE
#include "CSystem.h"
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int mp_shm_open(const char *name, int flags, mode_t mode) { return shm_open(name, flags, mode); }

int mp_memfd_create(const char *name, int cloexec) {
    return (int)syscall(SYS_memfd_create, name, cloexec ? MFD_CLOEXEC : 0);
}

int64_t mp_copy_file_range(int in, int64_t *in_offset, int out, int64_t *out_offset, uint64_t length) {
#ifdef SYS_copy_file_range
    loff_t from = (loff_t)*in_offset, to = (loff_t)*out_offset;
    long copied = syscall(SYS_copy_file_range, in, &from, out, &to, (size_t)length, 0u);
    *in_offset = (int64_t)from;
    *out_offset = (int64_t)to;
    return (int64_t)copied;
#else
    (void)in; (void)in_offset; (void)out; (void)out_offset; (void)length;
    errno = ENOSYS;
    return -1;
#endif
}

int mp_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000LL);
        ts.tv_nsec = (long)(timeout_ns % 1000000000LL);
        tsp = &ts;
    }
    return (int)syscall(SYS_futex, word, FUTEX_WAIT, expected, tsp, NULL, 0);
}

int mp_futex_wake(uint32_t *word, int count) {
    return (int)syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
}

int mp_set_parent_death_signal(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }
int mp_set_process_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

int mp_limit_library_threads(void) {
    static const char *setters[] = {"openblas_set_num_threads", "omp_set_num_threads"};
    int limited = 0;
    for (unsigned i = 0; i < sizeof setters / sizeof setters[0]; i++) {
        void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, setters[i]);
        if (set) { set(1); limited++; }
    }
    return limited;
}
int mp_wifexited(int status) { return WIFEXITED(status); }
int mp_wexitstatus(int status) { return WEXITSTATUS(status); }
int mp_wifsignaled(int status) { return WIFSIGNALED(status); }
int mp_wtermsig(int status) { return WTERMSIG(status); }
int mp_errno(void) { return errno; }

int mp_usable_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
}

#include <signal.h>
void mp_reset_crash_signals(void) {
    // The Swift runtime's backtracer (and any library's crash handler) is replaced by the default
    // action, so a crashing worker dies at once with its signal and prints nothing; the parent
    // reports it in one line.
    static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP};
    sigset_t set;
    sigemptyset(&set);
    for (unsigned i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = SIG_DFL;
        sigemptyset(&action.sa_mask);
        sigaction(crash_signals[i], &action, NULL);
        sigaddset(&set, crash_signals[i]);
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}
