#ifndef SOFTPHONED_COPUS_SHIM_H
#define SOFTPHONED_COPUS_SHIM_H
#include <opus/opus.h>

/* opus_*_ctl are variadic macros-over-functions; Swift cannot call them, so each request
   the daemon uses gets a typed wrapper. Prefixed to keep them apart from libopus names. */
static inline int cop_encoder_set_bitrate(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_BITRATE(v)); }
static inline int cop_encoder_set_complexity(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(v)); }
static inline int cop_encoder_set_inband_fec(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(v)); }
static inline int cop_encoder_set_dtx(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_DTX(v)); }
static inline int cop_encoder_set_packet_loss_perc(OpusEncoder *e, opus_int32 v) { return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(v)); }
static inline int cop_encoder_set_signal_voice(OpusEncoder *e) { return opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)); }
static inline int cop_encoder_get_lookahead(OpusEncoder *e, opus_int32 *v) { return opus_encoder_ctl(e, OPUS_GET_LOOKAHEAD(v)); }
static inline int cop_encoder_get_bitrate(OpusEncoder *e, opus_int32 *v) { return opus_encoder_ctl(e, OPUS_GET_BITRATE(v)); }
/* OPUS_SET_FORCE_MODE (opus_private.h): CELT-only while muted makes digital silence decode to
   exact zeros (SILK leaves +-1 LSB of noise), which is what the privacy guarantee promises. */
static inline int cop_encoder_set_force_celt(OpusEncoder *e, int on) { return opus_encoder_ctl(e, 11002, on ? 1002 : OPUS_AUTO); }
static inline int cop_encoder_reset(OpusEncoder *e) { return opus_encoder_ctl(e, OPUS_RESET_STATE); }
static inline int cop_decoder_reset(OpusDecoder *d) { return opus_decoder_ctl(d, OPUS_RESET_STATE); }
static inline int cop_decoder_get_last_packet_duration(OpusDecoder *d, opus_int32 *v) { return opus_decoder_ctl(d, OPUS_GET_LAST_PACKET_DURATION(v)); }
#endif
