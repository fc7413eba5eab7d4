/*
 * recompute_rows.c: a read's rows as the APPLY statement's array
 * parameters (see recompute_rows.h).
 *
 * Pipeline: replica (reads) -> [recompute_rows] -> recompute (writes).
 * It must never drop or reorder a row: element r of every array is row r
 * of the read.
 */
#include "recompute_rows.h"

#include <stdlib.h>
#include <string.h>

void
recompute_rows_free(RecomputeRows *rows)
{
	for (int i = 0; i < RULE_COLUMNS_MAX; i++)
	{
		free(rows->arrays[i]);
		rows->arrays[i] = NULL;
		rows->capacity[i] = 0;
	}
}

/* Append text to array i, growing it; aborts on OOM. */
static void
recompute_rows_append(RecomputeRows *rows, int i, size_t *used,
                      const char *text, size_t len)
{
	if (*used + len + 1 > rows->capacity[i])
	{
		size_t capacity = rows->capacity[i] ? rows->capacity[i] : 256;
		char *grown;

		while (*used + len + 1 > capacity)
		{
			capacity *= 2;
		}
		grown = realloc(rows->arrays[i], capacity);
		if (grown == NULL)
		{
			common_out_of_memory("apply parameter");
		}
		rows->arrays[i] = grown;
		rows->capacity[i] = capacity;
	}
	memcpy(rows->arrays[i] + *used, text, len);
	*used += len;
	rows->arrays[i][*used] = '\0';
}

/* One element: double-quoted, with '"' and '\\' escaped. */
static void
recompute_rows_element(RecomputeRows *rows, int c, size_t *used, const char *v)
{
	recompute_rows_append(rows, c, used, "\"", 1);
	for (const char *x = v; *x != '\0'; x++)
	{
		if (*x == '"' || *x == '\\')
		{
			recompute_rows_append(rows, c, used, "\\", 1);
		}
		recompute_rows_append(rows, c, used, x, 1);
	}
	recompute_rows_append(rows, c, used, "\"", 1);
}

/*
 * Every element is double-quoted (valid for each element type, and for
 * whatever text a custom rule returns), NULL as NULL.
 */
void
recompute_rows_format(RecomputeRows *rows, const PgconnResult *read,
                      int ncolumns, const char **values)
{
	int nrows = pgconn_result_rows(read);

	ASSERT(ncolumns <= RULE_COLUMNS_MAX);
	for (int c = 0; c < ncolumns; c++)
	{
		size_t used = 0;

		recompute_rows_append(rows, c, &used, "{", 1);
		for (int r = 0; r < nrows; r++)
		{
			const char *v = pgconn_result_value(read, r, c);

			if (r > 0)
			{
				recompute_rows_append(rows, c, &used, ",", 1);
			}
			if (v == NULL)
			{
				recompute_rows_append(rows, c, &used, "NULL", 4);
				continue;
			}
			recompute_rows_element(rows, c, &used, v);
		}
		recompute_rows_append(rows, c, &used, "}", 1);
		values[c] = rows->arrays[c];
	}
}
