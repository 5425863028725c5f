/* Test helper: plays systemd's side of sd_notify. Creates a unix datagram
 * socket, runs the given command with NOTIFY_SOCKET pointing at it, and
 * prints each notification it receives ("READY=1", "STOPPING=1", ...) on
 * its own line. After SECONDS it sends the command SIGTERM and goes on
 * until it exits (SIGKILL 10 s later). Usage: notify_listen SECONDS CMD... */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
    struct sockaddr_un addr;
    char path[108];
    int fd;
    pid_t pid;
    int seconds;
    time_t deadline;
    int termed = 0;
    if (argc < 3) {
        fprintf(stderr, "usage: %s SECONDS CMD ARGS...\n", argv[0]);
        return 2;
    }
    seconds = atoi(argv[1]);
    snprintf(path, sizeof path, "/tmp/notify-%d.sock", (int)getpid());
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("notify_listen: socket");
        return 2;
    }
    pid = fork();
    if (pid == 0) {
        setenv("NOTIFY_SOCKET", path, 1);
        execvp(argv[2], argv + 2);
        perror("notify_listen: exec");
        _exit(127);
    }
    deadline = time(NULL) + seconds;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char buf[512];
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            break;
        }
        if (time(NULL) >= deadline + 10) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        if (!termed && time(NULL) >= deadline) {
            kill(pid, SIGTERM); /* then read on: STOPPING=1 */
            termed = 1;
        }
        if (poll(&p, 1, 100) > 0) {
            ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
            if (n > 0) {
                char *line;
                char *save = NULL;
                buf[n] = '\0';
                for (line = strtok_r(buf, "\n", &save); line != NULL;
                     line = strtok_r(NULL, "\n", &save)) {
                    printf("%s\n", line);
                }
                fflush(stdout);
            }
        }
    }
    close(fd);
    unlink(path);
    return 0;
}
