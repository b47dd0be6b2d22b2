#ifndef CSOFIASIP_SHIM_H
#define CSOFIASIP_SHIM_H

/* glibc first: sofia's su_configure.h defines _GNU_SOURCE, and a module that reaches it before
 * glibc's headers sees `fd_set.fds_bits` where libnice's module sees `__fds_bits`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg_protos.h>
#include <sofia-sip/url.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/msg.h>

/* ---- The event loop: one thread of softphoned's; other threads post jobs to it. ---- */

typedef struct csip_job { void (*fn)(void *); void *ctx; } csip_job_t;

static void csip__deliver(su_root_magic_t *magic, su_msg_r msg, su_msg_arg_t *arg) {
    (void)magic; (void)msg;
    csip_job_t *job = (csip_job_t *)arg;
    job->fn(job->ctx);
}

/** Creates the root of an event loop run by the calling thread (which must then run it). */
static inline su_root_t *csip_root_create(void) {
    if (su_init() != 0) return NULL;
    su_root_t *root = su_root_create(NULL);
    if (root) su_root_threading(root, 0);
    return root;
}

static inline void csip_root_run(su_root_t *root) { su_root_run(root); }
static inline void csip_root_break(su_root_t *root) { su_root_break(root); }
static inline void csip_root_destroy(su_root_t *root) { su_root_destroy(root); su_deinit(); }

/** Runs fn(ctx) on the loop's thread (thread-safe). 0 when queued. */
static inline int csip_post(su_root_t *root, void (*fn)(void *), void *ctx) {
    su_msg_r m = SU_MSG_R_INIT;
    if (su_msg_create(m, su_root_task(root), su_task_null, csip__deliver, sizeof(csip_job_t)) != 0) return -1;
    csip_job_t *job = (csip_job_t *)su_msg_data(m);
    job->fn = fn;
    job->ctx = ctx;
    return su_msg_send(m);
}

/* ---- The NUA calls, with a tag list Swift builds (ended by csip_tag_end()). ---- */

static inline nua_t *csip_nua_create(su_root_t *root, nua_callback_f cb, nua_magic_t *magic, tagi_t const *tags) {
    return nua_create(root, cb, magic, TAG_NEXT(tags));
}
static inline nua_handle_t *csip_nua_handle(nua_t *nua, tagi_t const *tags) { return nua_handle(nua, NULL, TAG_NEXT(tags)); }
static inline void csip_nua_set_params(nua_t *nua, tagi_t const *tags) { nua_set_params(nua, TAG_NEXT(tags)); }
static inline void csip_nua_register(nua_handle_t *nh, tagi_t const *tags) { nua_register(nh, TAG_NEXT(tags)); }
static inline void csip_nua_unregister(nua_handle_t *nh, tagi_t const *tags) { nua_unregister(nh, TAG_NEXT(tags)); }
static inline void csip_nua_invite(nua_handle_t *nh, tagi_t const *tags) { nua_invite(nh, TAG_NEXT(tags)); }
static inline void csip_nua_ack(nua_handle_t *nh, tagi_t const *tags) { nua_ack(nh, TAG_NEXT(tags)); }
static inline void csip_nua_bye(nua_handle_t *nh, tagi_t const *tags) { nua_bye(nh, TAG_NEXT(tags)); }
static inline void csip_nua_cancel(nua_handle_t *nh, tagi_t const *tags) { nua_cancel(nh, TAG_NEXT(tags)); }
static inline void csip_nua_info(nua_handle_t *nh, tagi_t const *tags) { nua_info(nh, TAG_NEXT(tags)); }
static inline void csip_nua_update(nua_handle_t *nh, tagi_t const *tags) { nua_update(nh, TAG_NEXT(tags)); }
static inline void csip_nua_authenticate(nua_handle_t *nh, tagi_t const *tags) { nua_authenticate(nh, TAG_NEXT(tags)); }
/** `phrase` must outlive the transaction (sofia keeps the pointer): pass csip_status_phrase(). */
static inline void csip_nua_respond(nua_handle_t *nh, int status, char const *phrase, tagi_t const *tags) {
    nua_respond(nh, status, phrase, TAG_NEXT(tags));
}

/* A request answered later than its event (INFO, UPDATE): saved, then answered with it. */
typedef struct csip_saved { nua_saved_event_t event[1]; } csip_saved_t;

