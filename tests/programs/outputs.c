/* outputs CODE: interleaved stdout/stderr text, every byte value on stdout,
 * then exit with CODE. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    for (int i = 0; i < 5; i++) {
        printf("out line %d\n", i);
        fflush(stdout);
        fprintf(stderr, "err line %d\n", i);
    }
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
    fflush(stdout);
    if (write(1, bytes, sizeof bytes) != (ssize_t)sizeof bytes) return 99;
    return argc > 1 ? atoi(argv[1]) : 0;
}
