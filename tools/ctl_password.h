/* Reading passwords as etcdctl does (ctl_password.c): bgentry/speakeasy's
 * prompt on the terminal, one line read with the echo off (--user without a
 * password, user add and user passwd by default), and fmt.Scanf's "%s" word
 * from stdin (user add and passwd with --interactive=false). Main thread,
 * blocking on stdin. */
#ifndef ETCFS_TOOLS_CTL_PASSWORD_H
#define ETCFS_TOOLS_CTL_PASSWORD_H

#include <stddef.h>

/* speakeasy.Ask: writes prompt to stdout, reads one line from stdin with
 * the terminal's echo off, puts it back, then ends the prompt's line.
 * Returns the line less its surrounding blanks (transferred to the caller),
 * or NULL with "failed during password entry: <why>" in err. A stdin that
 * is no terminal is no error: speakeasy runs stty, whose complaint ("stty:
 * 'standard input': Inappropriate ioctl for device", once to turn the echo
 * off and once to turn it on) goes to stderr, and reads the line all the
 * same. SIGHUP, SIGINT, SIGQUIT and SIGTERM while reading restore the echo
 * and exit 255, as speakeasy's os.Exit(-1). */
char *ctlAskPassword(const char *prompt, char *err, size_t errlen);

/* fmt.Scanf("%s"): spaces and tabs skipped, then the word up to a blank, a
 * newline or the end of stdin; "" when a newline or the end comes first.
 * Reads a byte at a time, so nothing after the word's end is consumed. The
 * result is transferred to the caller. */
char *ctlScanWord(void);

#endif /* ETCFS_TOOLS_CTL_PASSWORD_H */
