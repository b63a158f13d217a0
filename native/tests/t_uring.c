/* t_uring.c — (static) sets up an io_uring: a blind spot that must be flagged. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    unsigned char params[120]; /* struct io_uring_params */
    memset(params, 0, sizeof params);
    long fd = syscall(SYS_io_uring_setup, 4, params);
    printf("uring %s\n", fd >= 0 ? "ok" : "unavailable");
    if (fd >= 0)
        close((int)fd);
    return 0;
}
