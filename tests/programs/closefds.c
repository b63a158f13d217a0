/* closefds: close every fd (stdio included), then open, write, fork and exec. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    char buf[256];
    for (int fd = 0; fd < 4096; fd++) close(fd);
    closefrom(0);
    int in = open("input.txt", O_RDONLY);          /* becomes fd 0 */
    int out = open("output.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644); /* fd 1 */
    if (in != 0 || out != 1) return 10;
    ssize_t n = read(in, buf, sizeof buf);
    if (n <= 0 || write(out, buf, (size_t)n) != n) return 11;
    if (mkdir("made", 0755) < 0) return 12;
    pid_t pid = fork();
    if (pid == 0) {
        int o = open("made/cat_out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(o, 1);
        close(o);
        execl("/bin/cat", "cat", "input.txt", (char *)NULL);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) return 13;
    return 0;
}
