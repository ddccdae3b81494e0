/*
 * loadgen: a WebSocket load generator for the chatroom protocol.
 *
 * One thread, epoll, non-blocking sockets. N members join one room
 * (GET /ws?room=R&nick=mI); the first S of them also send. Each message text
 * carries the send time, so every receiver measures end-to-end latency.
 * Senders run flat out with W messages in flight each (a message is in flight
 * until its sender receives it back) or at a fixed total rate.
 *
 * Prints one JSON object: deliveries/s, latency percentiles, server CPU and
 * RSS (from /proc/<server-pid>), client CPU, error frames, close codes.
 *
 * With --tokens FILE member I signs in as an account (token=<line I> instead
 * of nick=mI). With --changes PCT (accounts only) PCT % of each sender's
 * frames are changes, in turn: an edit of its newest message, a reaction on
 * the room's newest message or off again, a read mark up to the room's newest
 * id. Edits and reactions are acked and broadcast like messages; their
 * latency is kept apart: every member counts the changes it receives from
 * each sender, and a sender's changes reach every member in the order sent,
 * so the k-th change a member sees from sender S is S's k-th change.
 *
 * With --refs every message goes as the page sends it: a JSON message frame
 * with a ref of its own ("m<member>-<n>"), which the server acks and keeps
 * for ten minutes to store a resend once; the ack's latency (from the send,
 * or the scheduled time under --rate, to the ack's arrival) is kept apart
 * from the deliveries'. Without it a message is a bare text frame (protocol
 * v1), with no ref and no ack.
 *
 * A text is "bench <time> <member> <n> " and then filler up to --size bytes:
 * the letter x repeated, or with --words common English words in a
 * pseudo-random order (the same order every run), as a chat's text would
 * give a search index to store.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HANDSHAKES 64          /* upgrades in progress at once */
#define READ_CHUNK (256 * 1024)
#define BUCKET_NS 10000ULL         /* latency histogram: 10 us buckets ... */
#define BUCKETS 500000             /* ... up to 5 s, beyond that clamped */
#define MS 1000000ULL              /* one millisecond, in nanoseconds */
#define MARKER "\"bench "          /* start of a benchmark message text */
#define ACK "{\"type\":\"ack\","      /* the server's ack of a message sent with a ref */
#define CHANGE_RING 4096           /* send times of a sender's changes still travelling */
#define ACK_RING 4096              /* --refs: send times of a sender's messages not yet acked */
#define REACTION "\"\xf0\x9f\x91\x8d\""  /* thumbs up, as JSON */

enum change_kind { EDIT, REACT, READ_MARK, KINDS };

enum state { IDLE, CONNECTING, UPGRADING, OPEN, CLOSED };

struct conn {
    int fd;
    int index;
    enum state state;
    int slow;        /* never reads after the upgrade */
    int welcomed;
    int in_flight;   /* sender only: own messages (and edits, reactions) not yet received back */
    uint64_t seq;
    /* --changes, sender: */
    uint64_t frames_sent, changes_sent, own_last_id, room_last_id, room_last_message, react_target;
    int react_on;
    uint64_t *change_sent_ns; /* CHANGE_RING send times, by change number */
    uint64_t *ack_sent_ns;    /* --refs, sender: ACK_RING send times, by the number in the ref */
    /* --changes, every member: changes received from each sender, by sender */
    uint32_t *changes_seen;
    char *rbuf;
    size_t rlen, rcap;
    char *wbuf;
    size_t wlen, wcap, woff;
};

static struct {
    const char *host, *room;
    int port, members, senders, window, size, slow, server_pid, rooms;
    double rate, duration, warmup, settle_max;
    int idle, slow_rcvbuf, marks, changes, refs, words;
    const char *tokens;
    int sources;  /* --sources K: connect from 127.0.0.1 .. 127.0.0.K in turn */
    double hold;  /* --idle --hold S: stay connected S seconds (answering pings), server CPU measured */
} opt = {"127.0.0.1", "bench", 8888, 100, 1, 20, 100, 0, 0, 1, 0, 5, 1, 60, 0, 0, 0, 0, 0, 0, NULL, 1, 0};

static char **tokens; /* --tokens: one JWT per member */
static enum change_kind kinds[KINDS] = {EDIT, REACT, READ_MARK}; /* --change-kinds: taken in turn */
static int kind_count = KINDS;

