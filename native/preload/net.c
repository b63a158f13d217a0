/*
 * net.c — network endpoints: connect/bind/accept as text addresses (inet,
 * inet6 "ip" + port, unix path, "@name" for abstract sockets) and the
 * names a program resolved with getaddrinfo.
 */
#include "pt.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Text form of an address into buf; returns family, *port set for inet. */
static int addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap, int *port)
{
    *port = 0;
    buf[0] = 0;
    if (!sa || len < sizeof(sa_family_t))
        return -1;
    switch (sa->sa_family) {
    case AF_INET: {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        if (len >= sizeof *in) {
            inet_ntop(AF_INET, &in->sin_addr, buf, (socklen_t)cap);
            *port = ntohs(in->sin_port);
        }
        break;
    }
    case AF_INET6: {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (len >= sizeof *in6) {
            inet_ntop(AF_INET6, &in6->sin6_addr, buf, (socklen_t)cap);
            *port = ntohs(in6->sin6_port);
        }
        break;
    }
    case AF_UNIX: {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t n = len > offsetof(struct sockaddr_un, sun_path)
                       ? len - offsetof(struct sockaddr_un, sun_path)
                       : 0;
        if (n > sizeof un->sun_path)
            n = sizeof un->sun_path;
        if (n >= cap)
            n = cap - 1;
        memcpy(buf, un->sun_path, n);
        buf[n] = 0;
        if (n && un->sun_path[0] == 0) { /* abstract: NULs are data */
            buf[0] = '@';
            for (size_t i = 1; i < n; i++)
                if (!buf[i])
                    buf[i] = '@';
        }
        break;
    }
    }
    return sa->sa_family;
}

static void log_addr(int op, int fd, long ret, int err, const struct sockaddr *sa, socklen_t len)
{
    char text[INET6_ADDRSTRLEN + sizeof(((struct sockaddr_un *)0)->sun_path)];
    int port;
    int fam = addr_text(sa, len, text, sizeof text, &port);
    pt_log((uint16_t)op, fd, ret, ret < 0 ? err : 0, fam, port, 0, NULL, text, NULL);
}

/* connect and bind: call the real function, log the address it was given. */
static int addr_call(void **slot, const char *name, int op, int fd, __CONST_SOCKADDR_ARG addr,
                     socklen_t len)
{
    int (*real)(int, __CONST_SOCKADDR_ARG, socklen_t) =
        (int (*)(int, __CONST_SOCKADDR_ARG, socklen_t))pt_real(slot, name);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    int r = real(fd, addr, len);
    int e = errno;
    if (pt_on())
        log_addr(op, fd, r, e, addr.__sockaddr__, len);
    errno = e;
    return r;
}

PT_EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
    static void *slot;
    return addr_call(&slot, "connect", PT_OP_CONNECT, fd, addr, len);
}

PT_EXPORT int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
    static void *slot;
    return addr_call(&slot, "bind", PT_OP_BIND, fd, addr, len);
}

/* accept with a NULL address: pass our own buffer (the kernel fills it; the
 * caller sees no difference) so the peer is known without getpeername. */
static int do_accept(void **slot, const char *name, int fd, __SOCKADDR_ARG addr,
                     socklen_t *len, int flags, int four)
{
    void *p = pt_real(slot, name);
    if (!p) {
        errno = ENOSYS;
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    struct sockaddr *sa = addr.__sockaddr__;
    socklen_t *lp = len;
    if (!sa || !len) {
        sa = (struct sockaddr *)&ss;
        lp = &sl;
    }
    int r = four ? ((int (*)(int, struct sockaddr *, socklen_t *, int))p)(fd, sa, lp, flags)
                 : ((int (*)(int, struct sockaddr *, socklen_t *))p)(fd, sa, lp);
    int e = errno;
    if (r >= 0 && pt_on()) {
        pt_wbit_set(r, 0);
        log_addr(PT_OP_ACCEPT, fd, r, 0, sa, *lp < sizeof ss ? *lp : sizeof ss);
    }
    errno = e;
    return r;
}

PT_EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
    static void *slot;
    return do_accept(&slot, "accept", fd, addr, len, 0, 0);
}

PT_EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *len, int flags)
{
    static void *slot;
    return do_accept(&slot, "accept4", fd, addr, len, flags, 1);
}

PT_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    static void *slot;
    int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **) =
        (int (*)(const char *, const char *, const struct addrinfo *,
                 struct addrinfo **))pt_real(&slot, "getaddrinfo");
    if (!real)
        return EAI_SYSTEM;
    int r = real(node, service, hints, res);
    int e = errno;
    if (pt_on()) {
        enum { MAXA = 16 };
        char text[MAXA][INET6_ADDRSTRLEN];
        char *v[MAXA];
        int n = 0;
        for (struct addrinfo *ai = r == 0 && res ? *res : NULL; ai && n < MAXA; ai = ai->ai_next) {
            int port;
            if (ai->ai_addr && (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)) {
                addr_text(ai->ai_addr, ai->ai_addrlen, text[n], sizeof text[n], &port);
                int dup = 0; /* one entry per socket type: keep each address once */
                for (int k = 0; k < n && !dup; k++)
                    dup = strcmp(text[k], text[n]) == 0;
                if (!dup) {
                    v[n] = text[n];
                    n++;
                }
            }
        }
        struct pt_ev ev = {PT_OP_GETADDRINFO, -1, r, r == EAI_SYSTEM ? e : 0, 0, 0, 0, NULL};
        struct pt_seg seg[3] = {{node ? node : "", -1, NULL, 0},
                                {service ? service : "", -1, NULL, 0},
                                {NULL, 0, v, n}};
        pt_emit(&ev, seg, 3);
    }
    errno = e;
    return r;
}
