/*
 * ir.c — freeing a plan's IR.  Every string in it is owned by the plan.
 */
#include <stdlib.h>

#include "ir.h"

static void ir_words_free(struct ir_word *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].word);
	free(w);
}

static void ir_entry_free(struct ir_entry *e)
{
	free(e->id);
	free(e->type);
	free(e->source.path);
	free(e->target.path);
	for (size_t i = 0; i < e->n_lower; i++)
		free(e->lower[i].path);
	free(e->lower);
	free(e->upper.path);
	free(e->work.path);
	ir_words_free(e->options, e->n_options);
	for (size_t i = 0; i < e->n_data; i++)
		free(e->data[i]);
	free(e->data);
	free(e->idmap.uid);
	free(e->idmap.gid);
	free(e->requires.name);
	ir_words_free(e->after, e->n_after);
}

void ir_plan_free(struct ir_plan *plan)
{
	if (!plan)
		return;
	free(plan->file);
	free(plan->root);
	for (size_t i = 0; i < plan->n_entries; i++)
		ir_entry_free(&plan->entries[i]);
	free(plan->entries);
	ir_words_free(plan->masked, plan->n_masked);
	ir_words_free(plan->readonly, plan->n_readonly);
	*plan = (struct ir_plan){ 0 };
}