static void usage(void);
static struct conn *conns;
static int epfd;
static uint64_t hist[BUCKETS];
static uint64_t lat_max, lat_count, deliveries, error_frames, sent_total, sent_measured;
static uint64_t close_codes[5000], frames_in, last_frame_ns, pings_in;
static int measuring, handshakes, opened, welcomed, closed_count, failed_connects;
static char first_error[512];
/* --changes: latencies of edits and reactions, kept apart from messages' */
static uint64_t change_hist[BUCKETS], change_lat_max, change_lat_count;
/* --refs: latencies of acks, from a message's send to its ack */
static uint64_t ack_hist[BUCKETS], ack_lat_max, ack_lat_count;
static uint64_t messages_stored, change_deliveries, acks, unchanged_acks, reads_sent, unread_frames;
static uint64_t changes_sent_measured[KINDS];

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void *grow(void *buf, size_t *cap, size_t need) {
    if (need <= *cap) return buf;
    size_t cap2 = *cap ? *cap : 4096;
    while (cap2 < need) cap2 *= 2;
    buf = realloc(buf, cap2);
    if (!buf) die("realloc");
    *cap = cap2;
    return buf;
}

/* --- output ------------------------------------------------------------ */

static void arm(struct conn *c) {
    struct epoll_event ev = {0};
    ev.data.ptr = c;
    if (!c->slow || c->state != OPEN) ev.events |= EPOLLIN;
    if (c->wlen > c->woff || c->state == CONNECTING) ev.events |= EPOLLOUT;
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void close_conn(struct conn *c) {
    if (c->state == CLOSED) return;
    if (c->state != OPEN && c->state != IDLE) handshakes--;
    if (c->state == OPEN) opened--;
    c->state = CLOSED;
    closed_count++;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
}

static void flush_out(struct conn *c) {
    while (c->woff < c->wlen) {
        ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
        if (n < 0) {
            if (errno == EAGAIN) break;
            close_conn(c);
            return;
        }
        c->woff += (size_t)n;
    }
    int was_pending = c->woff < c->wlen;
    if (!was_pending) c->wlen = c->woff = 0;
    arm(c);
}

static void queue_out(struct conn *c, const void *data, size_t len) {
    c->wbuf = grow(c->wbuf, &c->wcap, c->wlen + len);
    memcpy(c->wbuf + c->wlen, data, len);
    c->wlen += len;
}

/* A masked client frame with opcode ``op``. */
static void queue_frame(struct conn *c, int op, const char *payload, size_t len) {
    unsigned char head[14];
    size_t h = 0;
    static const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    head[h++] = (unsigned char)(0x80 | op);
    if (len < 126) {
        head[h++] = (unsigned char)(0x80 | len);
    } else {
        head[h++] = 0x80 | 126;
        head[h++] = (unsigned char)(len >> 8);
        head[h++] = (unsigned char)len;
    }
    memcpy(head + h, mask, 4);
    h += 4;
    queue_out(c, head, h);
    c->wbuf = grow(c->wbuf, &c->wcap, c->wlen + len);
    for (size_t i = 0; i < len; i++) c->wbuf[c->wlen + i] = (char)(payload[i] ^ mask[i & 3]);
    c->wlen += len;
}

/* --words: what a text is made of (letters only: nothing JSON would escape). */
static const char *const WORDS[] = {
    "the", "meeting", "moved", "to", "three", "can", "you", "check", "release", "notes", "before",
    "lunch", "deploy", "went", "fine", "staging", "is", "green", "again", "who", "has", "a",
    "keys", "for", "office", "tomorrow", "morning", "please", "review", "my", "change", "thanks",
    "coffee", "later", "budget", "report", "draft", "looks", "good", "send", "it", "customer",
    "called", "about", "invoice", "weekend", "plans", "train", "late", "station", "north", "exit",
    "photos", "from", "trip", "agenda", "friday", "backup", "finished", "overnight", "server",
    "restart", "question", "answer", "welcome", "team", "schedule", "update", "bug", "fixed",
};
#define WORD_COUNT (sizeof WORDS / sizeof WORDS[0])
static uint64_t word_state = 0x9E3779B97F4A7C15ULL;

/* Words after text[0..n), each followed by a space, up to opt.size bytes and at most room. */
static int fill_words(char *text, int n, int room) {
    int end = opt.size < room ? opt.size : room;
    while (n < end) {
        word_state ^= word_state << 13;
        word_state ^= word_state >> 7;
        word_state ^= word_state << 17;
        for (const char *w = WORDS[word_state % WORD_COUNT]; *w && n < end; w++) text[n++] = *w;
        if (n < end) text[n++] = ' ';
    }
    return n;
}

static void send_message(struct conn *c, uint64_t stamp) {
    char text[4096];
    int n = snprintf(text, sizeof text, "bench %llu %d %llu ", (unsigned long long)stamp, c->index,
                     (unsigned long long)c->seq++);
    if (opt.words)
        n = fill_words(text, n, (int)sizeof text);
    else
        while (n < opt.size && n < (int)sizeof text) text[n++] = 'x';
    if (opt.refs) {
        /* The text holds no character JSON would escape. */
        char frame[4200];
        int f = snprintf(frame, sizeof frame, "{\"type\":\"message\",\"message\":\"%.*s\",\"ref\":\"m%d-%llu\"}",
                         n, text, c->index, (unsigned long long)c->seq);
        queue_frame(c, 1, frame, (size_t)f);
        c->ack_sent_ns[c->seq % ACK_RING] = stamp;
    } else {
        queue_frame(c, 1, text, (size_t)n);
    }
    c->in_flight++;
    c->frames_sent++;
    sent_total++;
    if (measuring) sent_measured++;
}

/* Whether a sender's next frame is a change: PCT of every 100 frames, spread evenly. */
static int next_is_change(const struct conn *c) {
    if (!opt.changes || !c->own_last_id) return 0; /* nothing of its own to edit yet */
    uint64_t n = c->frames_sent;
    return (n + 1) * (uint64_t)opt.changes / 100 > n * (uint64_t)opt.changes / 100;
}

/* An edit or a reaction: acked by ref, broadcast to the room, in flight until it comes back. */
static void send_change(struct conn *c, enum change_kind kind, uint64_t stamp) {
    char frame[512];
    int n;
    if (kind == EDIT) {
        n = snprintf(frame, sizeof frame,
                     "{\"type\":\"edit\",\"id\":%llu,\"message\":\"edited %llu %d\",\"ref\":\"c%llu\"}",
                     (unsigned long long)c->own_last_id, (unsigned long long)stamp, c->index,
                     (unsigned long long)c->changes_sent);
    } else {
        /* On the room's newest message, then off the same one: every reaction changes something. */
        if (!c->react_on) c->react_target = c->room_last_message;
        c->react_on = !c->react_on;
        n = snprintf(frame, sizeof frame,
                     "{\"type\":\"react\",\"id\":%llu,\"emoji\":" REACTION ",\"on\":%s,\"ref\":\"c%llu\"}",
                     (unsigned long long)c->react_target, c->react_on ? "true" : "false",
                     (unsigned long long)c->changes_sent);
    }
    c->change_sent_ns[c->changes_sent++ % CHANGE_RING] = stamp;
    queue_frame(c, 1, frame, (size_t)n);
    c->in_flight++;
}

/* A read mark is not acked and not broadcast (only the sender's account hears of it): not in flight. */
static void send_read_mark(struct conn *c) {
    char frame[128];
    int n = snprintf(frame, sizeof frame, "{\"type\":\"read\",\"id\":%llu}", (unsigned long long)c->room_last_id);
    queue_frame(c, 1, frame, (size_t)n);
    if (measuring) reads_sent++;
}

/* The sender's next frame: a message, or (--changes) one of the changes in turn. */
static void send_next(struct conn *c, uint64_t stamp) {
    if (!next_is_change(c)) {
        send_message(c, stamp);
        return;
    }
    uint64_t turn = c->frames_sent++ * (uint64_t)opt.changes / 100;
    sent_total++; /* a frame of the schedule (--rate) */
    enum change_kind kind = kinds[turn % (uint64_t)kind_count];
    if (measuring) changes_sent_measured[kind]++;
    if (kind == READ_MARK)
        send_read_mark(c);
    else
        send_change(c, kind, stamp);
}

/* --- input ------------------------------------------------------------- */

static void record_latency(uint64_t ns) {
    uint64_t b = ns / BUCKET_NS;
    hist[b < BUCKETS ? b : BUCKETS - 1]++;
    if (ns > lat_max) lat_max = ns;
    lat_count++;
}

static void record_ack_latency(uint64_t ns) {
    uint64_t b = ns / BUCKET_NS;
    ack_hist[b < BUCKETS ? b : BUCKETS - 1]++;
    if (ns > ack_lat_max) ack_lat_max = ns;
    ack_lat_count++;
}

/* --refs: an ack of one of this member's messages ("ref":"m<index>-<n>"): its latency from the send. */
static void on_ack(struct conn *c, const char *p, size_t len, uint64_t now) {
    if (!measuring) return;
    acks++;
    const char *at = memmem(p, len, "\"ref\":\"m", 8);
    if (!at || !c->ack_sent_ns) return;
    char *end;
    long index = strtol(at + 8, &end, 10);
    if (index != c->index || *end != '-') return;
    uint64_t number = strtoull(end + 1, NULL, 10);
    uint64_t sent = c->ack_sent_ns[number % ACK_RING];
    record_ack_latency(now > sent ? now - sent : 0);
}

static void record_change_latency(uint64_t ns) {
    uint64_t b = ns / BUCKET_NS;
    change_hist[b < BUCKETS ? b : BUCKETS - 1]++;
    if (ns > change_lat_max) change_lat_max = ns;
    change_lat_count++;
}

/* The number after "key": in a frame, or 0. */
static uint64_t field_number(const char *p, size_t len, const char *key) {
    const char *at = memmem(p, len, key, strlen(key));
    return at ? strtoull(at + strlen(key), NULL, 10) : 0;
}

/* The member index of the account named in "nick":"mI", or -1. */
static int nick_index(const char *p, size_t len) {
    const char *at = memmem(p, len, "\"nick\":\"m", 9);
    if (!at) return -1;
    int index = (int)strtol(at + 9, NULL, 10);
    return index >= 0 && index < opt.senders ? index : -1;
}

/* An edit or reaction frame: its latency from the send time of the sender's matching change. */
static void on_change(struct conn *c, const char *p, size_t len, uint64_t now) {
    uint64_t id = field_number(p, len, "\"id\":");
    if (id > c->room_last_id) c->room_last_id = id;
    int sender = nick_index(p, len);
    if (sender < 0) return;
    uint64_t number = c->changes_seen[sender]++;
    if (sender == c->index) c->in_flight--;
    if (measuring) {
        uint64_t sent = conns[sender].change_sent_ns[number % CHANGE_RING];
        change_deliveries++;
        record_change_latency(now > sent ? now - sent : 0);
    }
}

/* --changes: frames a plain run does not see, and the ids a sender needs. Returns 1 when handled. */
static int on_changes_frame(struct conn *c, const char *p, size_t len, uint64_t now) {
    static const char user[] = "{\"type\":\"user\",", edit[] = "{\"type\":\"edit\",",
                      reaction[] = "{\"type\":\"reaction\",", ack[] = "{\"type\":\"ack\",",
                      unread[] = "{\"type\":\"unread\",";
#define STARTS(prefix) (len >= sizeof prefix - 1 && memcmp(p, prefix, sizeof prefix - 1) == 0)
    if (STARTS(user)) {
        uint64_t id = field_number(p, len, "\"id\":");
        if (id > c->room_last_id) c->room_last_id = id;
        if (id > c->room_last_message) c->room_last_message = id;
        if (nick_index(p, len) == c->index && id > c->own_last_id) c->own_last_id = id;
        return 0; /* a message: measured as in a plain run */
    }
    if (STARTS(edit) || STARTS(reaction)) {
        on_change(c, p, len, now);
        return 1;
    }
    if (STARTS(ack)) {
        if (measuring) {
            acks++;
            unchanged_acks += memmem(p, len, "\"unchanged\":true", 16) != NULL;
        }
        return 1;
    }
    if (STARTS(unread)) {
        if (measuring) unread_frames++;
        return 1;
    }
#undef STARTS
    return 0;
}

static void on_text(struct conn *c, const char *p, size_t len, uint64_t now) {
    frames_in++;
    last_frame_ns = now;
    if (!c->welcomed) {
        c->welcomed = 1;
        welcomed++;
    }
    if (opt.tokens && on_changes_frame(c, p, len, now)) return;
    if (opt.refs && !opt.tokens && len >= sizeof ACK - 1 && memcmp(p, ACK, sizeof ACK - 1) == 0) {
        on_ack(c, p, len, now);
        return;
    }
    const char *m = memmem(p, len, MARKER, sizeof MARKER - 1);
    if (m) {
        char *end;
        uint64_t stamp = strtoull(m + sizeof MARKER - 1, &end, 10);
        int sender = (int)strtol(end, NULL, 10);
        if (sender >= 0 && sender < opt.members && sender == c->index) {
            c->in_flight--;
            if (measuring) messages_stored++;
        }
        if (measuring) {
            deliveries++;
            record_latency(now > stamp ? now - stamp : 0);
        }
        return;
    }
    if (memmem(p, len, "\"type\":\"error\"", 14) || memmem(p, len, "\"type\": \"error\"", 15)) {
        if (!error_frames) snprintf(first_error, sizeof first_error, "%.*s", (int)(len < 400 ? len : 400), p);
        error_frames++;
    }
}

/* Parse complete server frames out of c->rbuf; returns bytes consumed. */
static size_t parse_frames(struct conn *c, uint64_t now) {
    size_t off = 0;
    const unsigned char *b = (const unsigned char *)c->rbuf;
    while (c->rlen - off >= 2) {
        int op = b[off] & 0x0f;
        uint64_t len = b[off + 1] & 0x7f;
        size_t h = 2;
        if (len == 126) {
            if (c->rlen - off < 4) break;
            len = ((uint64_t)b[off + 2] << 8) | b[off + 3];
            h = 4;
        } else if (len == 127) {
            if (c->rlen - off < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++) len = (len << 8) | b[off + 2 + i];
            h = 10;
        }
        if (c->rlen - off < h + len) break;
        const char *payload = c->rbuf + off + h;
        if (op == 1) {
            on_text(c, payload, len, now);
        } else if (op == 8) {
            int code = len >= 2 ? ((unsigned char)payload[0] << 8) | (unsigned char)payload[1] : 1005;
            if (code >= 0 && code < 5000) close_codes[code]++;
            off += h + len;
            close_conn(c);
            return off;
        } else if (op == 9) {
            pings_in++;
            queue_frame(c, 10, payload, len);
            flush_out(c);
        }
        off += h + len;
    }
    return off;
}

static void read_frames(struct conn *c) {
    for (;;) {
        c->rbuf = grow(c->rbuf, &c->rcap, c->rlen + READ_CHUNK);
        ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            close_conn(c);
            return;
        }
        if (n < 0) return;
        c->rlen += (size_t)n;
        size_t used = parse_frames(c, now_ns());
        if (c->state == CLOSED) return;
        memmove(c->rbuf, c->rbuf + used, c->rlen - used);
        c->rlen -= used;
        if ((size_t)n < READ_CHUNK) return;
    }
}

