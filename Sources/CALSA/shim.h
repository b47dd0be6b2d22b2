#ifndef SOFTPHONED_CALSA_SHIM_H
#define SOFTPHONED_CALSA_SHIM_H
#include <alsa/asoundlib.h>
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>

/// The channel a capture switch is read from: the first one (all of a switch's channels are
/// set together, so the first tells the state). An enum constant Swift imports awkwardly.
static inline snd_mixer_selem_channel_id_t softphoned_mixer_first_channel(void) {
    return SND_MIXER_SCHN_FRONT_LEFT;
}

/// A non-blocking, close-on-exec eventfd: the mixer thread's wake-up for requests and shutdown.
static inline int softphoned_wake_fd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

/// Waits in poll() for the wake descriptor and, when `mixer` is not NULL, the mixer's own
/// descriptors (`timeout` ms, -1 for none), so Swift never builds ALSA's pollfd array.
/// - Returns: poll's count of ready descriptors, or a negative error code (-EINTR included).
///   `*woken` says whether the wake descriptor is ready; `*mixer_revents` is what the mixer's
///   descriptors mean (snd_mixer_poll_descriptors_revents: POLLIN, POLLERR…).
static inline int softphoned_mixer_wait(snd_mixer_t *mixer, int wake_fd, int timeout,
                                        unsigned short *mixer_revents, int *woken) {
    struct pollfd fds[17];
    int count = 0;
    *woken = 0;
    *mixer_revents = 0;
    fds[0].fd = wake_fd;
    fds[0].events = POLLIN;
    fds[0].revents = 0;
    if (mixer) {
        count = snd_mixer_poll_descriptors_count(mixer);
        if (count < 0) return count;
        if (count > 16) count = 16;
        if (count > 0) {
            count = snd_mixer_poll_descriptors(mixer, fds + 1, (unsigned int)count);
            if (count < 0) return count;
        }
    }
    int ready = poll(fds, (nfds_t)count + 1, timeout);
    if (ready < 0) return -errno;
    *woken = fds[0].revents != 0;
    if (mixer && count > 0 && ready > 0) {
        int rc = snd_mixer_poll_descriptors_revents(mixer, fds + 1, (unsigned int)count, mixer_revents);
        if (rc < 0) return rc;
    }
    return ready;
}

static inline void softphoned_alsa_drop_message(const char *file, int line, const char *function, int err,
                                                const char *fmt, va_list arg) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt; (void)arg;
}

/// Drops alsa-lib's own error text on the calling thread only (the mixer's, which retries
/// an absent mixer and reports the failure itself, with the error code).
static inline void softphoned_alsa_quiet_on_this_thread(void) {
    snd_lib_error_set_local(softphoned_alsa_drop_message);
}

/// The status's high-resolution timestamp in nanoseconds (of the clock set with
/// snd_pcm_sw_params_set_tstamp_type), so Swift never handles ALSA's struct timespec.
static inline unsigned long long softphoned_pcm_status_htstamp_ns(const snd_pcm_status_t *status) {
    snd_htimestamp_t stamp;
    snd_pcm_status_get_htstamp(status, &stamp);
    return (unsigned long long)stamp.tv_sec * 1000000000u + (unsigned long long)stamp.tv_nsec;
}
#endif
