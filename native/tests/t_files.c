/* t_files.c — one call per file API; the harness checks each record. Run in an empty dir. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    FILE *f = fopen("a.txt", "w");
    fputs("hello\n", f);
    fclose(f);
    DIR *d = opendir(".");
    closedir(d);
    char tmpl[] = "tmpXXXXXX";
    int t = mkstemp(tmpl);
    if (write(t, "xy", 2) != 2)
        return 1;
    close(t);
    int fd = open("a.txt", O_RDONLY);
    close(fd);
    mkdir("sub", 0755);
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    int w = openat(dfd, "b.txt", O_WRONLY | O_CREAT | O_TRUNC, 0640);
    if (write(w, "abc", 3) != 3)
        return 1;
    int w2 = dup(w);
    close(w);
    close(w2);
    close(dfd);
    rename("a.txt", "c.txt");
    unlink(tmpl);
    struct stat st;
    stat("c.txt", &st);
    if (open("does-not-exist", O_RDONLY) != -1)
        return 1;
    printf("mkstemp=%s size=%lld\n", tmpl, (long long)st.st_size);
    return 0;
}