/* --- connecting ------------------------------------------------------------ */

static void start_connect(struct conn *c) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
    inet_pton(AF_INET, opt.host, &addr.sin_addr);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) die("socket (raise ulimit -n)");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* A small receive buffer (set before connect, so the window is small
       from the start) stands for a phone on a bad link: the kernel stops
       soaking up what the server sends, and the server's own backlog grows. */
    if (c->slow && opt.slow_rcvbuf > 0)
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &opt.slow_rcvbuf, sizeof opt.slow_rcvbuf);
    if (opt.sources > 1) {
        /* One source address has some 28,000 ephemeral ports: more members need more addresses. */
        struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = 0};
        from.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(c->index % opt.sources));
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(c->fd, (struct sockaddr *)&from, sizeof from) < 0) die("bind");
    }
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) die("connect");
    c->state = CONNECTING;
    handshakes++;
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void send_upgrade(struct conn *c) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        failed_connects++;
        close_conn(c);
        return;
    }
    const char *room = opt.room;
    char room_buf[128];
    if (opt.rooms > 1) {
        snprintf(room_buf, sizeof room_buf, "%s%d", opt.room, c->index % opt.rooms);
        room = room_buf;
    }
    char who[1200];
    if (tokens)
        snprintf(who, sizeof who, "token=%s", tokens[c->index]);
    else
        snprintf(who, sizeof who, "nick=m%d", c->index);
    char req[1600];
    int n = snprintf(req, sizeof req,
                     "GET /ws?room=%s&%s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     room, who, opt.host, opt.port);
    c->state = UPGRADING;
    queue_out(c, req, (size_t)n);
    flush_out(c);
}

