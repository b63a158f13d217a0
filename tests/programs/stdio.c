/* stdio: fopen/freopen/fdopen, opendir/fdopendir, mkstemp/mkdtemp/tmpfile,
 * remove, rename, realpath, popen and system.  Runs in its work directory. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what) { perror(what); exit(1); }

static int count_entries(DIR *d) {
    int n = 0;
    while (readdir(d)) n++;
    closedir(d);
    return n;
}

int main(void) {
    char line[256], resolved[PATH_MAX];
    FILE *in = fopen("input.txt", "r");
    if (!in || !fgets(line, sizeof line, in)) die("input");
    fclose(in);
    FILE *out = fopen("out_w.txt", "w");
    if (!out) die("out_w");
    fputs(line, out);
    fclose(out);
    FILE *app = fopen("out_a.txt", "a");
    if (!app) die("out_a");
    fputs("appended\n", app);
    fclose(app);
    FILE *rw = fopen("rw.txt", "r+");
    if (!rw) die("rw");
    fputs("X", rw);
    FILE *re = freopen("reopened.txt", "w", rw);
    if (!re) die("freopen");
    fputs("reopened\n", re);
    fclose(re);
    int fd = open("fd.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    FILE *fdf = fdopen(fd, "w");
    fputs("fdopen\n", fdf);
    fclose(fdf);

    DIR *d = opendir("tree");
    if (!d) die("opendir");
    int n1 = count_entries(d);
    int dfd = open("tree/sub", O_RDONLY | O_DIRECTORY);
    DIR *d2 = fdopendir(dfd);
    if (!d2) die("fdopendir");
    int n2 = count_entries(d2);

    char tmpl[] = "tmp_XXXXXX";
    int t = mkstemp(tmpl);
    if (t < 0) die("mkstemp");
    if (write(t, "tmp\n", 4) < 0) die("write");
    close(t);
    char dtmpl[] = "dir_XXXXXX";
    if (!mkdtemp(dtmpl)) die("mkdtemp");
    FILE *tf = tmpfile();
    if (!tf) die("tmpfile");
    fputs("anonymous\n", tf);
    fclose(tf);

    if (!realpath("tree/sub/../a.txt", resolved)) die("realpath");
    if (rename("out_w.txt", "renamed.txt") < 0) die("rename");
    if (remove("tree/b.txt") < 0) die("remove file");
    if (remove(dtmpl) < 0) die("remove dir");
    if (unlink(tmpl) < 0) die("unlink");

    FILE *p = popen("cat input.txt", "r");
    if (!p || !fgets(line, sizeof line, p)) die("popen");
    pclose(p);
    if (system("cat input.txt > system.txt") != 0) die("system");
    printf("%d %d %s", n1, n2, line);
    return 0;
}
