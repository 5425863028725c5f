/* etcfsctl's command tree (etcfsctl.c): what txn and watch -i need of it to
 * parse their lines as command lines of put, get, del or watch. */
#ifndef ETCFS_TOOLS_ETCFSCTL_H
#define ETCFS_TOOLS_ETCFSCTL_H

#include <stddef.h>

#include "ctl.h"

/* Parses argv[0..argc) (borrowed; argv[0] is the command word) with the
 * flags of the named top-level command only, into o (initialized here).
 * Returns 0, or -1 with pflag's message in err. */
int ctlParseCommandLine(const char *cmdName, char **argv, size_t argc, struct ctl_options *o,
                        char *err, size_t errlen);
/* The same for a txn operation line: argv[0] is put, get or del, or a
 * unique prefix of one; *name is set to the full name (static). */
int ctlParseOpLine(char **argv, size_t argc, struct ctl_options *o, const char **name,
                   char *err, size_t errlen);

#endif /* ETCFS_TOOLS_ETCFSCTL_H */