static void read_upgrade(struct conn *c) {
    c->rbuf = grow(c->rbuf, &c->rcap, c->rlen + 4096);
    ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        failed_connects++;
        close_conn(c);
        return;
    }
    c->rlen += (size_t)n;
    char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    if (!end) return;
    if (c->rlen < 12 || memcmp(c->rbuf + 9, "101", 3) != 0) {
        fprintf(stderr, "upgrade refused: %.*s\n", (int)(end - c->rbuf), c->rbuf);
        failed_connects++;
        close_conn(c);
        return;
    }
    size_t head = (size_t)(end + 4 - c->rbuf);
    memmove(c->rbuf, c->rbuf + head, c->rlen - head);
    c->rlen -= head;
    c->state = OPEN;
    handshakes--;
    opened++;
    size_t used = parse_frames(c, now_ns());
    if (c->state == CLOSED) return;
    memmove(c->rbuf, c->rbuf + used, c->rlen - used);
    c->rlen -= used;
    if (c->slow && !c->welcomed) {
        c->welcomed = 1;
        welcomed++;
    }
    arm(c);
}

static void on_event(struct conn *c, uint32_t events) {
    if (c->state == CONNECTING) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) send_upgrade(c);
        return;
    }
    if (events & EPOLLOUT) flush_out(c);
    if (c->state == CLOSED) return;
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (c->state == UPGRADING)
            read_upgrade(c);
        else if (c->state == OPEN)
            read_frames(c);
    }
}

