// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "out_flame.h"
#include "safefile.h"
#include "trend.h"

/* Geometry in pixels; the font width ratio is flamegraph.pl's (Verdana). */
#define FLAME_WIDTH 1200.0
#define PAD 10.0
#define HEADER_H 48.0
#define FRAME_H 16.0
#define FONT_SIZE 11.0
#define FONT_WIDTH (FONT_SIZE * 0.59)
#define MIN_WIDTH 0.1 /* narrower rectangles are not drawn: they cannot be seen */

enum node_type { NODE_TOP, NODE_ROOT, NODE_FRAME, NODE_REASON };

/*
 * One rectangle: a prefix shared by the stacks of one or more sites. Names
 * point into the sites and the process summaries, which outlive a write.
 */
struct node {
	enum node_type type;
	const char *name; /* function, reason or comm; NULL: unnamed frame */
	size_t name_len;
	const char *file;
	int line;
	uint64_t addr;
	pid_t pid;
	uint64_t value;
	uint64_t leak_value; /* the part of value at leak-verdict sites */
	unsigned int kinds;  /* a bit per enum bw_site_kind */
	int child, next;     /* first child, next sibling: -1 for none */
};

struct tree {
	struct node *nodes; /* nodes[0]: the invisible parent of the process roots */
	size_t n, cap;
	int depth;
};

static bool same_str(const char *a, size_t alen, const char *b, size_t blen)
{
	if (!a || !b)
		return a == b;
	return alen == blen && !memcmp(a, b, alen);
}

static bool same_node(const struct node *a, const struct node *key)
{
	if (a->type != key->type)
		return false;
	switch (a->type) {
	case NODE_ROOT:
		return a->pid == key->pid;
	case NODE_REASON:
		return same_str(a->name, a->name_len, key->name, key->name_len);
	default:
		if (!a->name || !key->name)
			return !a->name && !key->name && a->addr == key->addr;
		return same_str(a->name, a->name_len, key->name, key->name_len) &&
		       a->line == key->line &&
		       same_str(a->file, a->file ? strlen(a->file) : 0, key->file,
				key->file ? strlen(key->file) : 0);
	}
}

/* The child of parent matching key, added if new; -1 when out of memory. */
static int child_of(struct tree *t, int parent, const struct node *key)
{
	int *link = &t->nodes[parent].child;
	struct node *n;

	for (; *link >= 0; link = &t->nodes[*link].next)
		if (same_node(&t->nodes[*link], key))
			return *link;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct node *nodes = realloc(t->nodes, cap * sizeof(*nodes));

		if (!nodes)
			return -1;
		t->nodes = nodes;
		t->cap = cap;
		link = &t->nodes[parent].child; /* the array moved: find the end again */
		while (*link >= 0)
			link = &t->nodes[*link].next;
	}
	n = &t->nodes[t->n];
	*n = *key;
	n->value = n->leak_value = 0;
	n->kinds = 0;
	n->child = n->next = -1;
	*link = (int)t->n;
	return (int)t->n++;
}

static const char *comm_of(const struct bw_report *rep, pid_t pid)
{
	for (size_t i = 0; i < rep->nprocs; i++)
		if (rep->procs[i].pid == pid)
			return rep->procs[i].comm;
	return NULL;
}

static void frame_key(struct node *key, const struct bw_frame_name *fr)
{
	memset(key, 0, sizeof(*key));
	key->type = NODE_FRAME;
	key->name = fr->function;
	key->name_len = fr->function ? strlen(fr->function) : 0;
	key->file = fr->file;
	key->line = fr->line;
	key->addr = fr->addr;
}

/* Count value at cur's child matching key, which becomes cur. */
static int descend(struct tree *t, int *cur, int depth, const struct node *key,
		   const struct bw_site *s, uint64_t value)
{
	int i = child_of(t, *cur, key);

	if (i < 0)
		return -ENOMEM;
	t->nodes[i].value += value;
	if (s->verdict == BW_VERDICT_LEAK)
		t->nodes[i].leak_value += value;
	t->nodes[i].kinds |= 1u << s->kind;
	if (depth > t->depth)
		t->depth = depth;
	*cur = i;
	return 0;
}

