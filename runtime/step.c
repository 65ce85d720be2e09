/*
 * step.c — names of step states, as the journal stores and `mrun show` prints them.
 */
#include "step.h"

const char *step_status_name(enum step_status s)
{
	switch (s) {
	case STEP_PENDING: return "pending";
	case STEP_DONE: return "done";
	case STEP_SKIPPED: return "skipped";
	case STEP_FAILED: return "failed";
	case STEP_UNDONE: return "undone";
	case STEP_UNDO_FAILED: return "undo_failed";
	}
	return "?";
}