/* --- the run ------------------------------------------------------------- */

static int next_to_connect;

static void poll_once(uint64_t timeout_ns) {
    struct epoll_event events[1024];
    struct timespec timeout = {(time_t)(timeout_ns / 1000000000ULL), (long)(timeout_ns % 1000000000ULL)};
    int n = epoll_pwait2(epfd, events, 1024, &timeout, NULL);
    for (int i = 0; i < n; i++) on_event(events[i].data.ptr, events[i].events);
    while (next_to_connect < opt.members && handshakes < MAX_HANDSHAKES) start_connect(&conns[next_to_connect++]);
}

static void top_up_senders(void) {
    for (int i = 0; i < opt.senders; i++) {
        struct conn *c = &conns[i];
        if (c->state != OPEN) continue;
        int queued = 0;
        while (c->in_flight < opt.window) {
            send_next(c, now_ns());
            queued = 1;
        }
        if (queued) flush_out(c);
    }
}

static void send_at_rate(uint64_t start, uint64_t now, int *next_sender) {
    /* Message k is due at start + k * interval: k = 0 goes out at once. */
    uint64_t due = (uint64_t)((double)(now - start) * opt.rate / 1e9) + 1;
    uint64_t interval = (uint64_t)(1e9 / opt.rate);
    while (sent_total < due) {
        struct conn *c = &conns[*next_sender];
        *next_sender = (*next_sender + 1) % opt.senders;
        if (c->state != OPEN) {
            sent_total++;
            continue;
        }
        /* The scheduled time, not the actual one: a client that falls behind
           shows up as latency instead of hiding it. */
        send_next(c, start + sent_total * interval);
        flush_out(c);
    }
}

