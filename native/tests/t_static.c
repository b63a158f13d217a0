/* t_static.c — built with -static: LD_PRELOAD cannot see inside it. */
#include <stdio.h>
int main(void) { puts("static ok"); return 0; }
