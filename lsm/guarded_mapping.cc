#include "guarded_mapping.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

namespace iron::lsm {

namespace {

static_assert(std::atomic<uintptr_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "the SIGBUS handler may only touch lock-free atomics");

struct SlotChunk {
  static constexpr size_t kSlots = 256;
  GuardedMappingSlot slots[kSlots];
  SlotChunk* next = nullptr;  // set before the chunk is published, never after
};

// Chunks are pushed at the head and never freed: a handler may be walking
// the list at any moment.
std::atomic<SlotChunk*> g_chunks{nullptr};
uintptr_t g_page_size = 0;         // written once, before the handler is installed
struct sigaction g_previous = {};  // the same
std::once_flag g_install_once;

// A SIGBUS that is not ours goes where it went before this handler existed.
void ForwardToPrevious(int sig, siginfo_t* info, void* context) {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN &&
      g_previous.sa_handler != nullptr) {
    g_previous.sa_handler(sig);
    return;
  }
  // The default action (an ignored SIGBUS from a fault would fault again
  // forever): restore it and raise the signal again; it is delivered as
  // soon as this handler returns and ends the process with its usual core.
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGBUS, &dfl, nullptr);
  raise(SIGBUS);
}

void OnSigbus(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  // si_code > 0: the kernel raised it for a memory access (not kill()).
  if (info != nullptr && info->si_code > 0) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
    for (SlotChunk* c = g_chunks.load(std::memory_order_acquire); c != nullptr; c = c->next) {
      for (GuardedMappingSlot& s : c->slots) {
        uintptr_t begin = s.begin.load(std::memory_order_acquire);
        uintptr_t end = s.end.load(std::memory_order_acquire);
        if (addr < begin || addr >= end) continue;
        // Flagged before the zero page appears, so that a reader on another
        // thread that sees the zeros also sees the flag.
        s.damaged.store(true, std::memory_order_seq_cst);
        uintptr_t page = addr & ~(g_page_size - 1);
        // The raw system call: a sanitizer's mmap interceptor has no
        // business in a signal handler.
        long r = ::syscall(SYS_mmap, page, g_page_size, PROT_READ,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        errno = saved_errno;
        if (r != -1) return;  // the read resumes on zeros
        ForwardToPrevious(sig, info, context);
        return;
      }
    }
  }
  errno = saved_errno;
  ForwardToPrevious(sig, info, context);
}

void InstallHandler() {
  g_page_size = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  struct sigaction sa = {};
  sa.sa_sigaction = OnSigbus;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  // If this fails the process keeps the old behaviour: a lost page kills it.
  ::sigaction(SIGBUS, &sa, &g_previous);
}

GuardedMappingSlot* ClaimSlot() {
  for (SlotChunk* c = g_chunks.load(std::memory_order_acquire); c != nullptr; c = c->next) {
    for (GuardedMappingSlot& s : c->slots) {
      bool expected = false;
      if (!s.in_use.load(std::memory_order_relaxed) &&
          s.in_use.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
        return &s;
      }
    }
  }
  auto* chunk = new SlotChunk();  // never freed (see g_chunks)
  chunk->slots[0].in_use.store(true, std::memory_order_relaxed);
  SlotChunk* head = g_chunks.load(std::memory_order_acquire);
  do {
    chunk->next = head;
  } while (!g_chunks.compare_exchange_weak(head, chunk, std::memory_order_release,
                                           std::memory_order_acquire));
  return &chunk->slots[0];
}

}  // namespace

GuardedMapping::GuardedMapping(const void* base, size_t size) : slot_(ClaimSlot()) {
  std::call_once(g_install_once, InstallHandler);
  const uintptr_t begin = reinterpret_cast<uintptr_t>(base);
  const uintptr_t end = (begin + size + g_page_size - 1) & ~(g_page_size - 1);
  slot_->damaged.store(false, std::memory_order_relaxed);
  // begin before end: a handler that sees only one of them sees an empty range.
  slot_->begin.store(begin, std::memory_order_release);
  slot_->end.store(end, std::memory_order_release);
}

GuardedMapping::~GuardedMapping() {
  slot_->end.store(0, std::memory_order_release);
  slot_->begin.store(0, std::memory_order_release);
  slot_->in_use.store(false, std::memory_order_release);
}

}  // namespace iron::lsm
