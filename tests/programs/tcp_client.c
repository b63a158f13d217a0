/* tcp_client PORT OUT: connect to 127.0.0.1:PORT, send, read the reply into OUT.
 * Also resolves "localhost" (getaddrinfo reads NSS files inside glibc). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) return 2;
    struct addrinfo hints = {0}, *res;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo("localhost", argv[1], &hints, &res) != 0) return 3;
    freeaddrinfo(res);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)atoi(argv[1]));
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0) return 4;
    if (write(s, "hello\n", 6) != 6) return 5;
    char buf[64];
    ssize_t n = read(s, buf, sizeof buf);
    close(s);
    if (n <= 0) return 6;
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(out, buf, (size_t)n);
    close(out);
    return 0;
}
