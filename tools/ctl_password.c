/* Passwords as etcdctl reads them. speakeasy (bgentry/speakeasy 0.1, the
 * one Debian's etcdctl links) writes the prompt, runs "stty -echo" on stdin,
 * reads one line a byte at a time, runs "stty echo" and ends the line; it
 * ignores stty's failure, so a stdin that is a pipe or a file still gives
 * its first line, after stty's complaint on stderr. We do the same with
 * termios, and say what stty would have said when stdin is no terminal.
 * fmt.Scanf("%s") is the --interactive=false way: one word from stdin. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl_password.h"
#include "ctl_util.h"

/* Set by the signals that end a password entry (speakeasy's catchSignal). */
static volatile sig_atomic_t ctlPasswordSignal;

static void ctlPasswordSignalCb(int sig)
{
    ctlPasswordSignal = sig;
}

static const int ctlPasswordSignals[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
#define CTL_PASSWORD_NSIG (sizeof(ctlPasswordSignals) / sizeof(ctlPasswordSignals[0]))

/* What "stty" prints when stdin is no terminal. */
static void ctlSttyComplaint(int err)
{
    fflush(stdout);
    fprintf(stderr, "stty: 'standard input': %s\n", strerror(err));
}

static bool ctlIsBlank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

char *ctlAskPassword(const char *prompt, char *err, size_t errlen)
{
    fputs(prompt, stdout);
    fflush(stdout);

    struct sigaction sa;
    struct sigaction old[CTL_PASSWORD_NSIG];
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = ctlPasswordSignalCb; /* no SA_RESTART: read() returns EINTR */
    sigemptyset(&sa.sa_mask);
    ctlPasswordSignal = 0;
    for (size_t i = 0; i < CTL_PASSWORD_NSIG; i++)
    {
        sigaction(ctlPasswordSignals[i], &sa, &old[i]);
    }

    /* stty -echo */
    struct termios saved;
    bool tty = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty)
    {
        struct termios quiet = saved;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        tty = tcsetattr(STDIN_FILENO, TCSADRAIN, &quiet) == 0;
    }
    int sttyErr = tty ? 0 : errno;
    if (!tty)
    {
        ctlSttyComplaint(sttyErr);
    }

    struct ctl_buf line = {0};
    ctlBufAppend(&line, "", 0);
    bool failed = false;
    for (;;)
    {
        char c;
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR)
        {
            if (ctlPasswordSignal != 0)
            {
                if (tty)
                {
                    /* "stty echo" before speakeasy's os.Exit(-1) */
                    (void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved); /* exiting anyway */
                }
                exit(255);
            }
            continue;
        }
        if (n < 0)
        {
            const char *why = strerror(errno);
            snprintf(err, errlen, "failed during password entry: read /dev/stdin: %c%s",
                     (why[0] >= 'A' && why[0] <= 'Z') ? (char)(why[0] - 'A' + 'a') : why[0],
                     why + 1);
            failed = true;
            break;
        }
        if (n == 0 || c == '\n')
        {
            break;
        }
        ctlBufPutc(&line, c);
    }

    /* stty echo */
    if (tty)
    {
        if (tcsetattr(STDIN_FILENO, TCSADRAIN, &saved) != 0)
        {
            ctlSttyComplaint(errno);
        }
    }
    else
    {
        ctlSttyComplaint(sttyErr);
    }
    for (size_t i = 0; i < CTL_PASSWORD_NSIG; i++)
    {
        sigaction(ctlPasswordSignals[i], &old[i], NULL);
    }
    fputs("\n", stdout);
    fflush(stdout);
    if (failed)
    {
        ctlBufFree(&line);
        return NULL;
    }

    /* strings.TrimSpace(strings.TrimSuffix(line, "\r")) */
    size_t start = 0;
    size_t end = line.len;
    while (start < end && ctlIsBlank(line.data[start]))
    {
        start++;
    }
    while (end > start && ctlIsBlank(line.data[end - 1]))
    {
        end--;
    }
    char *password = ctlStrndup(line.data + start, end - start);
    ctlBufFree(&line);
    return password;
}

char *ctlScanWord(void)
{
    struct ctl_buf word = {0};
    ctlBufAppend(&word, "", 0);
    bool started = false;
    for (;;)
    {
        char c;
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n < 0 && errno == EINTR)
        {
            continue;
        }
        if (n <= 0 || c == '\n')
        {
            break; /* the end of the word, or "unexpected newline" / EOF: "" */
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f')
        {
            if (started)
            {
                break;
            }
            continue;
        }
        started = true;
        ctlBufPutc(&word, c);
    }
    char *s = ctlStrndup(word.data, word.len);
    ctlBufFree(&word);
    return s;
}
