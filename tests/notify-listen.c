/* SPDX-License-Identifier: MIT */
/*
 * notify-listen: the systemd end of sd_notify(3) for integration tests.
 *
 *	notify-listen SOCKETPATH OUTFILE
 *
 * Binds an AF_UNIX SOCK_DGRAM socket at SOCKETPATH (a leading '@' names an
 * abstract socket), then appends every datagram it receives to OUTFILE, one
 * line per assignment ("READY=1", "STATUS=..."), flushed after each datagram
 * so that a test can poll the file with grep. Exits 0 on SIGTERM or SIGINT
 * and removes the socket file. The socket exists (and the test may start the
 * daemon) once SOCKETPATH appears in the file system.
 *
 * Signals are blocked except inside ppoll(), so a SIGTERM that arrives
 * between two datagrams can never be lost in a blocking receive.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll() */
#endif

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* The largest datagram sd_notify sends is far below this. */
#define DATAGRAM_MAX 65536

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: notify-listen SOCKETPATH OUTFILE\n");
	return 2;
}

/* Fills *ret and its length for path; -ENAMETOOLONG if it does not fit. */
static int
make_address(const char *path, struct sockaddr_un *ret, socklen_t *ret_len)
{
	struct sockaddr_un sa;
	size_t n = strlen(path);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: no terminating NUL counted */
	else
		n++;
	*ret = sa;
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	return 0;
}

/* Writes one datagram as lines: each ends in exactly one newline. */
static int
write_datagram(FILE *out, const char *buf, size_t len)
{
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && fwrite(buf, 1, len, out) != len)
		return -EIO;
	if (fputc('\n', out) == EOF || fflush(out) == EOF)
		return -EIO;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un sa;
	socklen_t sa_len;
	struct sigaction act;
	sigset_t block, orig;
	struct pollfd pfd;
	static char buf[DATAGRAM_MAX + 1];
	const char *path;
	bool abstract;
	FILE *out;
	int fd, status = EXIT_SUCCESS;

	if (argc != 3)
		return usage();
	path = argv[1];
	abstract = path[0] == '@';
	if (make_address(path, &sa, &sa_len) < 0) {
		fprintf(stderr, "notify-listen: socket path too long: '%s'\n", path);
		return EXIT_FAILURE;
	}

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (sigprocmask(SIG_BLOCK, &block, &orig) < 0) {
		perror("notify-listen: sigprocmask");
		return EXIT_FAILURE;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigemptyset(&act.sa_mask);
	(void)sigaction(SIGTERM, &act, NULL);
	(void)sigaction(SIGINT, &act, NULL);
	/* ppoll() runs with the original mask minus the signals we wait for. */
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGINT);

	out = fopen(argv[2], "ae");
	if (!out) {
		fprintf(stderr, "notify-listen: %s: %s\n", argv[2], strerror(errno));
		return EXIT_FAILURE;
	}

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("notify-listen: socket");
		fclose(out);
		return EXIT_FAILURE;
	}
	if (!abstract) {
		struct stat st;

		/* A socket left over by an earlier run is ours to replace. */
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			(void)unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sa_len) < 0) {
		fprintf(stderr, "notify-listen: bind '%s': %s\n", path, strerror(errno));
		close(fd);
		fclose(out);
		return EXIT_FAILURE;
	}

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!stop_requested) {
		ssize_t n;

		pfd.revents = 0;
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			perror("notify-listen: ppoll");
			status = EXIT_FAILURE;
			break;
		}
		n = recv(fd, buf, DATAGRAM_MAX, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			perror("notify-listen: recv");
			status = EXIT_FAILURE;
			break;
		}
		if (n > DATAGRAM_MAX) {
			fprintf(stderr, "notify-listen: datagram of %zd bytes truncated\n", n);
			n = DATAGRAM_MAX;
		}
		if (write_datagram(out, buf, (size_t)n) < 0) {
			fprintf(stderr, "notify-listen: %s: write error\n", argv[2]);
			status = EXIT_FAILURE;
			break;
		}
	}

	close(fd);
	if (!abstract)
		(void)unlink(path);
	if (fclose(out) == EOF)
		status = EXIT_FAILURE;
	return status;
}
