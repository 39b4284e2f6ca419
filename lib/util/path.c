// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * path.c - comparing absolute paths component-wise, as text only: nothing
 * here touches the file system.
 */
#include <stdbool.h>
#include <string.h>

#include "util/util.h"

/* Is @path equal to @prefix or below it (whole components)? */
bool path_has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return path[0] == '/';
	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

/* The rest of @path below @prefix ("" for @prefix itself), or NULL. */
const char *path_under(const char *path, const char *prefix)
{
	if (!path_has_prefix(path, prefix))
		return NULL;
	path += strcmp(prefix, "/") ? strlen(prefix) : 0;
	while (*path == '/')
		path++;
	return path;
}
