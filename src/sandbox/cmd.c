// SPDX-License-Identifier: GPL-2.0
/*
 * Command validation (the seed's tools.security.command_validation), checked
 * before anything runs.
 *
 * The seed matches blocked_commands as a prefix of the whole command string.
 * A prefix of the raw string misses "true; rm -rf /", " rm -rf /",
 * "/bin/rm -rf /" and "env rm -rf /", so the string is first split into its
 * simple commands (at ; & | && || newlines, ( ), $( ), backquotes), each
 * normalised (quotes removed, one space between words, the command word
 * reduced to its basename, assignments and wrappers such as env, nice, exec,
 * timeout, xargs skipped) and every one is checked. `sh -c STRING` and `eval`
 * are checked recursively. This is a pre-flight check of a shell string; the
 * kernel's exec rules remain the enforcement.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

#define MAX_DEPTH 16
#define MAX_INPUT (1u << 20)

struct buf {
	char *s;
	size_t len, cap;
};

static int buf_putc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *s = realloc(b->s, cap);

		if (!s)
			return -ENOMEM;
		b->s = s;
		b->cap = cap;
	}
	b->s[b->len++] = c;
	b->s[b->len] = 0;
	return 0;
}

static int buf_puts(struct buf *b, const char *s)
{
	for (; *s; s++)
		if (buf_putc(b, *s))
			return -ENOMEM;
	return 0;
}

static int strings_push(struct hx_strings *s, char *str)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	return 0;
}

void hx_cmd_strings_free(struct hx_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int words_push(struct hx_strings *w, struct buf *b)
{
	char *s = b->s ? b->s : strdup("");

	if (!s)
		return -ENOMEM;
	b->s = NULL;
	b->len = b->cap = 0;
	return strings_push(w, s);
}

static void words_clear(struct hx_strings *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	w->n = 0;
}

static void words_free(struct hx_strings *w)
{
	words_clear(w);
	free(w->v);
	memset(w, 0, sizeof(*w));
}

static int parse(const char *s, size_t len, struct hx_strings *out, int depth);

static const char *base(const char *w)
{
	const char *slash = strrchr(w, '/');

	return slash && slash[1] ? slash + 1 : w;
}

static bool is_assignment(const char *w)
{
	if (!((*w >= 'A' && *w <= 'Z') || (*w >= 'a' && *w <= 'z') || *w == '_'))
		return false;
	for (w++; *w && *w != '='; w++)
		if (!((*w >= 'A' && *w <= 'Z') || (*w >= 'a' && *w <= 'z') ||
		      (*w >= '0' && *w <= '9') || *w == '_'))
			return false;
	return *w == '=';
}

/*
 * Words that run the command that follows them, with the options among
 * their arguments that take a separate value, and how many operands they
 * take before the command.
 */
static const struct wrapper {
	const char *name;
	const char *opts_with_arg; /* option letters whose value may be the next word */
	int operands; /* non-option words before the command */
	bool assignments; /* NAME=VALUE words are options (env) */
} wrappers[] = {
	{ "!", "", 0, false },
	{ "{", "", 0, false },
	{ "then", "", 0, false },
	{ "do", "", 0, false },
	{ "else", "", 0, false },
	{ "elif", "", 0, false },
	{ "if", "", 0, false },
	{ "while", "", 0, false },
	{ "until", "", 0, false },
	{ "time", "", 0, false },
	{ "exec", "a", 0, false },
	{ "command", "", 0, false },
	{ "builtin", "", 0, false },
	{ "nohup", "", 0, false },
	{ "env", "uSC", 0, true },
	{ "nice", "n", 0, false },
	{ "ionice", "cnp", 0, false },
	{ "timeout", "sk", 1, false },
	{ "stdbuf", "ioe", 0, false },
	{ "setsid", "", 0, false },
	{ "xargs", "nIdPLsaE", 0, false },
	{ "chroot", "", 1, false },
	{ "busybox", "", 0, false },
	{ "nsenter", "tSG", 0, false },
	{ "unshare", "", 0, false },
	{ "sudo", "ugUCDhprT", 0, true },
	{ "doas", "uC", 0, false },
	{ "taskset", "", 1, false },
	{ "chrt", "", 1, false },
	{ "flock", "wE", 1, false },
	{ "watch", "nd", 0, false },
	{ "strace", "oepsEuI", 0, false },
};

