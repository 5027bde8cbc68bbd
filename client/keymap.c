#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keymap.h"

/* US layout, set 1: each row of keys as it reads unshifted, then shifted */
static const struct {
	unsigned first;           /* scan code of the row's first key */
	const char *plain, *shifted;
} rows[] = {
	{ 0x02, "1234567890-=", "!@#$%^&*()_+" },
	{ 0x10, "qwertyuiop[]", "QWERTYUIOP{}" },
	{ 0x1e, "asdfghjkl;'`", "ASDFGHJKL:\"~" },
	{ 0x2b, "\\zxcvbnm,./", "|ZXCVBNM<>?" },
};

bool r3d_keymap_lookup(char ch, struct r3d_key_stroke *out)
{
	*out = (struct r3d_key_stroke){ .ch = ch };
	switch (ch) {
	case ' ':
		out->scancode = 0x39;
		return true;
	case '\n':
		out->scancode = 0x1c;
		return true;
	case '\t':
		out->scancode = 0x0f;
		return true;
	case '\0':
		return false;
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *p = strchr(rows[i].plain, ch);
		const char *s = strchr(rows[i].shifted, ch);

		if (p || s) {
			out->shift = !p;
			out->scancode = rows[i].first + (unsigned)(p ? p - rows[i].plain : s - rows[i].shifted);
			return true;
		}
	}
	return false;
}

/* Bytes of the UTF-8 sequence that starts with b (1 for anything odd). */
static size_t utf8_length(unsigned char b)
{
	if (b >= 0xf0 && b < 0xf8)
		return 4;
	if (b >= 0xe0)
		return b < 0xf0 ? 3 : 1;
	if (b >= 0xc0)
		return 2;
	return 1;
}

bool r3d_keymap_parse(const char *text, struct r3d_key_stroke **keys, size_t *n,
		      char error[R3D_KEYMAP_ERROR_SIZE])
{
	size_t len = strlen(text), count = 0, position = 0;
	struct r3d_key_stroke *out;

	*keys = NULL;
	*n = 0;
	error[0] = '\0';
	if (len == 0) {
		snprintf(error, R3D_KEYMAP_ERROR_SIZE, "empty: nothing to type");
		return false;
	}
	out = calloc(len, sizeof(*out));
	if (!out) {
		snprintf(error, R3D_KEYMAP_ERROR_SIZE, "out of memory");
		return false;
	}
	for (size_t i = 0; i < len; position++) {
		char ch = text[i];
		size_t used = 1;

		if (ch == '\\') {
			char next = text[i + 1];

			used = 2;
			if (next == 'n')
				ch = '\n';
			else if (next == 't')
				ch = '\t';
			else if (next == '\\')
				ch = '\\';
			else {
				snprintf(error, R3D_KEYMAP_ERROR_SIZE,
					 "character %zu: unknown escape '\\%.*s' (\\n is Enter, \\t Tab, "
					 "\\\\ a backslash)", position + 1, next ? 1 : 0, &text[i + 1]);
				goto fail;
			}
		}
		if ((unsigned char)ch >= 0x80 || !r3d_keymap_lookup(ch, &out[count])) {
			size_t bytes = utf8_length((unsigned char)ch);

			if (bytes > len - i)
				bytes = 1;
			if ((unsigned char)ch < 0x20 || ch == 0x7f)
				snprintf(error, R3D_KEYMAP_ERROR_SIZE,
					 "character %zu (control code 0x%02x) has no scancode (US keyboard: "
					 "letters, digits, space, punctuation, \\n, \\t)", position + 1,
					 (unsigned char)ch);
			else
				snprintf(error, R3D_KEYMAP_ERROR_SIZE,
					 "character %zu '%.*s' has no scancode (US keyboard: letters, "
					 "digits, space, punctuation, \\n, \\t)", position + 1, (int)bytes,
					 &text[i]);
			goto fail;
		}
		count++;
		i += used;
	}
	*keys = out;
	*n = count;
	return true;
fail:
	free(out);
	return false;
}

const char *r3d_keymap_name(char ch, char buf[2])
{
	switch (ch) {
	case ' ': return "space";
	case '\n': return "enter";
	case '\t': return "tab";
	case ',': return "comma";
	case '"': return "dquote";
	}
	buf[0] = ch;
	buf[1] = '\0';
	return buf;
}
