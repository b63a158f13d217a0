/* threads_files: 4 threads, each in its own directory, create, write, read,
 * stat, rename and unlink files concurrently. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void *work(void *arg) {
    long id = (long)arg;
    char dir[32], path[64], path2[64], buf[64];
    struct stat st;
    snprintf(dir, sizeof dir, "t%ld", id);
    mkdir(dir, 0755);
    for (int k = 0; k < 20; k++) {
        snprintf(path, sizeof path, "%s/f%d.txt", dir, k);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dprintf(fd, "%ld %d\n", id, k);
        close(fd);
        fd = open(path, O_RDONLY);
        read(fd, buf, sizeof buf);
        close(fd);
        stat(path, &st);
        if (k % 5 == 0) {
            snprintf(path2, sizeof path2, "%s/r%d.txt", dir, k);
            rename(path, path2);
        } else if (k % 5 == 1) {
            unlink(path);
        }
    }
    return NULL;
}

int main(void) {
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, work, (void *)i);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    puts("done");
    return 0;
}
