/* t_spawn_static.c — posix_spawn (and posix_spawnp) argv[1] with the rest of argv, wait, print its pid. */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    pid_t pid;
    int rc = strchr(argv[1], '/') ? posix_spawn(&pid, argv[1], NULL, NULL, argv + 1, environ)
                                  : posix_spawnp(&pid, argv[1], NULL, NULL, argv + 1, environ);
    if (rc != 0)
        return 3;
    int status;
    waitpid(pid, &status, 0);
    printf("spawned=%d status=%d\n", (int)pid, status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
