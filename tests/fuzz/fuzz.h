/*
 * fuzz.h — what the fuzz targets in tests/fuzz/ share (fuzz-plan.c,
 * fuzz-import-fstab.c, fuzz-import-oci.c, fuzz-journal.c).
 *
 * Each target is built twice (build.ninja):
 *   build/fuzz/fuzz-NAME          clang -fsanitize=fuzzer,address,undefined:
 *                                 libFuzzer's main calls LLVMFuzzerTestOneInput
 *   build/tests/fuzz/replay-NAME  gcc, linked with replay.c: replays the files
 *                                 named on its command line (a corpus, crash
 *                                 regressions) and prints each one's verdict,
 *                                 so `ninja test` runs every corpus file
 *                                 without clang (the tests/fuzz .t files).
 *
 * A target never treats a refused input as a failure: refusing is the job.
 * It calls fuzz_bug() (abort, so libFuzzer records a crash) only when an
 * invariant breaks: the compiler wrote bytecode the verifier refuses, an
 * importer's plan is refused by the front end, and so on.
 */
#ifndef MOUNTPLAN_FUZZ_H
#define MOUNTPLAN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The verdict on the last input: "accepted ..." or "refused: ..."; the
 * replay driver prints it after the file name.  Set with fuzz_verdict().
 */
extern char fuzz_last_verdict[512];
void fuzz_verdict(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * An invariant broke: print why to stderr and abort(), so libFuzzer keeps
 * the input.  Except for a bug already reported: when the message contains
 * one of the '|'-separated substrings of $MP_FUZZ_KNOWN, the verdict says
 * "known bug: ..." and fuzz_bug returns, so a long campaign goes on looking
 * for new bugs.  Callers return at once after it.
 */
void fuzz_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The fuzzing machinery itself failed (no /dev/null, no temp dir): abort. */
void fuzz_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
