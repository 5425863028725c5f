/* etcfsd: parse flags, environment and config file into a configuration,
 * set up process-wide things (SIGPIPE ignored: libuv lets it kill the
 * leader, shared/notes/libraft.md), then hand over to the daemon. */
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/config.h"
#include "daemon.h"
#include "../core/error.h"
#include "../lib/log.h"

extern char **environ;

/* A crash (an assertion, a fault) leaves its stack in the log before the
 * default action: CI keeps the logs, not cores. */
static void crashCb(int sig)
{
    void *frames[64];
    int n = backtrace(frames, 64);
    static const char head[] = "etcfsd: fatal signal, stack:\n";
    (void)!write(2, head, sizeof head - 1);
    backtrace_symbols_fd(frames, n, 2);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void crashSetUp(void)
{
    void *frame;
    (void)backtrace(&frame, 1); /* loads libgcc now, not in the handler */
    signal(SIGABRT, crashCb);
    signal(SIGSEGV, crashCb);
    signal(SIGBUS, crashCb);
    signal(SIGFPE, crashCb);
}

#define ETCFS_VERSION "0.1.0"

int main(int argc, char *argv[])
{
    static struct config cfg; /* large: keep it off the stack */
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;

    rv = configParse(&cfg, argc, argv, environ, errmsg);
    if (rv != 0) {
        fprintf(stderr, "etcfsd: %s\n", errmsg);
        fprintf(stderr, "Try 'etcfsd --help' for the list of flags.\n");
        return 2;
    }
    if (cfg.help) {
        configUsage(stdout);
        return 0;
    }
    if (cfg.version) {
        printf("etcfsd Version: %s\nAPI version: 3.4\n", ETCFS_VERSION);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    crashSetUp();
    logSetup(cfg.name, cfg.log_level);
    if (logSetOutputs(cfg.log_outputs, errmsg, sizeof errmsg) != 0) {
        fprintf(stderr, "etcfsd: %s\n", errmsg);
        return 2;
    }
    for (unsigned i = 0; i < cfg.n_warnings; i++) {
        warnf("%s", cfg.warnings[i]);
    }
    rv = daemonRun(&cfg, errmsg);
    if (rv != 0) {
        fprintf(stderr, "etcfsd: %s\n", errmsg);
    }
    return rv;
}