/* How long the client may wait for frames before its next message is due:
   sleeping past that time would count as the server's latency. */
static uint64_t until_next_due(uint64_t start, uint64_t now) {
    uint64_t due = start + sent_total * (uint64_t)(1e9 / opt.rate);
    if (due <= now) return 0;
    return due - now < MS ? due - now : MS;
}

struct proc_sample {
    double cpu_s;
    long rss_kib, hwm_kib;
};

static struct proc_sample sample_server(void) {
    struct proc_sample s = {0};
    if (!opt.server_pid) return s;
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", opt.server_pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fgets(buf, sizeof buf, f)) {
            char *p = strrchr(buf, ')');
            unsigned long ut = 0, st = 0;
            if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
                s.cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d/status", opt.server_pid);
    f = fopen(path, "r");
    if (f) {
        while (fgets(buf, sizeof buf, f)) {
            sscanf(buf, "VmRSS: %ld", &s.rss_kib);
            sscanf(buf, "VmHWM: %ld", &s.hwm_kib);
        }
        fclose(f);
    }
    return s;
}

/* With --marks, tell whoever reads stderr when the measured interval starts and ends,
 * so that it can sample processes the load generator does not know (workers, databases). */
static void mark(const char *what) {
    if (opt.marks) fprintf(stderr, "%s\n", what);
}

static double client_cpu(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static double percentile_of(const uint64_t *histogram, uint64_t count, uint64_t max, double q) {
    if (!count) return 0;
    uint64_t want = (uint64_t)(q * (double)count), seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
        seen += histogram[b];
        if (seen > want) return (double)(b + 1) * BUCKET_NS / 1e6;
    }
    return (double)max / 1e6;
}

static double percentile(double q) { return percentile_of(hist, lat_count, lat_max, q); }

static double change_percentile(double q) { return percentile_of(change_hist, change_lat_count, change_lat_max, q); }

static double ack_percentile(double q) { return percentile_of(ack_hist, ack_lat_count, ack_lat_max, q); }

/* --change-kinds edit,react,read: the changes to take in turn (all three by default). */
static void parse_kinds(const char *list) {
    static const char *names[KINDS] = {"edit", "react", "read"};
    char copy[64];
    snprintf(copy, sizeof copy, "%s", list);
    kind_count = 0;
    for (char *name = strtok(copy, ","); name && kind_count < KINDS; name = strtok(NULL, ",")) {
        int k = 0;
        while (k < KINDS && strcmp(name, names[k]) != 0) k++;
        if (k == KINDS) usage();
        kinds[kind_count++] = (enum change_kind)k;
    }
    if (!kind_count) usage();
}

/* --tokens: one line per member, the JWT it signs in with. */
static void read_tokens(void) {
    FILE *f = fopen(opt.tokens, "r");
    if (!f) die(opt.tokens);
    tokens = calloc((size_t)opt.members, sizeof *tokens);
    char line[1100];
    for (int i = 0; i < opt.members; i++) {
        if (!fgets(line, sizeof line, f)) {
            fprintf(stderr, "%s: fewer tokens than members\n", opt.tokens);
            exit(2);
        }
        line[strcspn(line, "\r\n")] = 0;
        tokens[i] = strdup(line);
    }
    fclose(f);
}

