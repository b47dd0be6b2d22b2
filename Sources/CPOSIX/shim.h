#ifndef SOFTPHONED_CPOSIX_SHIM_H
#define SOFTPHONED_CPOSIX_SHIM_H
// Linux thread calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc module
// does not define: the media threads' names and per-thread nice levels need them.
#include <pthread.h>
#include <sys/types.h>

extern int pthread_setname_np(pthread_t thread, const char *name);
extern pid_t gettid(void);

/// Names the calling thread (at most 15 bytes are kept), as `top -H` and `ps -L` show it.
static inline int softphoned_name_current_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

/// The calling thread's kernel id (for setpriority on one thread).
static inline pid_t softphoned_current_thread_id(void) {
    return gettid();
}
#endif
