/* etcfsd: parse flags, environment and config file into a configuration,
 * set up process-wide things (SIGPIPE ignored: libuv lets it kill the
 * leader, shared/notes/libraft.md), then hand over to the daemon. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../core/config.h"
#include "daemon.h"
#include "../core/error.h"
#include "../lib/log.h"

extern char **environ;

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
