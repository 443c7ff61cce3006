/* A libwebsockets (4.1, Debian's) echo server for bench/compare: one service thread on lws's
 * default event loop, no extensions offered (so no permessage-deflate), any path. Each complete
 * message (fragments and partial deliveries joined) is queued and written back as received, text
 * or binary, one per writable callback; reading pauses while 64 are queued.
 * Usage: lws_echo PORT */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { max_queued = 64 };

struct msg {
    struct msg* next;
    size_t len;
    int binary;
    unsigned char data[]; /* LWS_PRE bytes of headroom, then the payload */
};

struct session {
    struct msg *head, *tail;
    unsigned char* rx; /* the message being received */
    size_t rx_len, rx_cap;
    int queued;
    int paused;
};

static int append(struct session* s, const void* in, size_t len) {
    if (s->rx_len + len > s->rx_cap) {
        size_t cap = s->rx_cap ? s->rx_cap : 256;
        while (cap < s->rx_len + len) {
            cap *= 2;
        }
        unsigned char* grown = realloc(s->rx, cap);
        if (!grown) {
            return -1;
        }
        s->rx = grown;
        s->rx_cap = cap;
    }
    memcpy(s->rx + s->rx_len, in, len);
    s->rx_len += len;
    return 0;
}

static int enqueue(struct lws* wsi, struct session* s) {
    struct msg* m = malloc(sizeof *m + LWS_PRE + s->rx_len);
    if (!m) {
        return -1;
    }
    m->next = NULL;
    m->len = s->rx_len;
    m->binary = lws_frame_is_binary(wsi);
    if (s->rx_len) {
        memcpy(m->data + LWS_PRE, s->rx, s->rx_len);
    }
    s->rx_len = 0;
    if (s->tail) {
        s->tail->next = m;
    } else {
        s->head = m;
    }
    s->tail = m;
    if (++s->queued >= max_queued && !s->paused) {
        s->paused = 1;
        lws_rx_flow_control(wsi, 0);
    }
    lws_callback_on_writable(wsi);
    return 0;
}

static int write_one(struct lws* wsi, struct session* s) {
    struct msg* m = s->head;
    if (!m) {
        return 0;
    }
    enum lws_write_protocol kind = m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT;
    if (lws_write(wsi, m->data + LWS_PRE, m->len, kind) < (int)m->len) {
        return -1;
    }
    s->head = m->next;
    if (!s->head) {
        s->tail = NULL;
    }
    free(m);
    if (--s->queued < max_queued && s->paused) {
        s->paused = 0;
        lws_rx_flow_control(wsi, 1);
    }
    if (s->head) {
        lws_callback_on_writable(wsi);
    }
    return 0;
}

static void release(struct session* s) {
    while (s->head) {
        struct msg* next = s->head->next;
        free(s->head);
        s->head = next;
    }
    free(s->rx);
    memset(s, 0, sizeof *s);
}

static int on_event(struct lws* wsi, enum lws_callback_reasons reason, void* user, void* in,
                    size_t len) {
    struct session* s = user;
    switch (reason) {
        case LWS_CALLBACK_ESTABLISHED:
            memset(s, 0, sizeof *s);
            return 0;
        case LWS_CALLBACK_RECEIVE:
            if (append(s, in, len) != 0) {
                return -1;
            }
            if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
                return enqueue(wsi, s);
            }
            return 0;
        case LWS_CALLBACK_SERVER_WRITEABLE:
            return write_one(wsi, s);
        case LWS_CALLBACK_CLOSED:
            release(s);
            return 0;
        default:
            return 0;
    }
}

static const struct lws_protocols protocols[] = {
        {.name = "echo",
         .callback = on_event,
         .per_session_data_size = sizeof(struct session),
         .rx_buffer_size = 65536},
        {0},
};

static volatile int stopping;

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: lws_echo PORT\n");
        return 2;
    }
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = atoi(argv[1]);
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    struct lws_context* context = lws_create_context(&info);
    if (!context) {
        fprintf(stderr, "lws_echo: lws_create_context failed\n");
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("lws_echo ready on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);
    while (!stopping && lws_service(context, 0) >= 0) {
    }
    lws_context_destroy(context);
    return 0;
}
