#define _GNU_SOURCE
#include "CSystem.h"
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MP_MAX_SEGMENTS 1024
#define MP_MAX_WORKERS 1024
#define MP_NAME_LEN 96

static char segment_names[MP_MAX_SEGMENTS][MP_NAME_LEN];
static volatile sig_atomic_t segment_used[MP_MAX_SEGMENTS];
static volatile pid_t worker_pids[MP_MAX_WORKERS];
#define MP_MAX_FILES 64
#define MP_PATH_LEN 4096
static char file_paths[MP_MAX_FILES][MP_PATH_LEN];
static volatile sig_atomic_t file_used[MP_MAX_FILES];
static volatile sig_atomic_t handlers_installed = 0;
static volatile sig_atomic_t exit_hook_registered = 0;
static volatile sig_atomic_t cleaning = 0;

static void block_signals(sigset_t *old) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

int mp_cleanup_add_segment(const char *name) {
    if (strlen(name) >= MP_NAME_LEN) return -1;
    sigset_t old;
    block_signals(&old);
    int slot = -1;
    for (int i = 0; i < MP_MAX_SEGMENTS; i++) {
        if (!segment_used[i]) {
            strcpy(segment_names[i], name);
            segment_used[i] = 1;
            slot = i;
            break;
        }
    }
    restore_signals(&old);
    return slot;
}

void mp_cleanup_remove_segment(const char *name) {
    sigset_t old;
    block_signals(&old);
    for (int i = 0; i < MP_MAX_SEGMENTS; i++) {
        if (segment_used[i] && strcmp(segment_names[i], name) == 0) {
            segment_used[i] = 0;
            break;
        }
    }
    restore_signals(&old);
}

int mp_cleanup_add_worker(pid_t pid) {
    sigset_t old;
    block_signals(&old);
    int slot = -1;
    for (int i = 0; i < MP_MAX_WORKERS; i++) {
        if (worker_pids[i] == 0) {
            worker_pids[i] = pid;
            slot = i;
            break;
        }
    }
    restore_signals(&old);
    return slot;
}

void mp_cleanup_remove_worker(pid_t pid) {
    sigset_t old;
    block_signals(&old);
    for (int i = 0; i < MP_MAX_WORKERS; i++) {
        if (worker_pids[i] == pid) {
            worker_pids[i] = 0;
            break;
        }
    }
    restore_signals(&old);
}

int mp_cleanup_add_file(const char *path) {
    if (strlen(path) >= MP_PATH_LEN) return -1;
    sigset_t old;
    block_signals(&old);
    int slot = -1;
    for (int i = 0; i < MP_MAX_FILES; i++) {
        if (!file_used[i]) {
            strcpy(file_paths[i], path);
            file_used[i] = 1;
            slot = i;
            break;
        }
    }
    restore_signals(&old);
    return slot;
}

void mp_cleanup_remove_file(const char *path) {
    sigset_t old;
    block_signals(&old);
    for (int i = 0; i < MP_MAX_FILES; i++) {
        if (file_used[i] && strcmp(file_paths[i], path) == 0) {
            file_used[i] = 0;
            break;
        }
    }
    restore_signals(&old);
}

static void cleanup_now(int terminate_workers) {
    if (terminate_workers) {
        int any = 0;
        for (int i = 0; i < MP_MAX_WORKERS; i++) {
            if (worker_pids[i] > 0) { kill(worker_pids[i], SIGTERM); any = 1; }
        }
        if (any) {
            // Grace period of up to 200 ms, then SIGKILL whatever is left.
            for (int round = 0; round < 20; round++) {
                int alive = 0;
                for (int i = 0; i < MP_MAX_WORKERS; i++) {
                    pid_t p = worker_pids[i];
                    if (p > 0) {
                        if (waitpid(p, NULL, WNOHANG) == p) worker_pids[i] = 0; else alive = 1;
                    }
                }
                if (!alive) break;
                struct timespec ts = {0, 10 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            for (int i = 0; i < MP_MAX_WORKERS; i++) {
                pid_t p = worker_pids[i];
                if (p > 0) { kill(p, SIGKILL); waitpid(p, NULL, 0); worker_pids[i] = 0; }
            }
        }
    }
    for (int i = 0; i < MP_MAX_SEGMENTS; i++) {
        if (segment_used[i]) { shm_unlink(segment_names[i]); segment_used[i] = 0; }
    }
    for (int i = 0; i < MP_MAX_FILES; i++) {
        if (file_used[i]) { unlink(file_paths[i]); file_used[i] = 0; }
    }
}

static void on_signal(int sig) {
    if (!cleaning) {
        cleaning = 1;
        cleanup_now(1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void on_exit_cleanup(void) { cleanup_now(1); }

void mp_cleanup_install_handlers(void) {
    if (handlers_installed) return;
    handlers_installed = 1;
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction current;
        sigaction(sigs[i], NULL, &current);
        // Respect a program that chose to ignore the signal or installed its own handler.
        if (current.sa_handler != SIG_DFL) continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
    if (!exit_hook_registered) {
        exit_hook_registered = 1;
        atexit(on_exit_cleanup);
    }
}

void mp_cleanup_run(void) { cleanup_now(1); }

void mp_cleanup_forget_in_child(void) {
    for (int i = 0; i < MP_MAX_SEGMENTS; i++) segment_used[i] = 0;
    for (int i = 0; i < MP_MAX_WORKERS; i++) worker_pids[i] = 0;
    for (int i = 0; i < MP_MAX_FILES; i++) file_used[i] = 0;
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGINT, SIG_IGN);
    // A child that makes its own segments or pool (a `Process` body) installs its own handlers then.
    handlers_installed = 0;
}
