/* proxy.c - a fault-injecting TCP proxy for the http store's tests (see
 * proxy.h).  One acceptor thread; one relay thread per connection, which
 * polls both sides every 10 ms so that proxy_cut_all() and proxy_stop()
 * reach it.  Every knob is an atomic the test thread sets while the relays
 * read it. */
#include "proxy.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define HOLD_MAX_MS 10000	/* proxy_hold releases by itself then */
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)

struct proxy {
	int lfd;			/* listening socket */
	int port, upstream;		/* ours, the real server's */
	pthread_t acceptor;
	int fail_next;			/* connections to refuse */
	int delay_ms;
	unsigned gen;			/* relays of older gens close */
	long cut_bytes;			/* armed cut_request, -1 none */
	int drop;			/* armed drop_answer */
	char deny[64];			/* armed deny_request's string */
	int deny_armed;
	long hold_bytes;		/* armed hold, -1 none */
	unsigned hold_seq;		/* which arming: relays count anew */
	int holding, release;
	void (*on_fault)(void *);
	void *on_fault_arg;
	int relays;			/* relay threads running */
	int of_gen[2];			/* of them, by gen & 1 */
	bool stop;
	unsigned refused;		/* 503s sent */
	unsigned faults;		/* one-shot faults carried out */
	unsigned relayed;		/* connections relayed since the last
					 * 503 (acceptor only) */
};

struct relay {
	struct proxy *p;
	int cfd;
	unsigned gen;
};

