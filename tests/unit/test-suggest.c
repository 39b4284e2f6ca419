/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-suggest.c - "did you mean" (cli/suggest.c): the distance counts a
 * swap of neighbours as one edit; short names and numbered siblings are
 * never taken for typos; the closest candidate wins.
 */
#include <string.h>

#include "tap.h"
#include "../../cli/suggest.c"   /* the CLI is not a library: its one file, compiled in */

static const struct {
	const char *a, *b;
	size_t d;
} dist[] = {
	{ "web", "web", 0 }, { "wbe", "web", 1 }, { "strat", "start", 1 }, { "", "abc", 3 },
	{ "kitten", "sitting", 3 }, { "comit", "commit", 1 }, { "ab", "ba", 1 },
};

static const struct {
	const char *name, *known;
	bool typo;
} typo[] = {
	{ "wbe", "web", true }, { "web", "web", false }, { "a", "b", false }, { "wb", "web", false },
	{ "web2", "web", false }, { "web", "web10", false }, { "web1", "web2", false },
	{ "databsae", "database", true }, { "mail", "web", false }, { "webserver", "websrevre", true },
	{ "abc", "xyz", false },
};

int main(void)
{
	const char *known[] = { "stop", "start", "stats", "ps" };

	tap_plan((int)(sizeof(dist) / sizeof(dist[0]) + sizeof(typo) / sizeof(typo[0])) + 4);
	for (size_t i = 0; i < sizeof(dist) / sizeof(dist[0]); i++)
		tap_ok(cli_edit_distance(dist[i].a, dist[i].b) == dist[i].d, "distance %s %s is %zu (got %zu)",
		       dist[i].a, dist[i].b, dist[i].d, cli_edit_distance(dist[i].a, dist[i].b));
	for (size_t i = 0; i < sizeof(typo) / sizeof(typo[0]); i++)
		tap_ok(cli_is_typo_of(typo[i].name, typo[i].known) == typo[i].typo, "%s is %sa typo of %s",
		       typo[i].name, typo[i].typo ? "" : "not ", typo[i].known);
	tap_ok(!strcmp(cli_suggest("strat", known, 4) ?: "", "start"), "strat: start");
	tap_ok(!strcmp(cli_suggest("stpo", known, 4) ?: "", "stop"), "stpo: stop");
	tap_ok(cli_suggest("frobnicate", known, 4) == NULL, "frobnicate: nothing");
	{
		char longer[200];

		memset(longer, 'a', sizeof(longer) - 1);
		longer[sizeof(longer) - 1] = '\0';
		tap_ok(cli_edit_distance(longer, "aaa") == (size_t)-1, "names over 64 bytes are not compared");
	}
	return tap_done();
}