/* --changes: the figures a plain run does not have. */
static void print_changes(double measured_s) {
    double per_s = measured_s > 0 ? 1 / measured_s : 0;
    printf(", \"changes\": %d, \"messages_stored_per_s\": %.1f, \"changes_stored_per_s\": %.1f, "
           "\"unchanged_acks\": %llu, \"edits_sent\": %llu, \"reactions_sent\": %llu, \"reads_sent\": %llu, "
           "\"reads_per_s\": %.1f, \"unread_frames\": %llu, \"change_deliveries\": %llu, "
           "\"change_deliveries_per_s\": %.0f, \"change_p50_ms\": %.3f, \"change_p99_ms\": %.3f, "
           "\"change_max_ms\": %.3f",
           opt.changes, (double)messages_stored * per_s, (double)(acks - unchanged_acks) * per_s,
           (unsigned long long)unchanged_acks, (unsigned long long)changes_sent_measured[EDIT],
           (unsigned long long)changes_sent_measured[REACT], (unsigned long long)reads_sent,
           (double)reads_sent * per_s, (unsigned long long)unread_frames, (unsigned long long)change_deliveries,
           (double)change_deliveries * per_s, change_percentile(0.50), change_percentile(0.99),
           (double)change_lat_max / 1e6);
}

static void usage(void) {
    fprintf(stderr,
            "usage: loadgen --port P [--members N] [--senders S] [--window W | --rate MSGS_PER_S]\n"
            "               [--size BYTES] [--duration S] [--warmup S] [--slow K] [--server-pid PID]\n"
            "               [--room NAME] [--rooms K] [--idle [--hold S]] [--sources K] [--slow-rcvbuf BYTES]\n"
            "               [--marks] [--refs] [--words]\n"
            "               [--tokens FILE [--changes PCT [--change-kinds edit,react,read]]]\n");
    exit(2);
}

