#ifndef SOFTPHONED_CSRTP_SHIM_H
#define SOFTPHONED_CSRTP_SHIM_H
#include <srtp2/srtp.h>
#endif
