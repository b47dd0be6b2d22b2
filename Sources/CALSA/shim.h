#ifndef SOFTPHONED_CALSA_SHIM_H
#define SOFTPHONED_CALSA_SHIM_H
#include <alsa/asoundlib.h>
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