/* Root "comm (pid)", frames outermost first, kernel frames above them, the reason on top. */
static int add_site(struct tree *t, const struct bw_report *rep, const struct bw_site *s,
		    uint64_t value)
{
	struct node key = { .type = NODE_ROOT, .pid = s->pid };
	int cur = 0, depth = 1, err;

	key.name = comm_of(rep, s->pid);
	key.name_len = key.name ? strnlen(key.name, BW_COMM_LEN) : 0;
	t->nodes[0].value += value;
	err = descend(t, &cur, depth++, &key, s, value);
	for (int i = s->nframes - 1; i >= 0 && !err; i--) {
		frame_key(&key, &s->frames[i]);
		err = descend(t, &cur, depth++, &key, s, value);
	}
	for (int i = s->nkframes - 1; i >= 0 && !err; i--) {
		frame_key(&key, &s->kframes[i]);
		err = descend(t, &cur, depth++, &key, s, value);
	}
	if (err)
		return err;
	memset(&key, 0, sizeof(key));
	key.type = NODE_REASON;
	key.name = s->reason;
	key.name_len = strnlen(s->reason, sizeof(s->reason));
	return descend(t, &cur, depth, &key, s, value);
}

/* ---- text from the target, made safe for XML ---- */

static bool dropped(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Append s to buf (cap bytes, NUL-terminated) without control characters,
 * bidi overrides, invalid UTF-8 or code points XML 1.0 forbids. The result
 * is valid UTF-8, cut between code points.
 */
static void append_clean(char *buf, size_t cap, const char *s, size_t len)
{
	size_t o = strlen(buf);

	for (size_t k = 0; s && k < len;) {
		unsigned int cp;
		size_t u = bw_utf8_decode((const unsigned char *)s + k, len - k, &cp);

		if (!u) {
			k++;
			continue;
		}
		if (!dropped(cp)) {
			if (o + u >= cap)
				break;
			memcpy(buf + o, s + k, u);
			o += u;
		}
		k += u;
	}
	buf[o] = '\0';
}

static size_t code_points(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Write clean text (append_clean's), at most max code points, XML-escaped. */
static void put_xml(FILE *f, const char *s, size_t max)
{
	for (; *s; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80 && max-- == 0)
			break;
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* ---- drawing ---- */

#define LABEL_LEN 512

struct draw_ctx {
	FILE *f;
	struct tree *t;
	double scale; /* pixels per waiter */
	double height;
	bool waits;
	int err;
};

static void label_of(const struct node *n, char *buf, size_t cap)
{
	buf[0] = '\0';
	switch (n->type) {
	case NODE_ROOT:
		append_clean(buf, cap, n->name, n->name_len);
		snprintf(buf + strlen(buf), cap - strlen(buf), buf[0] ? " (%d)" : "pid %d",
			 (int)n->pid);
		break;
	case NODE_REASON:
		append_clean(buf, cap, "[", 1);
		append_clean(buf, cap, n->name, n->name_len);
		append_clean(buf, cap, "]", 1);
		break;
	default:
		if (n->name)
			append_clean(buf, cap, n->name, n->name_len);
		else
			snprintf(buf, cap, "0x%" PRIx64, n->addr);
	}
}

static uint32_t hash_of(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The kind's hue, varied a little per name so neighbours stand apart. */
static void put_fill(FILE *f, const struct node *n, const char *label)
{
	uint32_t h = hash_of(label);
	unsigned int a = h % 40, b = (h >> 8) % 40, c = (h >> 16) % 40;

	if (n->leak_value == n->value)
		fprintf(f, "rgb(%u,%u,%u)", 215 + a, 40 + b / 2, 40 + c / 2);
	else if (n->kinds == 1u << BW_KIND_GOROUTINE)
		fprintf(f, "rgb(%u,%u,%u)", 90 + a, 160 + b, 215 + c);
	else if (n->kinds == 1u << BW_KIND_FUTEX)
		fprintf(f, "rgb(%u,%u,%u)", 225 + a / 2, 140 + b, 40 + c);
	else if (n->kinds == 1u << BW_KIND_OFFCPU)
		fprintf(f, "rgb(%u,%u,%u)", 170 + a, 140 + b / 2, 215 + c);
	else
		fprintf(f, "rgb(%u,%u,%u)", 185 + a, 185 + a, 185 + a);
}

static void put_title(struct draw_ctx *c, const struct node *n, const char *label)
{
	char file[LABEL_LEN] = "";

	fputs("<title>", c->f);
	put_xml(c->f, label, SIZE_MAX);
	if (n->type == NODE_FRAME && n->file) {
		append_clean(file, sizeof(file), n->file, strlen(n->file));
		fputs(" (", c->f);
		put_xml(c->f, file, SIZE_MAX);
		fprintf(c->f, ":%d)", n->line);
	}
	fprintf(c->f, ": %" PRIu64 " %s, %.1f%%%s</title>", n->value,
		c->waits ? "waits" : "blocked", 100.0 * n->value / c->t->nodes[0].value,
		n->leak_value == n->value ? ", leak" : "");
}

/* The label, cut to what fits in w pixels ("..": cut); none below 3 characters. */
static void put_text(FILE *f, const char *label, double x, double y, double w)
{
	size_t fit = w > 6 ? (size_t)((w - 6) / FONT_WIDTH) : 0, len = code_points(label);

	if (fit < 3)
		return;
	fprintf(f, "<text x=\"%.2f\" y=\"%.2f\">", x + 3, y + FRAME_H - 5);
	if (len <= fit) {
		put_xml(f, label, len);
	} else {
		put_xml(f, label, fit - 2);
		fputs("..", f);
	}
	fputs("</text>", f);
}

static int cmp_value(const void *a, const void *b, void *arg)
{
	const struct node *nodes = arg;
	uint64_t x = nodes[*(const int *)a].value, y = nodes[*(const int *)b].value;

	if (x != y)
		return x > y ? -1 : 1;
	return *(const int *)a - *(const int *)b; /* first added first: stable */
}

static void draw(struct draw_ctx *c, int i, int depth, double x);

/* Children side by side from x, the widest first. */
static void draw_children(struct draw_ctx *c, int parent, int depth, double x)
{
	size_t n = 0;
	int *kids;

	for (int k = c->t->nodes[parent].child; k >= 0; k = c->t->nodes[k].next)
		n++;
	kids = malloc(n * sizeof(*kids) + 1);
	if (!kids) {
		c->err = -ENOMEM;
		return;
	}
	n = 0;
	for (int k = c->t->nodes[parent].child; k >= 0; k = c->t->nodes[k].next)
		kids[n++] = k;
	qsort_r(kids, n, sizeof(*kids), cmp_value, c->t->nodes);
	for (size_t k = 0; k < n && !c->err; k++) {
		draw(c, kids[k], depth, x);
		x += c->t->nodes[kids[k]].value * c->scale;
	}
	free(kids);
}

static void draw(struct draw_ctx *c, int i, int depth, double x)
{
	const struct node *n = &c->t->nodes[i];
	double w = n->value * c->scale, y = c->height - PAD - depth * FRAME_H;
	char label[LABEL_LEN];

	if (w < MIN_WIDTH)
		return;
	label_of(n, label, sizeof(label));
	fputs("<g>", c->f);
	put_title(c, n, label);
	fprintf(c->f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.0f\" fill=\"", x, y, w,
		FRAME_H - 1);
	put_fill(c->f, n, label);
	fputs("\"/>", c->f);
	put_text(c->f, label, x, y, w);
	fputs("</g>\n", c->f);
	draw_children(c, i, depth + 1, x);
}

/* ---- the document ---- */

struct totals {
	uint64_t value;
	size_t sites, leaks, procs;
};

static void put_legend(FILE *f, double width)
{
	static const struct {
		const char *name, *fill;
	} keys[] = {
		{ "goroutine", "rgb(110,180,235)" }, { "futex", "rgb(235,160,60)" },
		{ "off-CPU", "rgb(190,150,235)" },   { "mixed", "rgb(200,200,200)" },
		{ "leak", "rgb(235,60,50)" },
	};
	double x = width - PAD - 5 * 80;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++, x += 80)
		fprintf(f,
			"<rect x=\"%.0f\" y=\"30\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%.0f\" y=\"40\">%s</text>\n",
			x, keys[i].fill, x + 16, keys[i].name);
}

static void put_header(FILE *f, const struct totals *tot, const struct bw_flame_opts *o,
		       double width, double height)
{
	time_t when = o->when ? o->when : time(NULL);
	char ts[32] = "";
	struct tm tm;

	if (gmtime_r(&when, &tm))
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		"font-family=\"Verdana, DejaVu Sans, sans-serif\" font-size=\"%.0f\">\n"
		"<style>g:hover rect { stroke: #000; stroke-width: 0.5 }</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fafaf5\"/>\n"
		"<text x=\"%.0f\" y=\"20\" font-size=\"15\">blockwatch: %s</text>\n",
		width, height, width, height, FONT_SIZE, PAD,
		o->waits ? "waits completed in the interval" : "blocked now");
	fprintf(f,
		"<text x=\"%.0f\" y=\"40\">%s: %" PRIu64 " %s at %zu site%s in %zu process%s, "
		"%zu leak site%s</text>\n",
		PAD, ts, tot->value, o->waits ? "waits" : "blocked", tot->sites,
		tot->sites == 1 ? "" : "s", tot->procs, tot->procs == 1 ? "" : "es", tot->leaks,
		tot->leaks == 1 ? "" : "s");
	if (width >= 800) /* else it would cover the totals */
		put_legend(f, width);
}

static int build(struct tree *t, const struct bw_report *rep, bool waits, struct totals *tot)
{
	struct bw_site **sites = NULL;
	size_t n = 0;
	int err;

	t->cap = 64;
	t->nodes = calloc(t->cap, sizeof(*t->nodes));
	if (!t->nodes)
		return -ENOMEM;
	t->n = 1;
	t->nodes[0] = (struct node){ .type = NODE_TOP, .child = -1, .next = -1 };
	if (!rep->agg)
		return 0;
	err = bw_agg__sites(rep->agg, waits ? BW_SORT_WAITS : BW_SORT_BLOCKED, &sites, &n);
	for (size_t i = 0; i < n && !err; i++) {
		uint64_t value = waits ? sites[i]->waits_interval : sites[i]->blocked;

		if (!value) /* a flame graph has no room for zero */
			continue;
		err = add_site(t, rep, sites[i], value);
		tot->sites++;
		tot->leaks += sites[i]->verdict == BW_VERDICT_LEAK;
	}
	free(sites);
	for (int k = t->nodes[0].child; k >= 0; k = t->nodes[k].next)
		tot->procs++;
	tot->value = t->nodes[0].value;
	return err;
}

int bw_flame_write(FILE *f, const struct bw_report *rep, const struct bw_flame_opts *opts)
{
	struct bw_flame_opts o = opts ? *opts : (struct bw_flame_opts){ 0 };
	struct tree t = { 0 };
	struct totals tot = { 0 };
	struct draw_ctx c = { .f = f, .t = &t, .waits = o.waits };
	double width = o.width > 4 * PAD ? o.width : FLAME_WIDTH;
	int err = build(&t, rep, o.waits, &tot);

	if (err)
		goto cleanup;
	c.height = HEADER_H + t.depth * FRAME_H + 2 * PAD;
	put_header(f, &tot, &o, width, c.height);
	if (tot.value) {
		c.scale = (width - 2 * PAD) / (double)tot.value;
		draw_children(&c, 0, 1, PAD);
	} else {
		fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">nothing %s</text>\n", PAD, c.height - PAD,
			o.waits ? "completed a wait" : "is blocked");
	}
	fputs("</svg>\n", f);
	err = c.err;
	if (!err && ferror(f))
		err = -EIO;
cleanup:
	free(t.nodes);
	return err;
}

/* ---- the file output ---- */

static int fill(FILE *f, const void *rep, const void *opts)
{
	return bw_flame_write(f, rep, opts);
}

struct bw_report_file *bw_out_flame__new(const char *path, const struct bw_flame_opts *opts)
{
	return bw_report_file__new(path, fill, opts, sizeof(*opts));
}
