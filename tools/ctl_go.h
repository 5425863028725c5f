/* etcfsctl's Go compatibility (ctl_go.c): parsing and formatting exactly as
 * the Go code behind etcdctl does it, error texts included. Pure; the
 * formatters append to a caller's buffer, every string argument borrowed. */
#ifndef ETCFS_TOOLS_CTL_GO_H
#define ETCFS_TOOLS_CTL_GO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_util.h"

/* strconv.ParseInt(s, base, 64) / ParseUint. Return 0, or -1 with Go's
 * error text ("strconv.ParseInt: parsing \"x\": invalid syntax") in err. */
int ctlParseInt64(const char *s, int base, int64_t *out, char *err, size_t errlen);
int ctlParseUint64(const char *s, int base, uint64_t *out, char *err, size_t errlen);
/* strconv.ParseBool: 0, or -1. */
int ctlParseBool(const char *s, bool *out);
/* time.ParseDuration, in milliseconds: 0, or -1 with Go's error text. */
int ctlParseDuration(const char *s, int64_t *ms, char *err, size_t errlen);
/* strconv.Unquote of the double-quoted literal s[0..n) (quotes included),
 * appended to out. Returns 0, or -1 (invalid syntax). */
int ctlGoUnquote(const char *s, size_t n, struct ctl_buf *out);

void ctlFmtDuration(struct ctl_buf *b, int64_t ns);                /* Duration.String */
void ctlFmtHumanBytes(struct ctl_buf *b, uint64_t n);              /* humanize.Bytes */
void ctlFmtGoQuote(struct ctl_buf *b, const char *s, size_t n);    /* %q */
void ctlFmtJsonString(struct ctl_buf *b, const char *s, size_t n); /* encoding/json */
void ctlFmtLeaseId(struct ctl_buf *b, int64_t id);                 /* %016x of int64 */
void ctlFmtHexWidth(struct ctl_buf *b, uint64_t v, int width);     /* %<w>x */

#endif /* ETCFS_TOOLS_CTL_GO_H */
