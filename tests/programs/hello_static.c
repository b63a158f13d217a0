/* hello_static: a statically linked program (provtrace cannot preload it). */
#include <fcntl.h>
#include <unistd.h>

int main(void) {
    int fd = open("static_out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;
    write(fd, "static\n", 7);
    close(fd);
    return 0;
}
