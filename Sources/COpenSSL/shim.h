#ifndef SOFTPHONED_COPENSSL_SHIM_H
#define SOFTPHONED_COPENSSL_SHIM_H
// OpenSSL 3.0 for DTLS-SRTP. Several calls the handshake needs are macros over SSL_ctrl or
// BIO_ctrl, which Swift cannot import; these inline functions give them a type.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/srtp.h>

/// 1 when the handshake's retransmission timer is running and has run out.
static inline int softphoned_DTLS_timer_expired(SSL *ssl) {
    struct timeval remaining = {0, 0};
    return DTLSv1_get_timeout(ssl, &remaining) == 1 && remaining.tv_sec == 0 && remaining.tv_usec == 0;
}
static inline long softphoned_DTLSv1_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }
static inline long softphoned_BIO_set_mem_eof_return(BIO *bio, long value) { return BIO_set_mem_eof_return(bio, value); }
static inline long softphoned_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) { return SSL_CTX_set_min_proto_version(ctx, version); }
static inline long softphoned_SSL_CTX_set_read_ahead(SSL_CTX *ctx, long on) { return SSL_CTX_set_read_ahead(ctx, on); }
static inline long softphoned_SSL_set_mtu(SSL *ssl, long mtu) { return SSL_set_mtu(ssl, mtu); }
static inline long softphoned_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) { return SSL_CTX_set1_groups_list(ctx, list); }
/// The options every DTLS-SRTP context takes: our MTU, no renegotiation, tickets or compression.
static inline uint64_t softphoned_dtls_options(void) {
    return SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION;
}
static inline void softphoned_OPENSSL_free(void *p) { OPENSSL_free(p); }
#endif
