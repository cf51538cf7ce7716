/* addrshim.c - LD_PRELOAD shim for apps-svc sites: puts programs that cannot be told which address
 * to use on the lab's addresses.
 *   TSSVC_SRC=A.B.C.D     outgoing IPv4 TCP connections leave from A.B.C.D (clients such as
 *                         openssl ocsp or apt's http method have no source-address option)
 *   TSSVC_LISTEN=A.B.C.D  a socket bound to the IPv4 wildcard is bound to A.B.C.D instead, one
 *                         bound to the IPv6 wildcard to ::ffff:A.B.C.D (IPv4 on the wire); for
 *                         servers such as `openssl ocsp -port` that bind every address
 * Built by the site's site_start with gcc into its work directory; never installed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    static bind_fn real_bind;
    if (!real_bind) real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
    const char *want = getenv("TSSVC_LISTEN");
    if (want && addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in a;
        memcpy(&a, addr, sizeof a);
        if (a.sin_addr.s_addr == htonl(INADDR_ANY) && inet_pton(AF_INET, want, &a.sin_addr) == 1)
            return real_bind(fd, (const struct sockaddr *)&a, sizeof a);
    }
    if (want && addr && addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 a;
        struct in_addr v4;
        memcpy(&a, addr, sizeof a);
        if (IN6_IS_ADDR_UNSPECIFIED(&a.sin6_addr) && inet_pton(AF_INET, want, &v4) == 1) {
            int off = 0;
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
            memset(&a.sin6_addr, 0, sizeof a.sin6_addr);
            a.sin6_addr.s6_addr[10] = 0xff;
            a.sin6_addr.s6_addr[11] = 0xff;
            memcpy(&a.sin6_addr.s6_addr[12], &v4, 4);
            return real_bind(fd, (const struct sockaddr *)&a, sizeof a);
        }
    }
    return real_bind(fd, addr, len);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    static connect_fn real_connect;
    if (!real_connect) real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
    const char *want = getenv("TSSVC_SRC");
    if (want && addr && addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in local;
        socklen_t local_len = sizeof local;
        int type = 0;
        socklen_t type_len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 && type == SOCK_STREAM &&
            getsockname(fd, (struct sockaddr *)&local, &local_len) == 0 && local.sin_family == AF_INET &&
            local.sin_port == 0 && local.sin_addr.s_addr == htonl(INADDR_ANY)) {
            memset(&local, 0, sizeof local);
            local.sin_family = AF_INET;
            if (inet_pton(AF_INET, want, &local.sin_addr) == 1)
                (void)bind(fd, (struct sockaddr *)&local, sizeof local);
        }
    }
    return real_connect(fd, addr, len);
}
