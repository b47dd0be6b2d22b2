#ifndef SOFTPHONED_CNICE_SHIM_H
#define SOFTPHONED_CNICE_SHIM_H
// libnice 0.1.21 (ICE) on GLib. g_object_set is variadic and g_signal_connect a macro,
// neither of which Swift can call; these typed wrappers stand in for them.
#include <nice/agent.h>
#include <gio/gio.h>

static inline void softphoned_object_set_bool(gpointer object, const char *name, gboolean value) {
    g_object_set(object, name, value, NULL);
}
static inline void softphoned_object_set_uint(gpointer object, const char *name, guint value) {
    g_object_set(object, name, value, NULL);
}
static inline void softphoned_object_set_string(gpointer object, const char *name, const char *value) {
    g_object_set(object, name, value, NULL);
}
static inline gulong softphoned_signal_connect(gpointer instance, const char *signal, GCallback handler, gpointer data) {
    return g_signal_connect_data(instance, signal, handler, data, NULL, (GConnectFlags)0);
}
#endif
