// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * spec-json.c - config.json's values read the one checked way: an object's
 * keys against the list fvm-oci honours (spec_check_keys(): a key outside
 * it that carries a value is refused, naming it), and strings, integers,
 * booleans and string arrays typed and bounded. spec.c and spec-process.c
 * read every value through these.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

#define MAX_ARGS 4096

/* does @v carry a value (one that would mean something if honoured)? */
static bool nonempty(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return false;
	case json_type_boolean: return json_object_get_boolean(v);
	case json_type_int: return json_object_get_int64(v) != 0;
	case json_type_double: return json_object_get_double(v) != 0;
	case json_type_string: return json_object_get_string_len(v) > 0;
	case json_type_array: return json_object_array_length(v) > 0;
	case json_type_object: return json_object_object_length(v) > 0;
	default: return true;
	}
}

int spec_check_keys(json_object *o, const char *where, const char *const *known,
		      struct oci_err *e)
{
	if (!json_object_is_type(o, json_type_object))
		return oci_fail(e, -EINVAL, "config.json: %s is not an object", where);
	json_object_object_foreach(o, key, val) {
		bool ok = false;
		for (const char *const *k = known; *k; k++)
			if (!strcmp(*k, key))
				ok = true;
		if (!ok && nonempty(val))
			return oci_fail(e, -EOPNOTSUPP,
					"config.json: %s%s%s is not supported by fvm-oci "
					"(remove it, or run this bundle with runc)",
					where, *where ? "." : "", key);
	}
	return 0;
}

json_object *spec_get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (o && json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null))
		return v;
	return NULL;
}

int spec_get_str(json_object *o, const char *key, const char *where, char **ret,
		   struct oci_err *e)
{
	json_object *v = spec_get(o, key);
	*ret = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) >= PATH_MAX)
		return oci_fail(e, -EINVAL, "config.json: %s.%s must be a string under %d bytes",
				where, key, PATH_MAX);
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

int spec_get_int(json_object *o, const char *key, const char *where, int64_t min,
		   int64_t max, int64_t *ret, struct oci_err *e)
{
	json_object *v = spec_get(o, key);
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return oci_fail(e, -EINVAL, "config.json: %s.%s must be an integer", where, key);
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (errno || x < min || x > max)
		return oci_fail(e, -ERANGE, "config.json: %s.%s = %lld is out of range",
				where, key, (long long)x);
	*ret = x;
	return 0;
}

bool spec_get_bool(json_object *o, const char *key)
{
	json_object *v = spec_get(o, key);
	return v && json_object_get_boolean(v);
}

/* a NULL-terminated copy of an array of strings */
int spec_get_strv(json_object *o, const char *key, const char *where, char ***ret,
		    struct oci_err *e)
{
	json_object *v = spec_get(o, key);
	*ret = NULL;
	size_t n = v ? json_object_array_length(v) : 0;
	if (v && !json_object_is_type(v, json_type_array))
		return oci_fail(e, -EINVAL, "config.json: %s.%s must be an array", where, key);
	if (n > MAX_ARGS)
		return oci_fail(e, -E2BIG, "config.json: %s.%s has more than %d entries",
				where, key, MAX_ARGS);
	char **s = calloc(n + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *x = json_object_array_get_idx(v, i);
		if (!json_object_is_type(x, json_type_string)) {
			*ret = s;
			return oci_fail(e, -EINVAL, "config.json: %s.%s[%zu] must be a string",
					where, key, i);
		}
		s[i] = strdup(json_object_get_string(x));
		if (!s[i]) {
			*ret = s;
			return -ENOMEM;
		}
	}
	*ret = s;
	return 0;
}

void spec_strv_free(char **s)
{
	for (size_t i = 0; s && s[i]; i++)
		free(s[i]);
	free(s);
}
