// SPDX-License-Identifier: BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "log.h"
#include "out_prom.h"

/* ---- the listen address ---- */

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int parse_host(const char *host, bool v6, uint16_t port, struct sockaddr_storage *addr,
		      socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;

	memset(addr, 0, sizeof(*addr));
	if (v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	in4->sin_family = AF_INET;
	in4->sin_port = htons(port);
	*len = sizeof(*in4);
	if (!*host) /* ":PORT": every address, because the user said so */
		in4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (!strcmp(host, "localhost"))
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

int bw_prom_parse_listen(const char *listen, struct sockaddr_storage *addr, socklen_t *len)
{
	char buf[128], *host = buf, *port;
	bool v6 = false;
	uint16_t p;

	if (!listen || !*listen)
		listen = BW_PROM_DEFAULT_LISTEN;
	if (strlen(listen) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, listen);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		*close = '\0';
		host = buf + 1;
		port = close + 2;
		v6 = true;
	} else if ((port = strrchr(buf, ':'))) {
		*port++ = '\0';
	} else {
		port = buf; /* "PORT" alone: the loopback address */
		host = "127.0.0.1";
	}
	if (parse_port(port, &p))
		return -EINVAL;
	return parse_host(host, v6, p, addr, len);
}

/* ---- the HTTP server ---- */

struct exposition {
	char *text;
	size_t len;
};

struct bw_out_prom {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	struct exposition latest[2]; /* by enum bw_prom_format */
	size_t top_n;
	uint16_t port;
	bool started; /* libmicrohttpd's messages: warnings until up, then debug only */
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct bw_out_prom *p = cls;
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (__atomic_load_n(&p->started, __ATOMIC_ACQUIRE))
		bw_dbg("metrics endpoint: %s", msg); /* a hostile client must not flood the log */
	else
		bw_warn("metrics endpoint: %s", msg);
}

static enum MHD_Result reply_static(struct MHD_Connection *c, unsigned int status, const char *body)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(body), (void *)body,
								    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Content negotiation as scrapers do it: OpenMetrics when listed, else the text format. */
static enum bw_prom_format wanted_format(struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");

	return accept && strstr(accept, "application/openmetrics-text") ? BW_PROM_OPENMETRICS
									: BW_PROM_TEXT;
}

static enum MHD_Result reply_metrics(struct bw_out_prom *p, struct MHD_Connection *c)
{
	enum bw_prom_format fmt = wanted_format(c);
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *copy;
	size_t len;

	/* a copy: the next update may free the text while this reply is being sent */
	pthread_mutex_lock(&p->lock);
	len = p->latest[fmt].len;
	copy = malloc(len ? len : 1);
	if (copy)
		memcpy(copy, p->latest[fmt].text, len);
	pthread_mutex_unlock(&p->lock);
	if (!copy)
		return reply_static(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
	resp = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(copy);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, bw_prom_content_type(fmt));
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * Every request is answered on its first call, before any body: nothing
 * here reads a body, and libmicrohttpd discards what a client still sends.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_static(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (strcmp(url, "/metrics"))
		return reply_static(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	return reply_metrics(cls, c);
}

/* Render both formats, then swap them in. */
static int publish(struct bw_out_prom *p, const struct bw_report *rep)
{
	struct exposition next[2] = { { 0 } }, old[2];
	struct bw_prom_opts opts = { .top_n = p->top_n,
				     .report_duration_s = bw_prom_report_duration(rep) };
	int err = 0;

	for (int fmt = 0; fmt < 2 && !err; fmt++) {
		FILE *f = open_memstream(&next[fmt].text, &next[fmt].len);

		if (!f) {
			err = -ENOMEM;
			break;
		}
		opts.format = (enum bw_prom_format)fmt;
		err = bw_prom_render(f, rep, &opts);
		if (fclose(f) && !err)
			err = -ENOMEM;
	}
	if (err) {
		free(next[0].text);
		free(next[1].text);
		return err;
	}
	pthread_mutex_lock(&p->lock);
	memcpy(old, p->latest, sizeof(old));
	memcpy(p->latest, next, sizeof(next));
	pthread_mutex_unlock(&p->lock);
	free(old[0].text);
	free(old[1].text);
	return 0;
}

int bw_out_prom__update(struct bw_out_prom *p, const struct bw_report *rep)
{
	int err = publish(p, rep);

	if (err)
		bw_warn("failed to render the metrics exposition: %s", strerror(-err));
	return err;
}

/* Bounds on what clients may take; docs/metrics.md states them. */
#define MAX_CONNECTIONS 64
#define LISTEN_BACKLOG 32
#define CONNECTION_MEMORY (32 * 1024)
#define IDLE_TIMEOUT_S 10

static struct MHD_Daemon *start_daemon(struct bw_out_prom *p, const struct sockaddr_storage *addr)
{
	unsigned int flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	uint16_t port = ntohs(addr->ss_family == AF_INET6
				      ? ((const struct sockaddr_in6 *)addr)->sin6_port
				      : ((const struct sockaddr_in *)addr)->sin_port);

	if (addr->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * So that a client cannot hurt us: a few connections (a scraper needs
	 * one; past the limit they wait in a short backlog), a small memory
	 * pool per connection that also bounds the request line and headers
	 * (larger requests are dropped), idle or half-sent requests closed
	 * after a while. The port is given too, for libmicrohttpd's messages.
	 */
	return MHD_start_daemon(flags, port, NULL, NULL, on_request, p, MHD_OPTION_EXTERNAL_LOGGER,
				mhd_log, p, MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned int)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)CONNECTION_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)IDLE_TIMEOUT_S, MHD_OPTION_LISTEN_BACKLOG_SIZE,
				(unsigned int)LISTEN_BACKLOG, MHD_OPTION_END);
}

struct bw_out_prom *bw_out_prom__new(const char *listen, size_t top_n)
{
	struct bw_report empty = { 0 };
	struct sockaddr_storage addr;
	struct bw_out_prom *p;
	const union MHD_DaemonInfo *info;
	socklen_t len;
	int err;

	if (bw_prom_parse_listen(listen, &addr, &len)) {
		bw_err("failed to parse the metrics address '%s': expected HOST:PORT, [V6]:PORT, "
		       ":PORT or PORT",
		       listen);
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->top_n = top_n;
	pthread_mutex_init(&p->lock, NULL);
	err = publish(p, &empty); /* scrapes before the first report get the build info */
	if (!err) {
		errno = 0;
		p->daemon = start_daemon(p, &addr);
		if (!p->daemon) {
			/* libmicrohttpd leaves bind()'s errno, and logged the step above */
			err = errno ? -errno : -EADDRNOTAVAIL;
			bw_err("failed to serve metrics on '%s': %s",
			       listen ? listen : BW_PROM_DEFAULT_LISTEN, strerror(-err));
		}
	}
	if (err) {
		bw_out_prom__free(p);
		errno = -err;
		return NULL;
	}
	info = MHD_get_daemon_info(p->daemon, MHD_DAEMON_INFO_BIND_PORT);
	p->port = info ? info->port : 0;
	__atomic_store_n(&p->started, true, __ATOMIC_RELEASE);
	bw_info("serving metrics on http://%s/metrics (port %u)",
		listen && *listen ? listen : BW_PROM_DEFAULT_LISTEN, p->port);
	return p;
}

uint16_t bw_out_prom__port(const struct bw_out_prom *p)
{
	return p->port;
}

void bw_out_prom__free(struct bw_out_prom *p)
{
	if (!p)
		return;
	if (p->daemon)
		MHD_stop_daemon(p->daemon);
	free(p->latest[0].text);
	free(p->latest[1].text);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