static const struct wrapper *find_wrapper(const char *w)
{
	for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		if (!strcmp(base(w), wrappers[i].name))
			return &wrappers[i];
	return NULL;
}

static bool is_shell(const char *w)
{
	static const char *const shells[] = { "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh" };

	for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
		if (!strcmp(base(w), shells[i]))
			return true;
	return false;
}

/* The index after wrapper @wr at @i and its options and operands. */
static size_t skip_wrapper(char *const *w, size_t n, size_t i, const struct wrapper *wr)
{
	int operands = wr->operands;

	for (i++; i < n;) {
		const char *a = w[i];

		if (!strcmp(a, "--"))
			return i + 1;
		if (a[0] == '-' && a[1]) {
			/* "-n 5": the value is the next word; "-n5", "--x=y": attached. */
			i++;
			if (a[1] != '-' && !a[2] && strchr(wr->opts_with_arg, a[1]) && i < n)
				i++;
			continue;
		}
		if (wr->assignments && is_assignment(a)) {
			i++;
			continue;
		}
		if (operands > 0) {
			operands--;
			i++;
			continue;
		}
		break;
	}
	return i;
}

/* Emits the words from @i on, normalised, then what a shell or eval among them runs. */
static int emit_from(char *const *w, size_t n, size_t i, struct hx_strings *out, int depth)
{
	struct buf b = { 0 };
	int err = 0;

	for (size_t j = i; j < n && !err; j++) {
		if (j > i)
			err = buf_putc(&b, ' ');
		if (!err)
			err = buf_puts(&b, j == i ? base(w[j]) : w[j]);
	}
	if (!err)
		err = b.s ? strings_push(out, b.s) : 0;
	if (err) {
		free(b.s);
		return err;
	}
	if (is_shell(w[i])) {
		/* sh [-e -x ...] -c STRING: the first operand after an option cluster with c */
		bool c = false;

		for (size_t j = i + 1; j < n; j++) {
			if (!c && w[j][0] == '-' && w[j][1] && w[j][1] != '-') {
				c = strchr(w[j] + 1, 'c') != NULL;
				continue;
			}
			if (c)
				return parse(w[j], strlen(w[j]), out, depth + 1);
			break;
		}
	} else if (!strcmp(base(w[i]), "eval")) {
		struct buf s = { 0 };

		for (size_t j = i + 1; j < n && !err; j++) {
			if (j > i + 1)
				err = buf_putc(&s, ' ');
			if (!err)
				err = buf_puts(&s, w[j]);
		}
		if (!err && s.s)
			err = parse(s.s, s.len, out, depth + 1);
		free(s.s);
	}
	return err;
}

/*
 * Emits a simple command, and again what each wrapper in front of it runs:
 * "sudo rm -rf /" yields "sudo rm -rf /" and "rm -rf /", so that both
 * "sudo" and "rm -rf" can be blocked.
 */
static int emit(char *const *w, size_t n, struct hx_strings *out, int depth)
{
	size_t i = 0;
	int err = 0;

	while (i < n && is_assignment(w[i]))
		i++;
	while (i < n && !err) {
		const struct wrapper *wr = find_wrapper(w[i]);

		err = emit_from(w, n, i, out, depth);
		if (!wr)
			break;
		i = skip_wrapper(w, n, i, wr);
	}
	return err;
}

/* The end of a $( ... ) starting after "$(" at @i: the index of its ')', or len. */
static size_t match_paren(const char *s, size_t i, size_t len)
{
	int level = 1;
	char q = 0;

	for (; i < len; i++) {
		char c = s[i];

		if (q) {
			if (c == q)
				q = 0;
			else if (q == '"' && c == '\\' && i + 1 < len)
				i++;
			continue;
		}
		if (c == '\\' && i + 1 < len)
			i++;
		else if (c == '\'' || c == '"')
			q = c;
		else if (c == '(')
			level++;
		else if (c == ')' && --level == 0)
			return i;
	}
	return len;
}

static size_t match_backquote(const char *s, size_t i, size_t len)
{
	for (; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		else if (s[i] == '`')
			return i;
	}
	return len;
}

