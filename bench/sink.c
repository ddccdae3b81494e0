/*
 * sink: accepts TCP connections on 127.0.0.1:PORT and reads and discards
 * everything sent to them (one thread, epoll). The reading end for
 * send_floor.py, which measures what the kernel charges for each send.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: sink PORT\n");
        return 2;
    }
    int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 4096)) {
        perror("sink: bind/listen");
        return 1;
    }
    int epfd = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev);
    static char buf[1 << 16];
    struct epoll_event events[1024];
    for (;;) {
        int n = epoll_wait(epfd, events, 1024, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) {
                ev.data.fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
                if (ev.data.fd >= 0) epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
                continue;
            }
            ssize_t got;
            while ((got = read(fd, buf, sizeof buf)) > 0) {
            }
            if (got == 0) close(fd);
        }
    }
}
