/* t_exec_static.c — exec the static fixture given as argv[1]. */
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    execv(argv[1], argv + 1);
    perror("execv");
    return 1;
}