static inline csip_saved_t *csip_save_event(nua_t *nua) {
    csip_saved_t *saved = (csip_saved_t *)calloc(1, sizeof *saved);
    if (!saved) return NULL;
    nua_save_event(nua, saved->event);
    if (!saved->event[0]) { free(saved); return NULL; }
    return saved;
}
static inline void csip_saved_destroy(csip_saved_t *saved) {
    if (!saved) return;
    nua_destroy_event(saved->event);
    free(saved);
}

static inline char const *csip_status_phrase(int status) {
    char const *p = sip_status_phrase(status);
    return p ? p : "";
}

static inline void csip_nua_respond_saved(nua_handle_t *nh, int status, char const *phrase, csip_saved_t *saved, tagi_t const *tags) {
    nua_respond(nh, status, phrase, NUTAG_WITH_SAVED(saved->event), TAG_NEXT(tags));
}

/* ---- Tag items (each macro expands to two arguments Swift cannot write). ---- */

#define CSIP_STR_TAG(name, macro) static inline tagi_t csip_tag_##name(char const *v) { tagi_t t = { macro(v) }; return t; }
#define CSIP_UINT_TAG(name, macro) static inline tagi_t csip_tag_##name(unsigned v) { tagi_t t = { macro(v) }; return t; }
#define CSIP_BOOL_TAG(name, macro) static inline tagi_t csip_tag_##name(int v) { tagi_t t = { macro(v) }; return t; }

CSIP_STR_TAG(url, NUTAG_URL)
CSIP_STR_TAG(sips_url, NUTAG_SIPS_URL)
CSIP_STR_TAG(registrar, NUTAG_REGISTRAR)
CSIP_STR_TAG(proxy, NUTAG_PROXY)
CSIP_STR_TAG(outbound, NUTAG_OUTBOUND)
CSIP_STR_TAG(auth, NUTAG_AUTH)
CSIP_STR_TAG(m_username, NUTAG_M_USERNAME)
CSIP_STR_TAG(allow, NUTAG_ALLOW)
CSIP_STR_TAG(appl_method, NUTAG_APPL_METHOD)
CSIP_STR_TAG(from_str, SIPTAG_FROM_STR)
CSIP_STR_TAG(to_str, SIPTAG_TO_STR)
CSIP_STR_TAG(payload_str, SIPTAG_PAYLOAD_STR)
CSIP_STR_TAG(content_type_str, SIPTAG_CONTENT_TYPE_STR)
CSIP_STR_TAG(header_str, SIPTAG_HEADER_STR)
CSIP_STR_TAG(expires_str, SIPTAG_EXPIRES_STR)
CSIP_STR_TAG(warning_str, SIPTAG_WARNING_STR)
CSIP_STR_TAG(user_agent_str, SIPTAG_USER_AGENT_STR)
CSIP_STR_TAG(supported_str, SIPTAG_SUPPORTED_STR)
CSIP_STR_TAG(certificate, TPTAG_CERTIFICATE)
CSIP_UINT_TAG(keepalive, NUTAG_KEEPALIVE)
CSIP_UINT_TAG(keepalive_stream, NUTAG_KEEPALIVE_STREAM)
CSIP_UINT_TAG(session_timer, NUTAG_SESSION_TIMER)
CSIP_UINT_TAG(min_se, NUTAG_MIN_SE)
CSIP_UINT_TAG(tls_verify_policy, TPTAG_TLS_VERIFY_POLICY)
CSIP_UINT_TAG(tls_verify_depth, TPTAG_TLS_VERIFY_DEPTH)
CSIP_BOOL_TAG(media_enable, NUTAG_MEDIA_ENABLE)
CSIP_BOOL_TAG(autoalert, NUTAG_AUTOALERT)
CSIP_BOOL_TAG(autoanswer, NUTAG_AUTOANSWER)
CSIP_BOOL_TAG(autoack, NUTAG_AUTOACK)
CSIP_BOOL_TAG(enableinvite, NUTAG_ENABLEINVITE)
CSIP_BOOL_TAG(update_refresh, NUTAG_UPDATE_REFRESH)

static inline tagi_t csip_tag_end(void) { tagi_t t = { TAG_END() }; return t; }

static inline unsigned csip_tls_verify_out_subjects(void) { return TPTLS_VERIFY_SUBJECTS_OUT; }
static inline unsigned csip_tls_verify_none(void) { return TPTLS_VERIFY_NONE; }

/* ---- Reading an event (tl_gets and the header structs, as plain calls). ---- */

/** NUTAG_CALLSTATE in the event's tags, or -1. */
static inline int csip_callstate(tagi_t const *tags) {
    int state = -1;
    if (tags) tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
    return state;
}

