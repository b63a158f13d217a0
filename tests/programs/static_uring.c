/* static_uring.c — linked with -static by tests/test_static.py: sets up an io_uring. */
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
    printf("uring %s\n", fd >= 0 ? "set up" : "unavailable");
    if (fd >= 0)
        close((int)fd);
    return 0;
}
