/* wsx native handler ABI, version 2 (version 1 had no topics). A handler is a shared object
 * `NAME_wsh.so` in the handler directory (`wsx serve -w DIR`); `DIR/a/b_wsh.so` serves the
 * resource `/a/b`, as pywebsocket maps `b_wsh.py`. It exports one C function, `wsx_handler_entry`,
 * returning a static description whose `abi_version` must equal WSX_HANDLER_ABI_VERSION: wsx
 * refuses any other version with a clear error instead of calling into mismatched code. Handlers
 * need only this header (no linking against wsx): every call into wsx goes through the `wsx_host`
 * table passed to each hook.
 *
 * Threading: hooks run on the loop thread that owns the connection, and must not block. With
 * several loop threads (`wsx serve --threads N`) hooks of different connections may run at the
 * same time, so state shared between connections (globals, statics) needs atomics or a lock;
 * the hooks of one connection never overlap. A `wsx_connection` is valid for the hook that
 * receives it.
 *
 *     #include "wsx/handler_abi.h"
 *     static void on_message(const wsx_host* host, wsx_connection* c,
 *                            const char* data, size_t size, int type) {
 *         host->send(c, data, size, type);
 *     }
 *     WSX_HANDLER_EXPORT const wsx_handler* wsx_handler_entry(void) {
 *         static const wsx_handler h = {WSX_HANDLER_ABI_VERSION, "echo",
 *                                       NULL, NULL, on_message, NULL};
 *         return &h;
 *     }
 */
#ifndef WSX_HANDLER_ABI_H
#define WSX_HANDLER_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define WSX_HANDLER_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define WSX_HANDLER_EXPORT __attribute__((visibility("default")))
#endif

#define WSX_HANDLER_ABI_VERSION 2

#define WSX_TEXT 1
#define WSX_BINARY 2

/* One WebSocket connection (opaque). */
typedef struct wsx_connection wsx_connection;

/* The opening handshake as the extra-handshake hook sees it (pywebsocket's
 * web_socket_do_extra_handshake). Strings are NUL-terminated and valid for the call. */
typedef struct wsx_handshake {
    const char* path;
    const char* query;               /* "" if none */
    const char* origin;              /* NULL if the client sent none */
    const char* const* subprotocols; /* offered, in the client's order */
    size_t subprotocol_count;
} wsx_handshake;

/* The hook's answer. Leave `status` 0 to accept; set it to 4xx/5xx to reject. `subprotocol` must
 * be one of the offered ones (or NULL for none). `user_data` is kept with the connection. */
typedef struct wsx_handshake_answer {
    int status;
    const char* subprotocol;
    void* user_data;
} wsx_handshake_answer;

/* What wsx offers a handler. Send and close return 0 on success, -1 if the connection is closing
 * or closed (or the close code or reason is not allowed). */
typedef struct wsx_host {
    uint32_t abi_version;
    int (*send)(wsx_connection* c, const char* data, size_t size, int type);
    /* Sends to every open connection of the same resource, this one included; returns how many. */
    size_t (*broadcast)(wsx_connection* c, const char* data, size_t size, int type);
    int (*close)(wsx_connection* c, uint16_t code, const char* reason);
    size_t (*buffered_amount)(const wsx_connection* c);
    /* A request header field's value (NUL-terminated, valid for the hook), NULL if absent. */
    const char* (*header)(const wsx_connection* c, const char* name);
    const char* (*subprotocol)(const wsx_connection* c);
    void* (*user_data)(const wsx_connection* c);
    void (*set_user_data)(wsx_connection* c, void* data);
    /* level: 0 debug, 1 info, 2 warn, 3 error. */
    void (*log)(const wsx_connection* c, int level, const char* message);
    /* A variable of the connection as CGI scripts get it, NULL if unset: over TLS Apache mod_ssl's
     * HTTPS ("on"), SSL_PROTOCOL, SSL_CIPHER, SSL_TLS_SNI, SSL_CLIENT_VERIFY, SSL_CLIENT_S_DN and
     * SSL_CLIENT_I_DN; always REMOTE_ADDR and REMOTE_PORT. Valid until the next call. (Appended to
     * version 1: a handler built with an older header never reads it.) */
    const char* (*variable)(const wsx_connection* c, const char* name);
    /* Topics (version 2): the connection gets what is published to `topic` (NUL-terminated)
     * until it unsubscribes or closes; 0, or -1 if it was subscribed already (or not open). */
    int (*subscribe)(wsx_connection* c, const char* topic);
    /* 0, or -1 if it was not subscribed. */
    int (*unsubscribe)(wsx_connection* c, const char* topic);
    /* Publishes to every subscriber of `topic` on every loop thread, this connection too if it
     * is one; returns how many of this loop's got it. A subscriber too far behind drops it. */
    size_t (*publish)(wsx_connection* c, const char* topic, const char* data, size_t size,
                      int type);
} wsx_host;

/* A handler. Every hook may be NULL. */
typedef struct wsx_handler {
    uint32_t abi_version; /* WSX_HANDLER_ABI_VERSION */
    const char* name;
    void (*do_extra_handshake)(const wsx_host* host, wsx_connection* c,
                               const wsx_handshake* request, wsx_handshake_answer* answer);
    void (*on_open)(const wsx_host* host, wsx_connection* c);
    void (*on_message)(const wsx_host* host, wsx_connection* c, const char* data, size_t size,
                       int type);
    /* code: the peer's close code, 1005 for none, 1006 for none received; was_clean: both close
     * frames were exchanged. Free user_data here. */
    void (*on_close)(const wsx_host* host, wsx_connection* c, uint16_t code, const char* reason,
                     int was_clean);
    /* pywebsocket's web_socket_passive_closing_handshake: the client started the closing
     * handshake with `code` (1005: none); call host->close(c, code, reason) here to answer with
     * another code, else the client's code is echoed. */
    void (*passive_closing_handshake)(const wsx_host* host, wsx_connection* c, uint16_t code,
                                      const char* reason);
} wsx_handler;

/* The symbol wsx looks up. */
typedef const wsx_handler* (*wsx_handler_entry_fn)(void);

/* Optional, beside wsx_handler_entry: `WSX_HANDLER_EXPORT const uint32_t wsx_handler_flags =
 * WSX_HANDLER_REQUEST_UNTIL_OPEN;` (flags or'ed; a handler without the symbol has none, as every
 * handler built before it).
 * WSX_HANDLER_REQUEST_UNTIL_OPEN: the handler calls host->header() only in do_extra_handshake and
 * on_open, so an open connection keeps none of its request (about 150 bytes from a load
 * generator, 400 from a browser, per connection); header() returns NULL in the later hooks. */
#define WSX_HANDLER_REQUEST_UNTIL_OPEN 1u
#define WSX_HANDLER_FLAGS_SYMBOL "wsx_handler_flags"

#endif /* WSX_HANDLER_ABI_H */
