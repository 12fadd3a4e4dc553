// Racy snapshots. ps and the shutdown report read other threads' scheduling
// fields without their locks, on purpose: a listing may be a moment stale,
// and taking every run-queue lock to print one would perturb what it shows.
// Under ThreadSanitizer such reads are declared, so the tool can still find
// every race that is not.
#pragma once

#if defined(KT_SANITIZE_THREAD)
extern "C" void AnnotateIgnoreReadsBegin(const char* file, int line);
extern "C" void AnnotateIgnoreReadsEnd(const char* file, int line);
#define KT_RACY_READS_BEGIN() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define KT_RACY_READS_END() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define KT_RACY_READS_BEGIN() ((void)0)
#define KT_RACY_READS_END() ((void)0)
#endif
