/*
 * proc.c — process lifecycle wrappers: fork/_Fork/vfork/clone, the wait
 * family (exit statuses of children, including signal deaths) and the exit
 * family.  vfork is an asm tail jump: a vfork child runs on the parent's
 * stack, so no C frame of ours may be live when the real vfork returns.
 */
#include "pt.h"

#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define REALFN(T, name)                                                                          \
    static void *slot_;                                                                          \
    __typeof__(T) real = (__typeof__(T))pt_real(&slot_, name)

/* fork and _Fork: the child resets its per-process state (fork's atfork
 * handler did it already; _Fork runs none), the parent logs the child. */
static pid_t fork_common(pid_t (*real)(void), int api)
{
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    pt_exec_prime();
    unsigned runs = __atomic_load_n(&pt_g.atfork_runs, __ATOMIC_RELAXED);
    pid_t r = real();
    int e = errno;
    /* (fork ran our atfork handler in the child already: resetting again
     * would throw its log chunk away; _Fork runs none) */
    if (r == 0 && __atomic_load_n(&pt_g.atfork_runs, __ATOMIC_RELAXED) == runs)
        pt_child_reset();
    else if (r > 0 && pt_on())
        pt_log(PT_OP_FORK, -1, r, 0, api, 0, 0, NULL, NULL, NULL);
    errno = e;
    return r;
}

PT_EXPORT pid_t fork(void)
{
    REALFN(pid_t(*)(void), "fork");
    return fork_common(real, PT_FORK_FORK);
}

PT_EXPORT pid_t _Fork(void)
{
    REALFN(pid_t(*)(void), "_Fork");
    return fork_common(real, PT_FORK__FORK);
}

/* ---------------------------------------------------------------- vfork */

/* Called from the trampoline: log, mark the thread, return the address to
 * jump to.  Falls back to our fork wrapper (same semantics for a correct
 * vfork user) if libc's vfork cannot be found. */
PT_HID void *pt_pre_vfork(void)
{
    static void *slot;
    void *real = pt_real(&slot, "vfork");
    pt_exec_prime();
    if (pt_on())
        pt_log(PT_OP_VFORK, -1, 0, 0, 0, 0, 0, NULL, NULL, NULL);
    pt_t_vfork = 1;
    return real ? real : (void *)&fork;
}

__asm__(".text\n"
        ".globl vfork\n"
        ".type vfork,@function\n"
        ".globl __vfork\n"
        ".type __vfork,@function\n"
        "vfork:\n"
        "__vfork:\n"
        "    sub $8, %rsp\n"        /* realign to 16 for the C call */
        "    call pt_pre_vfork\n"
        "    add $8, %rsp\n"        /* stack exactly as our caller left it */
        "    jmp *%rax\n"           /* tail jump: the real vfork returns to our caller */
        ".size vfork, .-vfork\n"
        ".size __vfork, .-__vfork\n");

/* ---------------------------------------------------------------- clone */

struct clone_tramp {
    int (*fn)(void *);
    void *arg;
};

/* Runs in a non-CLONE_VM child: its memory is a copy, so the trampoline
 * block on the parent's stack is valid here. */
static int clone_child(void *p)
{
    struct clone_tramp *t = p;
    pt_child_reset();
    return t->fn(t->arg);
}

PT_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
    REALFN(int (*)(int (*)(void *), void *, int, void *, ...), "clone");
    va_list ap;
    va_start(ap, arg);
    pid_t *ptid = va_arg(ap, pid_t *);
    void *tls = va_arg(ap, void *);
    pid_t *ctid = va_arg(ap, pid_t *);
    va_end(ap);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    int on = pt_on();
    if (!(flags & CLONE_THREAD))
        pt_exec_prime();
    struct clone_tramp t = {fn, arg};
    int r;
    if (!on || (flags & CLONE_THREAD))
        r = real(fn, stack, flags, arg, ptid, tls, ctid);
    else if (!(flags & CLONE_VM) && fn)
        r = real(clone_child, stack, flags, &t, ptid, tls, ctid);
    else {
        /* Shared memory without being a thread: tell processes apart by the
         * kernel pid.  Without CLONE_VFORK both run at once: keep it sticky. */
        pt_t_vfork = (flags & CLONE_VFORK) ? 1 : 2;
        r = real(fn, stack, flags, arg, ptid, tls, ctid);
    }
    int e = errno;
    if (on && r > 0)
        pt_log(PT_OP_CLONE, -1, r, 0, flags, 0, 0, NULL, NULL, NULL);
    errno = e;
    return r;
}