static void parse_args(int argc, char **argv) {
    static struct option longs[] = {
        {"host", 1, 0, 'h'},    {"port", 1, 0, 'p'},     {"members", 1, 0, 'n'}, {"senders", 1, 0, 's'},
        {"window", 1, 0, 'w'},  {"rate", 1, 0, 'r'},     {"size", 1, 0, 'b'},    {"duration", 1, 0, 'd'},
        {"warmup", 1, 0, 'u'},  {"slow", 1, 0, 'k'},     {"server-pid", 1, 0, 'P'}, {"room", 1, 0, 'R'},
        {"rooms", 1, 0, 'K'},   {"idle", 0, 0, 'I'},     {"settle-max", 1, 0, 'M'}, {"slow-rcvbuf", 1, 0, 'B'},
        {"marks", 0, 0, 'm'},   {"tokens", 1, 0, 'T'},  {"changes", 1, 0, 'C'},
        {"change-kinds", 1, 0, 'D'}, {"sources", 1, 0, 'S'}, {"hold", 1, 0, 'H'}, {"refs", 0, 0, 'F'},
        {"words", 0, 0, 'W'},   {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'h': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 'n': opt.members = atoi(optarg); break;
        case 's': opt.senders = atoi(optarg); break;
        case 'w': opt.window = atoi(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 'b': opt.size = atoi(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 'u': opt.warmup = atof(optarg); break;
        case 'k': opt.slow = atoi(optarg); break;
        case 'P': opt.server_pid = atoi(optarg); break;
        case 'R': opt.room = optarg; break;
        case 'K': opt.rooms = atoi(optarg); break;
        case 'I': opt.idle = 1; break;
        case 'M': opt.settle_max = atof(optarg); break;
        case 'B': opt.slow_rcvbuf = atoi(optarg); break;
        case 'm': opt.marks = 1; break;
        case 'F': opt.refs = 1; break;
        case 'W': opt.words = 1; break;
        case 'T': opt.tokens = optarg; break;
        case 'C': opt.changes = atoi(optarg); break;
        case 'D': parse_kinds(optarg); break;
        case 'S': opt.sources = atoi(optarg); break;
        case 'H': opt.hold = atof(optarg); break;
        default: usage();
        }
    }
    if (opt.sources < 1 || opt.sources > 254 || opt.hold < 0) usage();
    if (opt.members < 1 || opt.senders < 0 || opt.senders + opt.slow > opt.members) usage();
    /* Guests may not change messages; 100 % changes would leave nothing to edit. */
    if (opt.changes < 0 || opt.changes >= 100 || (opt.changes && !opt.tokens)) usage();
}

int main(int argc, char **argv) {
    parse_args(argc, argv);
    /* Wake up when asked to, not up to 50 us later: sends keep their schedule. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    conns = calloc((size_t)opt.members, sizeof *conns);
    for (int i = 0; i < opt.members; i++) {
        conns[i].index = i;
        conns[i].slow = i >= opt.members - opt.slow;
        /* Senders start at different places of the mix, so that every kind of change is in every interval. */
        conns[i].frames_sent = (uint64_t)i;
        if (opt.tokens) {
            conns[i].changes_seen = calloc((size_t)opt.senders, sizeof *conns[i].changes_seen);
            if (i < opt.senders) conns[i].change_sent_ns = calloc(CHANGE_RING, sizeof *conns[i].change_sent_ns);
        }
        if (opt.refs && i < opt.senders) conns[i].ack_sent_ns = calloc(ACK_RING, sizeof *conns[i].ack_sent_ns);
    }
    if (opt.tokens) read_tokens();
    epfd = epoll_create1(0);
    struct proc_sample before_join = sample_server();
    uint64_t t0 = now_ns();
    double limit = opt.settle_max * 1e9;

    /* join everyone, then wait for the join announcements to die down */
    while (welcomed < opt.members - failed_connects && (double)(now_ns() - t0) < limit) poll_once(10 * MS);
    double join_s = (double)(now_ns() - t0) / 1e9;
    while ((double)(now_ns() - t0) < limit && now_ns() - last_frame_ns < 500000000ULL) poll_once(10 * MS);
    double settle_s = (double)(now_ns() - t0) / 1e9 - join_s;
    struct proc_sample joined = sample_server();

    struct proc_sample s0 = joined, s1 = joined;
    double c0 = client_cpu(), c1 = c0, measured_s = 0;
    uint64_t pings_before = pings_in;
    if (opt.idle && opt.hold > 0) {
        /* Idle members: nothing sent, pings answered; what the server spends meanwhile. */
        uint64_t start = now_ns(), end = start + (uint64_t)(opt.hold * 1e9);
        mark("measuring");
        s0 = sample_server();
        c0 = client_cpu();
        while (now_ns() < end) poll_once(10 * MS);
        measured_s = (double)(now_ns() - start) / 1e9;
        mark("measured");
        s1 = sample_server();
        c1 = client_cpu();
    }
    if (!opt.idle) {
        uint64_t start = now_ns(), warm_end = start + (uint64_t)(opt.warmup * 1e9);
        uint64_t end = warm_end + (uint64_t)(opt.duration * 1e9);
        int next_sender = 0;
        uint64_t now = start;
        while (now < end) {
            if (!measuring && now >= warm_end) {
                measuring = 1;
                mark("measuring");
                s0 = sample_server();
                c0 = client_cpu();
            }
            if (opt.rate > 0)
                send_at_rate(start, now, &next_sender);
            else
                top_up_senders();
            poll_once(opt.rate > 0 ? until_next_due(start, now) : 5 * MS);
            now = now_ns();
        }
        measured_s = (double)(now - warm_end) / 1e9;
        mark("measured");
        s1 = sample_server();
        c1 = client_cpu();
    }

    int still_open = 0;
    for (int i = 0; i < opt.members; i++) still_open += conns[i].state == OPEN;
    printf("{\"members\": %d, \"senders\": %d, \"window\": %d, \"rate\": %.1f, \"size\": %d, \"slow\": %d, "
           "\"rooms\": %d, \"join_s\": %.2f, \"settle_s\": %.2f, \"measured_s\": %.3f, "
           "\"deliveries\": %llu, \"deliveries_per_s\": %.0f, \"messages_sent\": %llu, "
           "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, "
           "\"server_cpu\": %.3f, \"client_cpu\": %.3f, "
           "\"server_rss_kib_before_join\": %ld, \"server_rss_kib_joined\": %ld, \"server_rss_kib\": %ld, "
           "\"server_hwm_kib\": %ld, \"error_frames\": %llu, \"failed_connects\": %d, \"still_open\": %d, "
           "\"closed_1013\": %llu, \"closed_other\": %llu, \"pings_answered\": %llu",
           opt.members, opt.senders, opt.window, opt.rate, opt.size, opt.slow, opt.rooms, join_s, settle_s,
           measured_s, (unsigned long long)deliveries, measured_s > 0 ? (double)deliveries / measured_s : 0,
           (unsigned long long)sent_measured, percentile(0.50), percentile(0.99), (double)lat_max / 1e6,
           measured_s > 0 ? (s1.cpu_s - s0.cpu_s) / measured_s : 0, measured_s > 0 ? (c1 - c0) / measured_s : 0,
           before_join.rss_kib, joined.rss_kib, s1.rss_kib, s1.hwm_kib, (unsigned long long)error_frames,
           failed_connects, still_open, (unsigned long long)close_codes[1013],
           (unsigned long long)(closed_count - close_codes[1013]), (unsigned long long)(pings_in - pings_before));
    if (opt.tokens) print_changes(measured_s);
    if (opt.refs)
        printf(", \"refs\": 1, \"acks_per_s\": %.1f, \"ack_p50_ms\": %.3f, \"ack_p99_ms\": %.3f, \"ack_max_ms\": %.3f",
               measured_s > 0 ? (double)acks / measured_s : 0.0, ack_percentile(0.50), ack_percentile(0.99),
               (double)ack_lat_max / 1e6);
    if (first_error[0]) {
        printf(", \"first_error\": \"");
        for (const char *p = first_error; *p; p++) printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
        printf("\"");
    }
    printf("}\n");
    return 0;
}
