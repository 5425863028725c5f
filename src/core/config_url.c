/* URLs in etcfsd's flags: http://host:port parsed and normalized the way
 * etcd's flags accept them (http only for now, IPv6 in brackets, no path,
 * query or user info), comma-separated lists of them and the name=peerurl
 * list of --initial-cluster. Pure: inet_pton only, no name is resolved. */
#include "config_url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_apply.h"
#include "error.h"

#define CONFIG__DEFAULT_PORT 2379
#define CONFIG__URL_TEXT_MAX 512 /* one URL of a list, before parsing */

bool configUrlIsUnspecified(const struct config_url *url)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, url->host, &a4) == 1) {
        return a4.s_addr == 0;
    }
    if (inet_pton(AF_INET6, url->host, &a6) == 1) {
        return IN6_IS_ADDR_UNSPECIFIED(&a6);
    }
    return false;
}

int configParseUrl(const char *text, struct config_url *url, char *errmsg)
{
    const char *p;
    const char *sep;
    const char *auth_end;
    const char *host;
    const char *host_end;
    const char *port = NULL;
    size_t host_len;
    size_t i;
    bool v6 = false;
    bool tls = false;
    unsigned port_num = CONFIG__DEFAULT_PORT;

    memset(url, 0, sizeof *url);
    if (text == NULL || *text == '\0') {
        etcfsErrmsgf(errmsg, "invalid URL \"\": empty");
        return ETCFS_INVALID;
    }
    for (p = text; *p != '\0'; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f) {
            etcfsErrmsgf(errmsg,
                         "invalid URL \"%.100s\": space or control character",
                         text);
            return ETCFS_INVALID;
        }
    }

    p = text;
    sep = strstr(text, "://");
    if (sep != NULL) {
        size_t scheme_len = (size_t)(sep - text);
        if (scheme_len == 5 && strncasecmp(text, "https", 5) == 0) {
            tls = true;
        } else if (scheme_len != 4 || strncasecmp(text, "http", 4) != 0) {
            etcfsErrmsgf(errmsg,
                         "invalid URL \"%.100s\": unsupported scheme \"%.*s\" "
                         "(only http:// and https:// are supported)",
                         text, (int)(scheme_len > 16 ? 16 : scheme_len), text);
            return ETCFS_INVALID;
        }
        p = sep + 3;
    }

    /* Authority, then nothing but an optional "/". */
    auth_end = p + strcspn(p, "/?#");
    if (*auth_end == '?' || *auth_end == '#' ||
        (*auth_end == '/' && auth_end[1] != '\0')) {
        etcfsErrmsgf(errmsg,
                     "invalid URL \"%.100s\": unexpected path \"%.40s\" "
                     "(only \"\" or \"/\" is allowed)",
                     text, auth_end);
        return ETCFS_INVALID;
    }
    if (memchr(p, '@', (size_t)(auth_end - p)) != NULL) {
        etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": user info is not "
                             "supported",
                     text);
        return ETCFS_INVALID;
    }

    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(auth_end - p));
        if (close == NULL) {
            etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": missing ']'", text);
            return ETCFS_INVALID;
        }
        v6 = true;
        host = p + 1;
        host_end = close;
        if (close + 1 < auth_end) {
            if (close[1] != ':') {
                etcfsErrmsgf(errmsg,
                             "invalid URL \"%.100s\": expected ':' after ']'",
                             text);
                return ETCFS_INVALID;
            }
            port = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(auth_end - p));
        host = p;
        host_end = auth_end;
        if (colon != NULL) {
            if (memchr(colon + 1, ':', (size_t)(auth_end - colon - 1)) !=
                NULL) {
                etcfsErrmsgf(errmsg,
                             "invalid URL \"%.100s\": an IPv6 address must be "
                             "in brackets, as [::1]:2379",
                             text);
                return ETCFS_INVALID;
            }
            host_end = colon;
            port = colon + 1;
        }
    }

    host_len = (size_t)(host_end - host);
    if (host_len == 0) {
        etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": missing host", text);
        return ETCFS_INVALID;
    }
    if (host_len >= sizeof url->host || (!v6 && host_len > 253)) {
        etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": host too long", text);
        return ETCFS_INVALID;
    }
    for (i = 0; i < host_len; i++) {
        url->host[i] = (char)tolower((unsigned char)host[i]);
    }
    url->host[host_len] = '\0';

    if (v6) {
        struct in6_addr a6;
        if (inet_pton(AF_INET6, url->host, &a6) != 1) {
            etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": invalid IPv6 address",
                         text);
            return ETCFS_INVALID;
        }
    } else {
        bool numeric = true;
        for (i = 0; i < host_len; i++) {
            char c = url->host[i];
            if (!isalnum((unsigned char)c) && c != '-' && c != '.' &&
                c != '_') {
                etcfsErrmsgf(errmsg,
                             "invalid URL \"%.100s\": invalid character '%c' "
                             "in host",
                             text, c);
                return ETCFS_INVALID;
            }
            if (!isdigit((unsigned char)c) && c != '.') {
                numeric = false;
            }
        }
        if (numeric) {
            struct in_addr a4;
            if (inet_pton(AF_INET, url->host, &a4) != 1) {
                etcfsErrmsgf(errmsg,
                             "invalid URL \"%.100s\": invalid IPv4 address",
                             text);
                return ETCFS_INVALID;
            }
        }
    }

    if (port != NULL) {
        size_t port_len = (size_t)(auth_end - port);
        port_num = 0;
        if (port_len == 0 || port_len > 5) {
            etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": invalid port", text);
            return ETCFS_INVALID;
        }
        for (i = 0; i < port_len; i++) {
            if (!isdigit((unsigned char)port[i])) {
                etcfsErrmsgf(errmsg, "invalid URL \"%.100s\": invalid port",
                             text);
                return ETCFS_INVALID;
            }
            port_num = port_num * 10 + (unsigned)(port[i] - '0');
        }
        if (port_num < 1 || port_num > 65535) {
            etcfsErrmsgf(errmsg,
                         "invalid URL \"%.100s\": port %u out of range "
                         "(1-65535)",
                         text, port_num);
            return ETCFS_INVALID;
        }
    }
    url->port = port_num;
    url->tls = tls;
    snprintf(url->text, sizeof url->text, "%s://%s%s%s:%u",
             tls ? "https" : "http", v6 ? "[" : "", url->host, v6 ? "]" : "",
             url->port);
    return 0;
}


