/* policy.c - the registry of eviction policies: one line per policy. */
#include <string.h>

#include "policy.h"

extern const struct policy_ops policy_fifo;
extern const struct policy_ops policy_lru;
extern const struct policy_ops policy_clock;

static const struct policy_ops *const policies[] = {
	&policy_fifo,
	&policy_lru,
	&policy_clock,
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
