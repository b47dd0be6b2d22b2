#ifndef SOFTPHONED_CPOSIX_SHIM_H
#define SOFTPHONED_CPOSIX_SHIM_H
// Linux thread calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc module
// does not define: the media threads' names and per-thread nice levels need them. Declared
// here without glibc's headers (pthread_t is an unsigned long, pid_t an int on Linux), so
// this module owns no system type.
extern unsigned long pthread_self(void);
extern int pthread_setname_np(unsigned long thread, const char *name);
extern int gettid(void);

/// Names the calling thread (at most 15 bytes are kept), as `top -H` and `ps -L` show it.
static inline int softphoned_name_current_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

/// The calling thread's kernel id (for setpriority on one thread).
static inline int softphoned_current_thread_id(void) {
    return gettid();
}
#endif
