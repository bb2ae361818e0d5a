/*
 * trusted_page.c - the derived address of the preload's trusted page
 * (trusted_page.h), shared by the preload and sigsys-exec.
 */
#include <stdint.h>

#include "trusted_page.h"

uint64_t sigsys_trusted_page_derive(const char *policy, const char *spool, const char *seed)
{
	const char *v[3] = { policy, spool, seed };
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 3; i++) {
		if (i == 2 && (!seed || !*seed))
			break; /* no seed: the address of the two paths alone */
		if (!v[i] || !*v[i])
			return 0;
		for (const char *c = v[i]; *c; c++)
			h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
		h = (h ^ 0xff) * 0x100000001b3ull; /* separator */
	}
	return SIGSYS_TRUSTED_BASE + (h % SIGSYS_TRUSTED_SPAN_PAGES) * 4096u;
}
