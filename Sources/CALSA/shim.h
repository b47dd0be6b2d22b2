#ifndef SOFTPHONED_CALSA_SHIM_H
#define SOFTPHONED_CALSA_SHIM_H
#include <alsa/asoundlib.h>
#endif
