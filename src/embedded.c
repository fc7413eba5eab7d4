/*
 * embedded.c: lookup in the tables of files compiled in by tools/embed.sh.
 */
#include "embedded.h"

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
