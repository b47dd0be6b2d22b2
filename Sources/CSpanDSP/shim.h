#ifndef SOFTPHONED_CSPANDSP_SHIM_H
#define SOFTPHONED_CSPANDSP_SHIM_H
/* spandsp's G.711, G.722 and packet loss concealment only: <spandsp.h> pulls in the fax
   stack and libtiff's headers, which softphoned does not use. telephony.h and
   bit_operations.h first, since g711.h's inline coders use their macros. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>
#include <spandsp/g722.h>
#include <spandsp/plc.h>

/* G.711's per-sample coders are static inline in g711.h; these prefixed wrappers give Swift
   one call per block, so a 20 ms frame is one call, not 160. */
static inline void csd_ulaw_encode(uint8_t *out, const int16_t *in, int n) { for (int i = 0; i < n; i++) out[i] = linear_to_ulaw(in[i]); }
static inline void csd_alaw_encode(uint8_t *out, const int16_t *in, int n) { for (int i = 0; i < n; i++) out[i] = linear_to_alaw(in[i]); }
static inline void csd_ulaw_decode(int16_t *out, const uint8_t *in, int n) { for (int i = 0; i < n; i++) out[i] = ulaw_to_linear(in[i]); }
static inline void csd_alaw_decode(int16_t *out, const uint8_t *in, int n) { for (int i = 0; i < n; i++) out[i] = alaw_to_linear(in[i]); }
#endif
