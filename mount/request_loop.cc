#include "mount/request_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include <linux/fuse.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <system_error>

#include "mount/init_flags.h"
#include "mount/log.h"

namespace iron::mount {
namespace {

using namespace std::chrono_literals;

// The loop this thread serves, and whether its handler has handed off.
thread_local RequestLoop* current_loop = nullptr;
thread_local bool handed_off = false;
// Whether the request being served waited for the disk (it called HandOff).
thread_local bool waited = false;

// Sent to the leader at the end, only to interrupt its read of /dev/fuse.
constexpr int kWakeSignal = SIGUSR2;
void IgnoreWake(int) {}

void InstallWakeHandler() {
  struct sigaction sa {};
  sa.sa_handler = IgnoreWake;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the read returns EINTR
  sigaction(kWakeSignal, &sa, nullptr);
}

}  // namespace

RequestLoop::RequestLoop(fuse_session* session, int max_threads, std::chrono::microseconds spin,
                         bool every_request_waits, ThreadStarter start_thread)
    : session_(session),
      max_threads_(std::max(1, max_threads)),
      spin_(spin),
      every_request_waits_(every_request_waits),
      start_thread_(start_thread ? std::move(start_thread) : [](std::function<void()> body) {
        return std::thread(std::move(body));
      }) {}

int RequestLoop::Run() {
  InstallWakeHandler();
  if (spin_ > std::chrono::microseconds(0)) {
    int fd = fuse_session_fd(session_);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  // Threads started from here on (and from the workers) keep termination
  // signals blocked, so that those reach this thread's wait.
  sigset_t termination, old;
  sigemptyset(&termination);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&termination, s);
  pthread_sigmask(SIG_BLOCK, &termination, &old);
  int started;
  {
    lsm::MutexLock l(&mu_);
    started = StartThreadLocked();
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (started != 0) return started;  // nobody would serve the mount

  mu_.Lock();
  while (!stopping_) {
    // A signal handler can only set the session's exit flag: look at it
    // now and then.
    done_.WaitUntil(&mu_, lsm::CondVar::Clock::now() + 100ms);
    if (fuse_session_exited(session_)) stopping_ = true;
  }
  fuse_session_exit(session_);
  followers_.SignalAll();
  while (running_ > 0) {
    // Repeated: the leader may have been between its check of the exit
    // flag and its read when the last signal came.
    if (leader_present_) pthread_kill(leader_, kWakeSignal);
    done_.WaitUntil(&mu_, lsm::CondVar::Clock::now() + 20ms);
  }
  std::list<std::thread> threads = std::move(threads_);
  int error = error_;
  mu_.Unlock();
  for (std::thread& t : threads) t.join();
  return error;
}

void RequestLoop::NoteCaller(const fuse_buf& buffer) {
  if (buffer.size < sizeof(fuse_in_header) || (buffer.flags & FUSE_BUF_IS_FD)) return;
  uint32_t caller = static_cast<const fuse_in_header*>(buffer.mem)->pid;
  if (caller == 0) return;  // the kernel's own (forget, interrupt)
  if (last_caller_.exchange(caller, std::memory_order_relaxed) != caller) {
    caller_changed_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                          std::memory_order_relaxed);
  }
}

void RequestLoop::HandOff() {
  waited = true;
  RequestLoop* loop = current_loop;
  if (loop == nullptr || handed_off) return;
  auto changed = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(
      loop->caller_changed_.load(std::memory_order_relaxed)));
  if (std::chrono::steady_clock::now() - changed > kAloneWindow) return;  // a lone caller
  handed_off = true;
  lsm::MutexLock l(&loop->mu_);
  loop->leader_present_ = false;
  if (loop->idle_ > 0) {
    loop->followers_.Signal();
  } else if (loop->running_ < loop->max_threads_) {
    loop->StartThreadLocked();
  }
  // Else the first thread to finish its handler leads.
}

int RequestLoop::StartThreadLocked() {
  // Counted once it runs: Run() waits for running_ to reach 0, and a
  // thread that never started would never count itself out. (It cannot
  // count itself out early either: Work() needs mu_, held here.)
  threads_.emplace_back();  // if this throws, nothing has started
  try {
    threads_.back() = start_thread_([this] { Work(); });
  } catch (const std::system_error& e) {
    threads_.pop_back();
    Log(LOG_WARNING, "cannot start a request thread (%s); %d serve the mount", e.what(), running_);
    return -e.code().value();
  }
  ++running_;
  return 0;
}

void RequestLoop::Work() {
  current_loop = this;
  fuse_buf buffer{};
  mu_.Lock();
  while (true) {
    while (leader_present_ && !stopping_) {
      ++idle_;
      followers_.Wait(&mu_);
      --idle_;
    }
    if (stopping_) break;
    leader_present_ = true;
    leader_ = pthread_self();
    mu_.Unlock();
    int error = Lead(&buffer);
    mu_.Lock();
    if (error <= 0) {  // the session ended
      leader_present_ = false;
      if (!stopping_) {
        stopping_ = true;
        error_ = error;
      }
      done_.SignalAll();
      followers_.SignalAll();
      break;
    }
  }
  --running_;
  done_.SignalAll();
  mu_.Unlock();
  free(buffer.mem);
}

int RequestLoop::Lead(fuse_buf* buffer) {
  handed_off = false;
  auto last = std::chrono::steady_clock::now();
  while (!fuse_session_exited(session_)) {
    int n = fuse_session_receive_buf(session_, buffer);
    if (n == -EAGAIN) {  // nothing yet (non-blocking only while spinning)
      if (std::chrono::steady_clock::now() - last > spin_) {
        pollfd p{.fd = fuse_session_fd(session_), .events = POLLIN};
        ::poll(&p, 1, -1);
        last = std::chrono::steady_clock::now();
      }
      continue;
    }
    if (n == -EINTR) continue;
    if (n <= 0) return n;  // 0: unmounted or told to exit
    NoteCaller(*buffer);
    waited = false;
    if (every_request_waits_) HandOff();
    if (IsInitRequest(*buffer)) {
      if (int err = ProcessInit(session_, *buffer); err < 0) return err;
    } else {
      fuse_session_process_buf(session_, buffer);
    }
    if (handed_off) return 1;
    // After a request that waited for the disk, no spinning: its caller
    // slept meanwhile, and a CPU kept busy here makes the scheduler wake
    // it on the other, idle one (an inter-processor interrupt, slow on a
    // virtual machine) instead of here. Measured on 2 vCPUs, write+fsync
    // of 4 KiB: p50 200 us with spin_us=0, 350 us with spin_us=200.
    last = std::chrono::steady_clock::now() - (waited ? spin_ : std::chrono::microseconds(0));
  }
  return 0;
}

}  // namespace iron::mount
