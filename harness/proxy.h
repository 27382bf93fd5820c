/* proxy.h - a fault-injecting TCP proxy on 127.0.0.1 in front of a real
 * web server, for the tests of what the http store does when the network
 * misbehaves.  Each accepted connection is relayed byte for byte to the
 * upstream port by a thread of its own, unless a fault says otherwise:
 *
 *   struct proxy *p = proxy_start(apache.port);   NULL: errno
 *   ... "http://127.0.0.1:<proxy_port(p)>/dav/" ...
 *   proxy_refuse(p, 1)        the next new connection is answered "503
 *                             Service Unavailable" (with S3's SlowDown
 *                             error as its body) and closed (after at
 *                             least one relayed since the last 503, so a
 *                             retry always gets through)
 *   proxy_delay(p, 2)         2 ms before each chunk the server sends
 *   proxy_cut_all(p)          every relayed connection is closed (a
 *                             server that drops kept-alive connections,
 *                             or dies mid-answer); returns when they are
 *   proxy_cut_request(p, n)   one-shot: the next request's first n bytes
 *                             (head included) reach the server, then the
 *                             server's side is shut and drained, so the
 *                             server is done with it before the client
 *                             sees its connection close
 *   proxy_drop_answer(p)      one-shot: the next answer's first bytes are
 *                             thrown away and the connection closed: the
 *                             server carried the request out, the client
 *                             never hears
 *   proxy_deny_request(p, s) one-shot: the next request whose bytes hold
 *                             the string s (up to 63 characters; in its
 *                             head, as sent) is answered "403 Forbidden"
 *                             with S3's AccessDenied, not relayed, and the
 *                             connection closed
 *   proxy_hold(p, n)          one-shot: the first connection to relay more
 *                             than n bytes of answers from now on sends
 *                             its first n and holds the rest until
 *                             proxy_release(p) or proxy_cut_all(p), 10 s
 *                             at most (an answer that stalls halfway)
 *   proxy_holding(p)          1 while a connection holds its bytes
 *   proxy_on_fault(p, fn, a)  fn(a) runs once a one-shot fault is done and
 *                             before the client's side is closed (to change
 *                             the object behind the client's back then)
 *   proxy_refused(p), proxy_faults(p)   503s sent, one-shot faults done
 *   proxy_stop(p)             joins the acceptor, waits for the relays,
 *                             frees p
 *
 * A one-shot fault applies to the first relayed connection that carries
 * bytes after it is armed.  No test framework here.
 */
#ifndef FRAMEFS_HARNESS_PROXY_H
#define FRAMEFS_HARNESS_PROXY_H

struct proxy;

struct proxy *proxy_start(int upstream_port);
int proxy_port(const struct proxy *p);
void proxy_refuse(struct proxy *p, int connections);
void proxy_delay(struct proxy *p, int ms);
void proxy_cut_all(struct proxy *p);
void proxy_cut_request(struct proxy *p, long bytes);
void proxy_drop_answer(struct proxy *p);
void proxy_deny_request(struct proxy *p, const char *what);
void proxy_hold(struct proxy *p, long bytes);
void proxy_release(struct proxy *p);
int proxy_holding(const struct proxy *p);
void proxy_on_fault(struct proxy *p, void (*fn)(void *), void *arg);
unsigned proxy_refused(const struct proxy *p);
unsigned proxy_faults(const struct proxy *p);
void proxy_stop(struct proxy *p);

#endif
