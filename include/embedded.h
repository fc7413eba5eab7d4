/*
 * embedded.h: text files compiled into the binary by tools/embed.sh: the
 * statements of sql/ and the default configuration. config.c resolves the
 * statement names a configuration gives (sql, read_sql, saturated,
 * saturated_seed, prelude, rescan_keys) against embedded_sql, and uses
 * embedded_config when no --config is given; recompute.c and trending.c
 * find their fixed statements there too.
 */
#ifndef RECKON_EMBEDDED_H
#define RECKON_EMBEDDED_H

typedef struct EmbeddedFile
{
	const char *name; /* base name without extension */
	const char *text;
} EmbeddedFile;

/* Each ends with an entry whose name is NULL. */
extern const EmbeddedFile embedded_sql[];
extern const EmbeddedFile embedded_config[];

/* embedded_find: the entry called name, or NULL. */
const char *embedded_find(const EmbeddedFile *files, const char *name);

#endif
