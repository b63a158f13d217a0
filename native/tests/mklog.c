/*
 * mklog.c — create an empty session log the way the launcher does (header,
 * sparse file of `cap` bytes).  Test helper: mklog PATH [CAP_BYTES]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "provtrace_log.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mklog PATH [CAP_BYTES]\n");
        return 2;
    }
    uint64_t cap = argc > 2 ? strtoull(argv[2], NULL, 0) : (256ull << 20);
    struct pt_log_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, PT_LOG_MAGIC, 8);
    h.version = PT_LOG_VERSION;
    h.header_size = PT_HEADER_SIZE;
    h.chunk_size = PT_CHUNK_SIZE;
    h.cap = cap;
    struct timespec m, r;
    clock_gettime(CLOCK_MONOTONIC, &m);
    clock_gettime(CLOCK_REALTIME, &r);
    h.start_mono_ns = (uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec;
    h.start_real_ns = (uint64_t)r.tv_sec * 1000000000u + (uint64_t)r.tv_nsec;
    h.root_pid = (int32_t)getpid();
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h || ftruncate(fd, (off_t)cap)) {
        perror("mklog");
        return 1;
    }
    close(fd);
    return 0;
}
