#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H

#include <libpq-fe.h>
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>

/* Swift does not import character macros such as PG_DIAG_SQLSTATE ('C'): re-export them. */
static const int CLIBPQ_DIAG_SEVERITY = PG_DIAG_SEVERITY_NONLOCALIZED;
static const int CLIBPQ_DIAG_SQLSTATE = PG_DIAG_SQLSTATE;
static const int CLIBPQ_DIAG_MESSAGE_PRIMARY = PG_DIAG_MESSAGE_PRIMARY;
static const int CLIBPQ_DIAG_MESSAGE_DETAIL = PG_DIAG_MESSAGE_DETAIL;
static const int CLIBPQ_DIAG_MESSAGE_HINT = PG_DIAG_MESSAGE_HINT;
static const int CLIBPQ_DIAG_SCHEMA_NAME = PG_DIAG_SCHEMA_NAME;
static const int CLIBPQ_DIAG_TABLE_NAME = PG_DIAG_TABLE_NAME;
static const int CLIBPQ_DIAG_COLUMN_NAME = PG_DIAG_COLUMN_NAME;
static const int CLIBPQ_DIAG_CONSTRAINT_NAME = PG_DIAG_CONSTRAINT_NAME;

/* True when the socket has bytes (or EOF) to read right now; never blocks. */
static inline int clibpq_socket_readable(int fd) {
    struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
    return poll(&p, 1, 0) > 0;
}

/* The socket reactor's epoll calls (Swift cannot use the packed struct epoll_event itself). */
static inline int clibpq_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

/* Arms fd once (EPOLLONESHOT) for reading, or for reading or writing; adds it if it is new. */
static inline int clibpq_epoll_arm(int epfd, int fd, int or_writable) {
    struct epoll_event event;
    event.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT | (or_writable ? EPOLLOUT : 0);
    event.data.fd = fd;
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event) == 0) return 0;
    if (errno == ENOENT) return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
    return -1;
}

/* Blocks until sockets are ready; writes their descriptors into fds (at most 64); the count, or -1. */
static inline int clibpq_epoll_wait(int epfd, int *fds, int max) {
    struct epoll_event events[64];
    if (max > 64) max = 64;
    int count = epoll_wait(epfd, events, max, -1);
    for (int i = 0; i < count; i++) fds[i] = events[i].data.fd;
    return count;
}

#endif
