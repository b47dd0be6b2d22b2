#ifndef SOFTPHONED_CALSA_SHIM_H
#define SOFTPHONED_CALSA_SHIM_H
#include <alsa/asoundlib.h>

/// The status's high-resolution timestamp in nanoseconds (of the clock set with
/// snd_pcm_sw_params_set_tstamp_type), so Swift never handles ALSA's struct timespec.
static inline unsigned long long softphoned_pcm_status_htstamp_ns(const snd_pcm_status_t *status) {
    snd_htimestamp_t stamp;
    snd_pcm_status_get_htstamp(status, &stamp);
    return (unsigned long long)stamp.tv_sec * 1000000000u + (unsigned long long)stamp.tv_nsec;
}
#endif
