/* policy.c - the registry of eviction policies (policies.def, one line per
 * policy) and the parser of policy specs, "name[:key=value,...]". */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define POLICY(name) extern const struct policy_ops policy_##name;
#include "policies.def"
#undef POLICY

static const struct policy_ops *const policies[] = {
#define POLICY(name) &policy_##name,
#include "policies.def"
#undef POLICY
	NULL,
};

const struct policy_ops *policy_find(const char *name)
{
	for (int i = 0; policies[i]; i++)
		if (strcmp(policies[i]->name, name) == 0)
			return policies[i];
	return NULL;
}

const struct policy_ops *const *policy_all(void)
{
	return policies;
}

static int nparams(const struct policy_ops *ops)
{
	int n = 0;

	while (ops->params && ops->params[n].key)
		n++;
	return n;
}

int policy_parse(const char *spec, const struct policy_ops **ops,
		 double param[POLICY_MAX_PARAMS], char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
	char name[64], *copy, *tok, *save = NULL;
	const struct policy_ops *o = NULL;
	int n, rc = -EINVAL;

	if (nlen < sizeof(name)) {
		memcpy(name, spec, nlen);
		name[nlen] = '\0';
		o = policy_find(name);
	}
	if (!o) {
		snprintf(err, errlen, "%.*s: unknown policy", (int)nlen, spec);
		return -EINVAL;
	}
	n = nparams(o);
	for (int i = 0; i < n; i++)
		param[i] = o->params[i].def;
	*ops = o;
	if (!colon)
		return 0;
	copy = strdup(colon + 1);
	if (!copy) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	/* ':' separates parameters too, for mount options (-o splits at
	 * commas). */
	for (tok = strtok_r(copy, ",:", &save); tok;
	     tok = strtok_r(NULL, ",:", &save)) {
		char *eq = strchr(tok, '='), *end;
		int i;

		if (!eq) {
			snprintf(err, errlen, "%s: %s: expected key=value",
				 o->name, tok);
			goto out;
		}
		*eq = '\0';
		for (i = 0; i < n && strcmp(o->params[i].key, tok); i++)
			;
		if (i == n) {
			snprintf(err, errlen, "%s: %s: unknown parameter%s",
				 o->name, tok, n ? " (see --list)" :
				 " (it takes none)");
			goto out;
		}
		errno = 0;
		param[i] = strtod(eq + 1, &end);
		/* strtod() takes "nan" and "inf": NaN compares false with
		 * everything, so the range is tested as "inside", which NaN
		 * never is (a policy sizing a table from it would ask for
		 * an absurd allocation). */
		if (errno || end == eq + 1 || *end || !isfinite(param[i]) ||
		    !(param[i] >= o->params[i].min &&
		      param[i] <= o->params[i].max) ||
		    (o->params[i].integer &&
		     param[i] != (double)(uint64_t)param[i])) {
			snprintf(err, errlen, "%s: %s=%s: not a %s in %g..%g",
				 o->name, tok, eq + 1,
				 o->params[i].integer ? "whole number" :
				 "number", o->params[i].min, o->params[i].max);
			goto out;
		}
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int policy_split_list(const char *list, char ***out)
{
	char *copy = strdup(list), *tok, *save = NULL;
	char **v = calloc(1, sizeof(*v));
	int n = 0;

	if (!copy || !v)
		goto nomem;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n > 0 && strchr(tok, '=') && !strchr(tok, ':')) {
			size_t len = strlen(v[n - 1]) + strlen(tok) + 2;
			char *s = malloc(len);

			if (!s)
				goto nomem;
			snprintf(s, len, "%s,%s", v[n - 1], tok);
			free(v[n - 1]);
			v[n - 1] = s;
			continue;
		}
		char **nv = realloc(v, (size_t)(n + 2) * sizeof(*v));

		if (!nv)
			goto nomem;
		v = nv;
		v[n] = strdup(tok);
		v[n + 1] = NULL;
		if (!v[n])
			goto nomem;
		n++;
	}
	free(copy);
	*out = v;
	return n;
nomem:
	free(copy);
	for (int i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
	return -ENOMEM;
}

void policy_print_list(FILE *out)
{
	for (int i = 0; policies[i]; i++) {
		const struct policy_ops *o = policies[i];

		fprintf(out, "%-9s %s%s\n", o->name, o->summary,
			o->flags & POLICY_NEEDS_FUTURE ?
			" (simulator only)" : "");
		for (int k = 0; k < nparams(o); k++)
			fprintf(out, "%9s   %s:%s=%g  %s (%g to %g)\n", "",
				o->name, o->params[k].key, o->params[k].def,
				o->params[k].help, o->params[k].min,
				o->params[k].max);
	}
}
