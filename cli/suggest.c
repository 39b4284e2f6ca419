// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * suggest.c - "did you mean ...?": the known name closest to a mistyped
 * one (a VM name, a subcommand), by edit distance with transpositions
 * (optimal string alignment: "wbe" is one edit from "web").
 *
 * What counts as close: one edit for names of 3 to 5 bytes, two from 6
 * on; names of one or two bytes are never typos of each other (a, b, e
 * are all one edit apart). Names that differ only in a trailing number
 * (web, web2, web10) are siblings made on purpose, not typos.
 */
#include <string.h>

#include "suggest.h"

#define SUGGEST_MAX 64   /* longer names are never compared (FVM_NAME_MAX) */

/**
 * cli_edit_distance() - optimal string alignment distance of @a and @b
 * @a, @b: strings of at most SUGGEST_MAX bytes
 *
 * Return: the number of insertions, deletions, substitutions and swaps of
 * two neighbours that turn @a into @b; SIZE_MAX for a longer string.
 */
size_t cli_edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];

	if (n > SUGGEST_MAX || m > SUGGEST_MAX)
		return (size_t)-1;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

/* the length of @s without its trailing digits */
static size_t stem_len(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] >= '0' && s[n - 1] <= '9')
		n--;
	return n;
}

/**
 * cli_is_typo_of() - is @name a likely mistyping of @known?
 * @name:  what the user typed
 * @known: an existing name
 *
 * Return: true if close (see the top of this file) and not the same.
 */
bool cli_is_typo_of(const char *name, const char *known)
{
	size_t n = strlen(name), sn = stem_len(name);

	if (!strcmp(name, known) || n < 3)
		return false;
	if (sn == stem_len(known) && !strncmp(name, known, sn))
		return false;   /* web, web2, web10: numbered siblings */
	return cli_edit_distance(name, known) <= (n >= 6 ? 2u : 1u);
}

/**
 * cli_suggest() - the known name @name is most likely a typo of
 * @name:  what the user typed
 * @known: candidates; @n of them
 * @n:     how many
 *
 * Return: the closest candidate that cli_is_typo_of() accepts, or NULL.
 */
const char *cli_suggest(const char *name, const char *const *known, size_t n)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1;

	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (!known[i] || !cli_is_typo_of(name, known[i]))
			continue;
		d = cli_edit_distance(name, known[i]);
		if (d < bestd) {
			bestd = d;
			best = known[i];
		}
	}
	return best;
}
