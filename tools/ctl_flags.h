/* etcfsctl's flags (ctl_flags.c): the flag tables, cobra/pflag-compatible
 * parsing of a command line against one command's flag set (pflag's error
 * texts), environment defaults, the flag lines of the help, and etcdctl's
 * argify for the lines of txn and watch -i. */
#ifndef ETCFS_TOOLS_CTL_FLAGS_H
#define ETCFS_TOOLS_CTL_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl.h"

/* Which global flags the command line set; environment defaults fill only
 * the others. */
struct ctl_parse_state
{
    bool endpoints_set;
    bool write_out_set;
    bool hex_set;
    bool dial_set;
    bool user_set;
    bool password_set;
};

/* Options with every default set (the strings malloc'd, owned by o). */
void ctlOptionsInit(struct ctl_options *o);
/* Pass 2 of the command line: parses every flag of argv (borrowed; values
 * are copied into o) against cmd's flag set and, unless localOnly, the
 * global ones; the first 'depth' positional words are the command path, the
 * other positional words go to o->args. Returns 0, or -1 with pflag's error
 * text in err. */
int ctlParseArgs(struct ctl_options *o, struct ctl_parse_state *st, int argc, char **argv,
                 const struct ctl_command *cmd, size_t depth, bool localOnly, char *err,
                 size_t errlen);
/* True when name[0..len) (or the shorthand, if not 0) is a flag of some
 * command that takes a value (pass 1 skips that value). */
bool ctlFlagTakesValue(const char *name, size_t len, char shorthand);
/* Sets the global flags the command line left alone from ETCFSCTL_* or
 * ETCDCTL_*; exits 1 on an invalid value. */
void ctlEnvDefaults(struct ctl_options *o, struct ctl_parse_state *st);
/* Help lines of the named local flags (NULL-terminated), of the globals. */
void ctlFlagsPrintLocal(const char *const *names);
void ctlFlagsPrintGlobal(void);
/* etcdctl's argify: splits s (borrowed) into arguments honouring "..." and
 * '...'. Returns a NULL-terminated array of *count strings, all
 * transferred (ctlFreeStrings). Exits 3 on a bad "..." literal. */
char **ctlArgify(const char *s, size_t *count);

#endif /* ETCFS_TOOLS_CTL_FLAGS_H */