/* ---------------------------------------------------------------- wait */

static void log_wait(pid_t pid, int status)
{
    if (pid > 0 && (WIFEXITED(status) || WIFSIGNALED(status)) && pt_on())
        pt_log(PT_OP_WAIT, -1, pid, 0, status, 0, 0, NULL, NULL, NULL);
}

PT_EXPORT pid_t wait4(pid_t pid, int *st, int opt, struct rusage *ru)
{
    REALFN(pid_t(*)(pid_t, int *, int, struct rusage *), "wait4");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    int local;
    pid_t r = real(pid, st ? st : &local, opt, ru);
    int e = errno;
    log_wait(r, st ? *st : local);
    errno = e;
    return r;
}

PT_EXPORT pid_t waitpid(pid_t pid, int *st, int opt)
{
    REALFN(pid_t(*)(pid_t, int *, int), "waitpid");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    int local;
    pid_t r = real(pid, st ? st : &local, opt);
    int e = errno;
    log_wait(r, st ? *st : local);
    errno = e;
    return r;
}

PT_EXPORT pid_t wait(int *st)
{
    REALFN(pid_t(*)(int *), "wait");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    int local;
    pid_t r = real(st ? st : &local);
    int e = errno;
    log_wait(r, st ? *st : local);
    errno = e;
    return r;
}

PT_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int opt)
{
    REALFN(int (*)(idtype_t, id_t, siginfo_t *, int), "waitid");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    siginfo_t local;
    siginfo_t *si = info ? info : &local;
    si->si_pid = 0;
    int r = real(type, id, si, opt);
    int e = errno;
    if (r == 0 && !(opt & WNOWAIT) && si->si_pid > 0) {
        /* siginfo -> the wait status waitpid would have returned */
        int s = si->si_status, status = -1;
        switch (si->si_code) {
        case CLD_EXITED: status = (s & 0xff) << 8; break;
        case CLD_KILLED: status = s & 0x7f; break;
        case CLD_DUMPED: status = (s & 0x7f) | 0x80; break;
        }
        if (status >= 0)
            log_wait(si->si_pid, status);
    }
    errno = e;
    return r;
}

/* ---------------------------------------------------------------- exit */

PT_HID void pt_log_exit(int status, int api)
{
    if (!pt_on())
        return;
    pt_log(PT_OP_EXIT, -1, 0, 0, status, api, 0, NULL, NULL, NULL);
    pt_exit_logged = 1;
}

/* Versions of written fds are taken by the destructor, after atexit
 * handlers and a stdio flush (see log.c). */
PT_EXPORT void exit(int status)
{
    REALFN(void (*)(int), "exit");
    pt_log_exit(status, PT_EXIT_EXIT);
    if (real)
        real(status);
    pt_sys(SYS_exit_group, status, 0, 0);
    __builtin_unreachable();
}

/* _exit and _Exit: no atexit handlers run, so record the written fds' versions here. */
static __attribute__((noreturn)) void immediate_exit(void **slot, const char *name, int status)
{
    void (*real)(int) = (void (*)(int))pt_real(slot, name);
    pt_log_exit(status, PT_EXIT__EXIT);
    pt_flush_written(1);
    if (real)
        real(status);
    pt_sys(SYS_exit_group, status, 0, 0);
    __builtin_unreachable();
}

PT_EXPORT void _exit(int status)
{
    static void *slot;
    immediate_exit(&slot, "_exit", status);
}

PT_EXPORT void _Exit(int status)
{
    static void *slot;
    immediate_exit(&slot, "_Exit", status);
}