static int write_all(int fd, const char *buf, size_t n)
{
	for (size_t w = 0; w < n;) {
		ssize_t m = write(fd, buf + w, n - w);

		if (m <= 0)
			return -1;
		w += (size_t)m;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* The server's side is shut for writing; what it still sends is read and
 * thrown away until it closes (5 s at most): then it is done with the
 * request. */
static void drain(int sfd)
{
	char buf[4096];
	uint64_t until = now_ms() + 5000;

	shutdown(sfd, SHUT_WR);
	while (now_ms() < until) {
		struct pollfd pf = { sfd, POLLIN, 0 };

		if (poll(&pf, 1, 50) > 0 && read(sfd, buf, sizeof(buf)) <= 0)
			break;
	}
}

static void fault_done(struct proxy *p)
{
	void (*fn)(void *) = LOAD(&p->on_fault);

	if (fn)
		fn(LOAD(&p->on_fault_arg));
	ADD(&p->faults, 1);
}

/* proxy_hold: if this chunk of n answer bytes takes the connection past
 * the armed count, and no other did first, sends the bytes up to it,
 * waits for the release (or a cut, or stop), and sends the rest.  0: not
 * held, the caller sends the chunk; 1: sent; -1: close the connection. */
static int held(struct proxy *p, struct relay *r, const char *buf,
		ssize_t n, unsigned *hseq, long *hcount)
{
	long hb = LOAD(&p->hold_bytes);
	unsigned seq = LOAD(&p->hold_seq);
	bool cut;

	if (hb < 0)
		return 0;
	if (seq != *hseq) {
		*hseq = seq;
		*hcount = 0;
	}
	if (*hcount + n <= hb ||
	    !__atomic_compare_exchange_n(&p->hold_bytes, &hb, -1, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		*hcount += n;
		return 0;
	}
	if (write_all(r->cfd, buf, (size_t)(hb - *hcount)) < 0)
		return -1;
	STORE(&p->holding, 1);
	for (uint64_t until = now_ms() + HOLD_MAX_MS;
	     !LOAD(&p->release) && !LOAD(&p->stop) &&
	     LOAD(&p->gen) == r->gen;)
		if (now_ms() >= until)
			STORE(&p->release, 1);	/* a test that waits on it */
		else
			usleep(1000);
	cut = !LOAD(&p->release);
	STORE(&p->holding, 0);
	fault_done(p);
	if (cut || write_all(r->cfd, buf + (hb - *hcount),
			     (size_t)(n - (hb - *hcount))) < 0)
		return -1;
	*hcount += n;
	return 1;
}

/* proxy_deny_request: if these client bytes hold the armed string, and
 * no other connection claimed the fault first, answers 403 in S3's words
 * instead of relaying them.  1: answered, close the connection. */
static int denied(struct proxy *p, int cfd, const char *buf, size_t n)
{
	static const char no[] = "HTTP/1.1 403 Forbidden\r\n"
				 "Content-Type: application/xml\r\n"
				 "Content-Length: 59\r\n"
				 "Connection: close\r\n\r\n"
				 "<Error><Code>AccessDenied</Code><Message>"
				 "</Message></Error>";
	int one = 1;

	if (!LOAD(&p->deny_armed) ||
	    !memmem(buf, n, p->deny, strlen(p->deny)) ||
	    !__atomic_compare_exchange_n(&p->deny_armed, &one, 0, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		return 0;
	(void)!write(cfd, no, sizeof(no) - 1);
	fault_done(p);
	return 1;
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	struct proxy *p = r->p;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char buf[65536];
	long cut_left = -1;	/* this connection's claimed cut */
	unsigned hseq = 0;	/* the hold armed when hcount began */
	long hcount = 0;	/* answer bytes relayed since */
	bool drop = false;	/* this connection's claimed drop */
	int sfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_port = htons((uint16_t)p->upstream);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sfd >= 0 && connect(sfd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		struct pollfd pf[2] = { { r->cfd, POLLIN, 0 },
					{ sfd, POLLIN, 0 } };

		while (!LOAD(&p->stop) && LOAD(&p->gen) == r->gen) {
			int k = poll(pf, 2, 10);
			bool done = k < 0;

			if (k > 0 && pf[0].revents) {
				ssize_t n = read(r->cfd, buf, sizeof(buf));
				size_t fwd;

				if (n <= 0)
					break;
				fwd = (size_t)n;
				if (denied(p, r->cfd, buf, (size_t)n))
					break;
				if (cut_left < 0 && !drop) {
					long c = __atomic_exchange_n(
						&p->cut_bytes, -1,
						__ATOMIC_SEQ_CST);

					if (c >= 0)
						cut_left = c;
					else
						drop = __atomic_exchange_n(
							&p->drop, 0,
							__ATOMIC_SEQ_CST);
				}
				if (cut_left >= 0 && (long)fwd > cut_left)
					fwd = (size_t)cut_left;
				if (write_all(sfd, buf, fwd) < 0)
					break;
				if (cut_left >= 0) {
					cut_left -= (long)fwd;
					if (cut_left == 0) {
						drain(sfd);
						fault_done(p);
						break;
					}
				}
			}
			if (!done && k > 0 && pf[1].revents) {
				ssize_t n = read(sfd, buf, sizeof(buf));
				int d = LOAD(&p->delay_ms), h;

				if (n <= 0)
					break;
				if (drop) {
					fault_done(p);
					break;
				}
				if (d)
					usleep((useconds_t)d * 1000);
				h = held(p, r, buf, n, &hseq, &hcount);
				if (h < 0 || (h == 0 &&
					      write_all(r->cfd, buf,
							(size_t)n) < 0))
					break;
			}
			if (done)
				break;
		}
	}
	if (sfd >= 0)
		close(sfd);
	close(r->cfd);
	__atomic_sub_fetch(&p->of_gen[r->gen & 1], 1, __ATOMIC_SEQ_CST);
	free(r);
	__atomic_sub_fetch(&p->relays, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void refuse(struct proxy *p, int cfd)
{
	/* the body S3 sends with its 503 (a DAV client ignores it) */
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				   "Content-Type: application/xml\r\n"
				   "Content-Length: 87\r\n"
				   "Connection: close\r\n\r\n"
				   "<Error><Code>SlowDown</Code><Message>"
				   "Please reduce your request rate."
				   "</Message></Error>";
	char req[8192];
	struct pollfd rf = { cfd, POLLIN, 0 };

	/* the request's head (enough for the client to have sent it), then
	 * the refusal */
	if (poll(&rf, 1, 1000) == 1)
		(void)!read(cfd, req, sizeof(req));
	ADD(&p->refused, 1);	/* before the client can hear it */
	(void)!write(cfd, busy, sizeof(busy) - 1);
	p->relayed = 0;
	close(cfd);
}

static void *acceptor_main(void *arg)
{
	struct proxy *p = arg;

	while (!LOAD(&p->stop)) {
		struct pollfd pf = { p->lfd, POLLIN, 0 };
		struct relay *r;
		pthread_t t;
		int cfd, left;

		if (poll(&pf, 1, 20) <= 0)
			continue;
		cfd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		left = LOAD(&p->fail_next);
		if (left > 0 && p->relayed > 0 &&
		    __atomic_compare_exchange_n(&p->fail_next, &left, left - 1,
						false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			refuse(p, cfd);
			continue;
		}
		if (!(r = malloc(sizeof(*r)))) {
			close(cfd);
			continue;
		}
		r->p = p;
		r->cfd = cfd;
		r->gen = LOAD(&p->gen);
		p->relayed++;
		ADD(&p->relays, 1);
		ADD(&p->of_gen[r->gen & 1], 1);
		if (pthread_create(&t, NULL, relay_main, r) != 0) {
			__atomic_sub_fetch(&p->of_gen[r->gen & 1], 1,
					   __ATOMIC_SEQ_CST);
			__atomic_sub_fetch(&p->relays, 1, __ATOMIC_SEQ_CST);
			close(cfd);
			free(r);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

struct proxy *proxy_start(int upstream_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct proxy *p = calloc(1, sizeof(*p));
	int e;

	if (!p)
		return NULL;
	p->upstream = upstream_port;
	p->cut_bytes = -1;
	p->hold_bytes = -1;
	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(p->lfd, 64) ||
	    getsockname(p->lfd, (struct sockaddr *)&sa, &len))
		goto fail;
	p->port = ntohs(sa.sin_port);
	if ((e = pthread_create(&p->acceptor, NULL, acceptor_main, p))) {
		errno = e;
		goto fail;
	}
	return p;
fail:
	e = errno;
	if (p->lfd >= 0)
		close(p->lfd);
	free(p);
	errno = e;
	return NULL;
}

int proxy_port(const struct proxy *p)
{
	return p->port;
}

void proxy_refuse(struct proxy *p, int connections)
{
	STORE(&p->fail_next, connections);
}

void proxy_delay(struct proxy *p, int ms)
{
	STORE(&p->delay_ms, ms);
}

void proxy_cut_all(struct proxy *p)
{
	unsigned old = ADD(&p->gen, 1) - 1;

	/* until the old connections are closed (a drain takes 5 s at most):
	 * so only two gens are ever alive */
	for (int i = 0; i < 600 && LOAD(&p->of_gen[old & 1]); i++)
		usleep(10000);
}

void proxy_cut_request(struct proxy *p, long bytes)
{
	STORE(&p->cut_bytes, bytes);
}

void proxy_drop_answer(struct proxy *p)
{
	STORE(&p->drop, 1);
}

void proxy_deny_request(struct proxy *p, const char *what)
{
	snprintf(p->deny, sizeof(p->deny), "%s", what);
	STORE(&p->deny_armed, 1);

}

void proxy_hold(struct proxy *p, long bytes)
{
	STORE(&p->release, 0);
	ADD(&p->hold_seq, 1);
	STORE(&p->hold_bytes, bytes);
}

void proxy_release(struct proxy *p)
{
	STORE(&p->release, 1);
}

int proxy_holding(const struct proxy *p)
{
	return LOAD(&p->holding);
}

void proxy_on_fault(struct proxy *p, void (*fn)(void *), void *arg)
{
	STORE(&p->on_fault_arg, arg);
	STORE(&p->on_fault, fn);
}

unsigned proxy_refused(const struct proxy *p)
{
	return LOAD(&p->refused);
}

unsigned proxy_faults(const struct proxy *p)
{
	return LOAD(&p->faults);
}

void proxy_stop(struct proxy *p)
{
	if (!p)
		return;
	STORE(&p->stop, true);
	pthread_join(p->acceptor, NULL);
	/* a relay sees stop within its 10 ms poll, unless it is draining
	 * (5 s at most) */
	for (int i = 0; i < 1000 && LOAD(&p->relays); i++)
		usleep(10000);
	close(p->lfd);
	if (!LOAD(&p->relays))
		free(p);	/* else a stuck relay still holds it: leaked */
}