struct lex {
	struct hx_strings cmd;
	struct buf word;
	bool in_word; /* a word has started (possibly empty: "") */
	bool redirect; /* the next word is a redirection target */
	struct hx_strings *out;
	int depth;
};

static int end_word(struct lex *l)
{
	int err = 0;

	if (!l->in_word)
		return 0;
	l->in_word = false;
	if (l->redirect) {
		l->redirect = false;
		free(l->word.s);
		l->word = (struct buf){ 0 };
		return 0;
	}
	err = words_push(&l->cmd, &l->word);
	return err;
}

static int end_command(struct lex *l)
{
	int err = end_word(l);

	l->redirect = false;
	if (!err && l->cmd.n)
		err = emit(l->cmd.v, l->cmd.n, l->out, l->depth);
	words_clear(&l->cmd);
	return err;
}

/* A command substitution: its commands are checked; the word gets a placeholder. */
static int substitution(struct lex *l, const char *s, size_t from, size_t to)
{
	int err = parse(s + from, to - from, l->out, l->depth + 1);

	l->in_word = true;
	return err ? err : buf_puts(&l->word, "$(...)");
}

static int parse(const char *s, size_t len, struct hx_strings *out, int depth)
{
	struct lex l = { .out = out, .depth = depth };
	int err = 0;

	if (depth > MAX_DEPTH)
		return -ELOOP;
	for (size_t i = 0; i < len && !err; i++) {
		char c = s[i];

		switch (c) {
		case ' ':
		case '\t':
			err = end_word(&l);
			break;
		case '\n':
		case ';':
		case '&':
		case '|':
		case '(':
		case ')':
			err = end_command(&l);
			break;
		case '<':
		case '>':
			/* "2>file": the digits were a file descriptor, not a word */
			if (l.in_word && l.word.s && strspn(l.word.s, "0123456789") == l.word.len) {
				free(l.word.s);
				l.word = (struct buf){ 0 };
				l.in_word = false;
			}
			err = end_word(&l);
			while (i + 1 < len && (s[i + 1] == '>' || s[i + 1] == '&' ||
					       s[i + 1] == '|' || s[i + 1] == '<'))
				i++;
			l.redirect = true;
			break;
		case '#':
			if (!l.in_word) {
				while (i + 1 < len && s[i + 1] != '\n')
					i++;
			} else {
				err = buf_putc(&l.word, c);
			}
			break;
		case '\\':
			l.in_word = true;
			if (i + 1 < len && s[i + 1] == '\n')
				i++; /* line continuation */
			else if (i + 1 < len)
				err = buf_putc(&l.word, s[++i]);
			break;
		case '\'':
			l.in_word = true;
			while (++i < len && s[i] != '\'' && !err)
				err = buf_putc(&l.word, s[i]);
			break;
		case '"':
			l.in_word = true;
			while (++i < len && s[i] != '"' && !err) {
				if (s[i] == '\\' && i + 1 < len && strchr("$`\"\\\n", s[i + 1])) {
					err = buf_putc(&l.word, s[++i]);
				} else if (s[i] == '$' && i + 1 < len && s[i + 1] == '(') {
					size_t e = match_paren(s, i + 2, len);

					err = substitution(&l, s, i + 2, e);
					i = e;
				} else if (s[i] == '`') {
					size_t e = match_backquote(s, i + 1, len);

					err = substitution(&l, s, i + 1, e);
					i = e;
				} else {
					err = buf_putc(&l.word, s[i]);
				}
			}
			break;
		case '`': {
			size_t e = match_backquote(s, i + 1, len);

			err = substitution(&l, s, i + 1, e);
			i = e;
			break;
		}
		case '$':
			if (i + 1 < len && s[i + 1] == '(') {
				size_t e = match_paren(s, i + 2, len);

				err = substitution(&l, s, i + 2, e);
				i = e;
				break;
			}
			/* fall through */
		default:
			l.in_word = true;
			err = buf_putc(&l.word, c);
			break;
		}
	}
	if (!err)
		err = end_command(&l);
	words_free(&l.cmd);
	free(l.word.s);
	return err;
}

int hx_cmd_simple_commands(const char *s, struct hx_strings *out)
{
	size_t len = strlen(s);
	int err;

	if (len > MAX_INPUT)
		return -E2BIG;
	err = parse(s, len, out, 0);
	if (err)
		hx_cmd_strings_free(out);
	return err;
}

