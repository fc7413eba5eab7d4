/*
 * embedded.c: lookup in the tables of files compiled in by tools/embed.sh.
 */
#include "embedded.h"

#include <stdio.h>
#include <string.h>

const char *
embedded_find(const EmbeddedFile *files, const char *name)
{
	for (const EmbeddedFile *f = files; f->name != NULL; f++)
	{
		if (strcmp(f->name, name) == 0)
		{
			return f->text;
		}
	}
	return NULL;
}

void
embedded_names(const EmbeddedFile *files, char *out, size_t size)
{
	size_t used = 0;

	if (size == 0)
	{
		return;
	}
	out[0] = '\0';
	for (const EmbeddedFile *f = files; f->name != NULL && used < size; f++)
	{
		int n = snprintf(out + used, size - used, "%s%s",
		                 f == files ? "" : ", ", f->name);

		if (n < 0)
		{
			break;
		}
		used += (size_t)n;
	}
}
