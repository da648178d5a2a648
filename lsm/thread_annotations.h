// Clang thread-safety annotations (no-ops under other compilers).
//
// GUARDED_BY(mu) on a member says which mutex protects it; REQUIRES(mu) on
// a function says the caller must hold it. Clang checks both at compile time
// with -Wthread-safety.
#pragma once

#if defined(__clang__)
#define IRON_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define IRON_THREAD_ANNOTATION(x)
#endif

#define GUARDED_BY(x) IRON_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) IRON_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) IRON_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) IRON_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS IRON_THREAD_ANNOTATION(no_thread_safety_analysis)
