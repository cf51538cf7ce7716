/* bindaddr.c - LD_PRELOAD shim: gives every IPv4 TCP connection a chosen source address.
 *
 * Chromium, cadaver and other clients cannot be told which local address to use; inside the lab's
 * namespace every 127.x address is local, so before connect() this binds the socket to
 * $TSAPPS_BIND_ADDR (port 0) unless the program bound it already. Nothing else changes: the
 * kernel picks the port, the packets on the wire come from the browser user's own address.
 * Built by pcaps/apps/run.sh at run time (gcc -shared -fPIC), never installed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    static connect_fn real_connect;
    if (!real_connect) real_connect = (connect_fn)dlsym(RTLD_NEXT, "connect");
    const char *want = getenv("TSAPPS_BIND_ADDR");
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
                (void)bind(fd, (struct sockaddr *)&local, sizeof local); /* on failure connect as usual */
        }
    }
    return real_connect(fd, addr, len);
}
