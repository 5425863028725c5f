/* The auth gate of every front end (authnGate in authn.h): who asks, and
 * may they make a request of this kind. Apart from authn.c so that the
 * fuzz harnesses run it over their stand-ins of authnIdentify and
 * authnAdmin. Loop thread only. */
#include <stdio.h>
#include <string.h>

#include "../core/error.h"
#include "authn.h"

int authnGate(struct server *s, const char *token, size_t token_len,
              const char *cn, enum authn_needs needs, bool rechecked,
              struct authn_user *who, char *maint_text)
{
    const char *msg;
    int rv;
    maint_text[0] = '\0';
    if (needs == AUTHN_ANYONE) {
        return 0;
    }
    rv = authnIdentify(s, token, token_len, cn, who);
    if (rv == ETCFS_INVALID_TOKEN && !rechecked) {
        return AUTHN_GATE_RECHECK;
    }
    if (rv == 0 && (needs == AUTHN_ROOT || needs == AUTHN_ROOT_MAINT)) {
        rv = authnAdmin(s, who);
    }
    if (rv != 0 && needs == AUTHN_ROOT_MAINT) {
        msg = etcfsStrerror(rv);
        if (strncmp(msg, "etcdserver: ", 12) == 0) {
            msg += 12;
        }
        snprintf(maint_text, ETCFS_ERRMSG_SIZE, "auth: %s", msg);
    }
    return rv;
}
