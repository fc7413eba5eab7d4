/*
 * embedded.h: text files compiled into the binary by tools/embed.sh: the
 * rules of sql/rules/ and the write policies of sql/policies/ (config.c
 * composes a processor's statements from them, see rule.h), the other
 * statements of sql/ (config.c resolves the names a configuration gives,
 * saturated, saturated_seed, prelude and rescan_keys, against
 * embedded_sql; recompute.c and trending.c find their fixed statements
 * there too), and the default configuration (config.c uses it when no
 * --config is given).
 */
#ifndef RECKON_EMBEDDED_H
#define RECKON_EMBEDDED_H

#include <stddef.h>

typedef struct EmbeddedFile
{
	const char *name; /* base name without extension */
	const char *text;
} EmbeddedFile;

/* Each ends with an entry whose name is NULL. */
extern const EmbeddedFile embedded_sql[];
extern const EmbeddedFile embedded_rules[];
extern const EmbeddedFile embedded_policies[];
extern const EmbeddedFile embedded_config[];

/* embedded_find: the entry called name, or NULL. */
const char *embedded_find(const EmbeddedFile *files, const char *name);

/*
 * embedded_names: the names of files, ", " between them, into out (cut
 * short when it does not fit), for messages that list what exists.
 */
void embedded_names(const EmbeddedFile *files, char *out, size_t size);

#endif