/* An entry of blocked_commands or allowed_commands, normalised like a command. */
static char *norm_entry(const char *e)
{
	struct hx_strings v = { 0 };
	char *r;

	if (hx_cmd_simple_commands(e, &v) || !v.n) {
		hx_cmd_strings_free(&v);
		return strdup(e);
	}
	r = v.v[0];
	v.v[0] = NULL;
	hx_cmd_strings_free(&v);
	return r;
}

static void refuse(struct hx_cmd_verdict *out, const char *list, size_t idx, const char *entry,
		   const char *cmd)
{
	out->refused = true;
	out->list = list;
	out->index = idx;
	out->entry = entry;
	snprintf(out->command, sizeof(out->command), "%s", cmd);
}

/* blocked_commands: a prefix of the command (the seed's strings.HasPrefix); allowed: whole words. */
static int check_commands(const struct hx_cmd_validation *v, const struct hx_strings *cmds,
			  struct hx_cmd_verdict *out)
{
	for (size_t c = 0; c < cmds->n && !out->refused; c++) {
		const char *cmd = cmds->v[c];
		bool allowed = v->allowed_commands.n == 0;

		for (size_t i = 0; i < v->blocked_commands.n && !out->refused; i++) {
			char *b = norm_entry(v->blocked_commands.v[i]);

			if (!b)
				return -ENOMEM;
			if (*b && !strncmp(cmd, b, strlen(b)))
				refuse(out, "blocked_commands", i, v->blocked_commands.v[i], cmd);
			free(b);
		}
		for (size_t i = 0; i < v->allowed_commands.n && !allowed; i++) {
			char *a = norm_entry(v->allowed_commands.v[i]);
			size_t alen;

			if (!a)
				return -ENOMEM;
			alen = strlen(a);
			allowed = alen && !strncmp(cmd, a, alen) &&
				  (!cmd[alen] || cmd[alen] == ' ');
			free(a);
		}
		if (!out->refused && !allowed)
			refuse(out, "allowed_commands", 0, NULL, cmd);
	}
	return 0;
}

int hx_cmd_validate_shell(const struct hx_cmd_validation *v, const char *cmd,
			  struct hx_cmd_verdict *out)
{
	struct hx_strings cmds = { 0 };
	int err;

	memset(out, 0, sizeof(*out));
	if (v->enabled == HX_NO)
		return 0;
	for (size_t i = 0; i < v->blocked_patterns.n; i++) {
		regex_t re;
		int rc = regcomp(&re, v->blocked_patterns.v[i], REG_EXTENDED | REG_NOSUB);

		if (rc) {
			out->list = "blocked_patterns";
			out->index = i;
			out->entry = v->blocked_patterns.v[i];
			return -EINVAL;
		}
		rc = regexec(&re, cmd, 0, NULL, 0);
		regfree(&re);
		if (rc == 0) {
			refuse(out, "blocked_patterns", i, v->blocked_patterns.v[i], cmd);
			return 0;
		}
	}
	if (!v->blocked_commands.n && !v->allowed_commands.n)
		return 0;
	err = hx_cmd_simple_commands(cmd, &cmds);
	if (err == -ELOOP || err == -E2BIG) {
		/* What cannot be analysed is not run. */
		refuse(out, "blocked_commands", 0, NULL,
		       err == -ELOOP ? "(nested too deeply)" : "(too long)");
		return 0;
	}
	if (!err)
		err = check_commands(v, &cmds, out);
	hx_cmd_strings_free(&cmds);
	return err;
}

int hx_cmd_validate_argv(const struct hx_cmd_validation *v, char *const *argv,
			 struct hx_cmd_verdict *out)
{
	struct hx_strings cmds = { 0 };
	size_t n = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (v->enabled == HX_NO || (!v->blocked_commands.n && !v->allowed_commands.n))
		return 0;
	while (argv[n])
		n++;
	err = emit(argv, n, &cmds, 0);
	if (err == -ELOOP) {
		refuse(out, "blocked_commands", 0, NULL, "(nested too deeply)");
		err = 0;
	} else if (!err) {
		err = check_commands(v, &cmds, out);
	}
	hx_cmd_strings_free(&cmds);
	return err;
}
