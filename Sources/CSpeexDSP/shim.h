#ifndef SOFTPHONED_CSPEEXDSP_SHIM_H
#define SOFTPHONED_CSPEEXDSP_SHIM_H
/* speexdsp's resampler: between the 48 kHz capture and playback and the 8 and 16 kHz of
   G.711 and G.722. */
#include <speex/speex_resampler.h>
#endif