/** Copies a string into buf (NUL-terminated, truncated); its full length, or -1 for none. */
static inline int csip__copy(char const *s, char *buf, int size) {
    if (!s) return -1;
    int n = (int)strlen(s);
    if (size > 0) { int k = n < size - 1 ? n : size - 1; memcpy(buf, s, (size_t)k); buf[k] = 0; }
    return n;
}

static inline int csip_status(sip_t const *sip) { return sip && sip->sip_status ? sip->sip_status->st_status : 0; }
static inline int csip_is_request(sip_t const *sip) { return sip && sip->sip_request ? 1 : 0; }
static inline int csip_call_id(sip_t const *sip, char *buf, int size) {
    return csip__copy(sip && sip->sip_call_id ? sip->sip_call_id->i_id : NULL, buf, size);
}
static inline int csip__url(url_t const *url, char *buf, int size) {
    if (!url) return -1;
    issize_t n = url_e(buf, size, url);
    if (n < 0) return -1;
    if (n >= size && size > 0) buf[size - 1] = 0;
    return (int)n;
}
static inline int csip_from_url(sip_t const *sip, char *buf, int size) { return sip && sip->sip_from ? csip__url(sip->sip_from->a_url, buf, size) : -1; }
static inline int csip_from_display(sip_t const *sip, char *buf, int size) { return csip__copy(sip && sip->sip_from ? sip->sip_from->a_display : NULL, buf, size); }
static inline int csip_to_url(sip_t const *sip, char *buf, int size) { return sip && sip->sip_to ? csip__url(sip->sip_to->a_url, buf, size) : -1; }
static inline int csip_contact_url(sip_t const *sip, char *buf, int size) { return sip && sip->sip_contact ? csip__url(sip->sip_contact->m_url, buf, size) : -1; }
static inline int csip_contact_expires(sip_t const *sip, char *buf, int size) { return csip__copy(sip && sip->sip_contact ? sip->sip_contact->m_expires : NULL, buf, size); }
static inline long csip_expires(sip_t const *sip) { return sip && sip->sip_expires ? (long)sip->sip_expires->ex_delta : -1; }
static inline long csip_retry_after(sip_t const *sip) { return sip && sip->sip_retry_after ? (long)sip->sip_retry_after->af_delta : -1; }
static inline int csip_content_type(sip_t const *sip, char *buf, int size) {
    return csip__copy(sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL, buf, size);
}
static inline char const *csip_payload(sip_t const *sip, int *length) {
    if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data) { *length = 0; return NULL; }
    *length = (int)sip->sip_payload->pl_len;
    return sip->sip_payload->pl_data;
}

/** The value of the index-th header named `name` (case-insensitive; known or unknown to sofia),
 *  encoded as it would be on the wire; its length, or -1 when there is no such header. */
static inline int csip_header_value(sip_t const *sip, char const *name, int index, char *buf, int size) {
    if (!sip || size <= 0) return -1;
    sip_header_t const *h = sip->sip_request ? (sip_header_t const *)sip->sip_request : (sip_header_t const *)sip->sip_status;
    for (; h; h = (sip_header_t const *)h->sh_succ) {
        msg_hclass_t const *c = h->sh_class;
        if (!c) continue;
        int unknown = c->hc_hash == msg_unknown_hash;
        char const *n = unknown ? ((msg_unknown_t const *)h)->un_name : c->hc_name;
        if (!n || !n[0] || strcasecmp(n, name) != 0) continue;
        if (index-- > 0) continue;
        /* sofia encodes an unknown header with its name: its value is kept apart. */
        if (unknown) return csip__copy(((msg_unknown_t const *)h)->un_value ? ((msg_unknown_t const *)h)->un_value : "", buf, size);
        issize_t len = msg_header_field_e(buf, size, (msg_header_t const *)h, 0);
        if (len < 0) return -1;
        if (len >= size) buf[size - 1] = 0; else buf[len] = 0;
        return (int)len;
    }
    return -1;
}

/* ---- A message from bytes (what the stack's transports do), for the fuzz target and tests. ---- */

static inline msg_t *csip_message_parse(char const *data, int length) {
    return msg_make(sip_default_mclass(), 0, data, length);
}
static inline sip_t const *csip_message_sip(msg_t *msg) { return msg ? sip_object(msg) : NULL; }
static inline void csip_message_destroy(msg_t *msg) { if (msg) msg_destroy(msg); }

#endif
