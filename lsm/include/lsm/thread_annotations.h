// Clang thread-safety annotations (no-ops under other compilers).
//
// GUARDED_BY(mu) on a member says which mutex protects it; REQUIRES(mu) on
// a function says the caller must hold it, EXCLUDES(mu) that it must not.
// Clang checks them at compile time with -Wthread-safety (the CMake option
// IRON_THREAD_SAFETY), but only on a type marked CAPABILITY: std::mutex is
// not one under libstdc++, so the locks are those of lsm/mutex.h.
#pragma once

#if defined(__clang__)
#define IRON_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define IRON_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) IRON_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY IRON_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) IRON_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) IRON_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) IRON_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) IRON_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) IRON_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) IRON_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) IRON_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) IRON_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) IRON_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) IRON_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) IRON_THREAD_ANNOTATION(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS IRON_THREAD_ANNOTATION(no_thread_safety_analysis)