/* The next comma-separated item of the list at *p, trimmed, as [*start,
 * *start + *len); *p moves past it, to NULL after the last item. */
static void configUrlNextItem(const char **p, const char **start, size_t *len)
{
    const char *end = strchr(*p, ',');
    *start = *p;
    *len = end != NULL ? (size_t)(end - *p) : strlen(*p);
    *p = end != NULL ? end + 1 : NULL;
    configTrim(start, len);
}

/* The URL of len bytes at start into url; a parse error is prefixed with
 * label and, for a cluster entry, "member <member>". */
static int configUrlSpan(const char *label, const char *member,
                         const char *start, size_t len, struct config_url *url,
                         char *errmsg)
{
    char item[CONFIG__URL_TEXT_MAX];
    int rv;
    if (len >= sizeof item) {
        etcfsErrmsgf(errmsg, "%s: URL too long (%zu bytes)", label, len);
        return ETCFS_INVALID;
    }
    memcpy(item, start, len);
    item[len] = '\0';
    rv = configParseUrl(item, url, errmsg);
    if (rv != 0 && member != NULL) {
        etcfsErrmsgWrapf(errmsg, "%s: member %s", label, member);
    } else if (rv != 0) {
        etcfsErrmsgWrapf(errmsg, "%s", label);
    }
    return rv;
}

int configUrlList(const char *label, const char *text, struct config_url *urls,
                  unsigned max, unsigned *n, char *errmsg)
{
    const char *p = text;
    unsigned count = 0;
    do {
        const char *start;
        size_t len;
        int rv;
        configUrlNextItem(&p, &start, &len);
        if (len == 0) {
            etcfsErrmsgf(errmsg, "%s: empty URL in \"%.100s\"", label, text);
            return ETCFS_INVALID;
        }
        if (count == max) {
            etcfsErrmsgf(errmsg, "%s: too many URLs (at most %u)", label, max);
            return ETCFS_INVALID;
        }
        rv = configUrlSpan(label, NULL, start, len, &urls[count], errmsg);
        if (rv != 0) {
            return rv;
        }
        count++;
    } while (p != NULL);
    *n = count;
    return 0;
}

/* Refuses member i if its name or peer URL is one of members[0..i). */
static int configUrlCheckUnique(const char *label,
                                const struct config_member *members,
                                unsigned i, char *errmsg)
{
    const struct config_member *m = &members[i];
    unsigned j;
    for (j = 0; j < i; j++) {
        if (strcmp(members[j].name, m->name) == 0) {
            etcfsErrmsgf(errmsg, "%s: duplicate name \"%s\"", label, m->name);
            return ETCFS_INVALID;
        }
        if (strcmp(members[j].peer.text, m->peer.text) == 0) {
            etcfsErrmsgf(errmsg, "%s: duplicate peer URL %s (%s and %s)",
                         label, m->peer.text, members[j].name, m->name);
            return ETCFS_INVALID;
        }
    }
    return 0;
}

int configUrlCluster(const char *label, const char *text,
                     struct config_member *members, unsigned max, unsigned *n,
                     char *errmsg)
{
    const char *p = text;
    unsigned count = 0;
    do {
        const char *start;
        const char *eq;
        const char *url_start;
        size_t len;
        size_t name_len;
        size_t url_len;
        struct config_member *m;
        int rv;

        configUrlNextItem(&p, &start, &len);
        eq = memchr(start, '=', len);
        if (eq == NULL) {
            etcfsErrmsgf(errmsg, "%s: entry \"%.*s\" is not name=peerurl",
                         label, (int)(len > 100 ? 100 : len), start);
            return ETCFS_INVALID;
        }
        if (count == max) {
            etcfsErrmsgf(errmsg, "%s: too many members (at most %u)", label,
                         max);
            return ETCFS_INVALID;
        }
        m = &members[count];
        url_start = eq + 1;
        url_len = len - (size_t)(url_start - start);
        name_len = (size_t)(eq - start);
        configTrim(&start, &name_len);
        rv = configCheckName(label, start, name_len, errmsg);
        if (rv != 0) {
            return rv;
        }
        memcpy(m->name, start, name_len);
        m->name[name_len] = '\0';

        configTrim(&url_start, &url_len);
        rv = configUrlSpan(label, m->name, url_start, url_len, &m->peer,
                           errmsg);
        if (rv == 0) {
            rv = configUrlCheckUnique(label, members, count, errmsg);
        }
        if (rv != 0) {
            return rv;
        }
        count++;
    } while (p != NULL);
    *n = count;
    return 0;
}
