// The request loop: reads FUSE requests and runs their handlers, with as
// few hand-offs between threads as the requests allow.
//
// Leader and followers. One thread at a time, the leader, reads from
// /dev/fuse and runs each handler itself, so a quick request (a lookup, a
// create, a write into the MemTable) costs no wake-up of another thread:
// on a small machine that hand-off costs more than the work. A handler
// that is about to wait (an fsync waits for the disk) calls
// RequestLoop::HandOff() first: an idle thread, or a new one up to
// `max_threads`, becomes the leader and goes on reading while this one
// waits, so concurrent fsyncs still meet in one group commit. When every
// request may wait (every change syncs, -o sync), the loop hands off before
// each one itself. A thread
// that handed off becomes an idle follower when its handler returns. When
// every request of the last kAloneWindow came from one thread of one
// program, nobody else is waiting: the handler keeps the lead (the
// hand-off and the wake-up that ends it would double a lone fsync).
//
// Spinning. After each request the leader keeps looking for the next one
// for `spin` before it sleeps in poll(). A program that waits on the mount
// usually sends its next request within microseconds; found by a thread
// that is awake, it is served without the wake-up of a sleeping thread,
// which on a virtual machine costs as much as the rest of the round trip.
// The price is at most `spin` of one CPU after the last request. No spin
// follows a request that waited for the disk: its caller slept, and is
// woken sooner on the CPU this thread leaves free.
//
// Run() returns when the kernel ends the session (unmount) or when
// fuse_session_exit() is called, e.g. by libfuse's signal handlers.
// Termination signals reach only the thread that called Run().
//
// Threads. A thread that cannot be started (std::thread throws, e.g.
// EAGAIN under a limit on threads) is logged, and the loop goes on with
// the threads it has; Run() fails only if it cannot start the first.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <thread>

#include "lsm/mutex.h"
#include "lsm/thread_annotations.h"

namespace iron::mount {

class RequestLoop {
 public:
  // Starts a thread that runs `body`, or throws std::system_error, as the
  // constructor of std::thread does (which it is, outside tests).
  using ThreadStarter = std::function<std::thread(std::function<void()> body)>;

  RequestLoop(fuse_session* session, int max_threads, std::chrono::microseconds spin,
              bool every_request_waits, ThreadStarter start_thread = nullptr);
  RequestLoop(const RequestLoop&) = delete;
  RequestLoop& operator=(const RequestLoop&) = delete;

  // Serves requests until the session ends; 0, or a negative errno if
  // reading from the kernel failed or no thread could start.
  int Run();

  // From inside a handler run by a RequestLoop thread: lets another thread
  // read the next requests while this handler blocks. Does nothing
  // elsewhere (e.g. in tests that call handlers directly).
  static void HandOff();

 private:
  void Work();
  // Reads and runs requests; 1 once a handler has handed off, else what
  // ended the session (0, or a negative errno).
  int Lead(fuse_buf* buffer);
  // Remembers who sent the request in `buffer` (see kAloneWindow).
  void NoteCaller(const fuse_buf& buffer);
  // Starts a thread that runs Work(): 0, or (logged) the negative errno
  // of why it could not start.
  int StartThreadLocked() REQUIRES(mu_);

  fuse_session* const session_;
  const int max_threads_;
  const std::chrono::microseconds spin_;
  const bool every_request_waits_;
  const ThreadStarter start_thread_;
  static constexpr std::chrono::milliseconds kAloneWindow{10};

  // The caller (thread id) of the last request, and when a request last
  // came from a different one; kept by the leader.
  std::atomic<uint32_t> last_caller_{0};
  std::atomic<std::chrono::steady_clock::rep> caller_changed_{0};

  lsm::Mutex mu_;
  lsm::CondVar followers_;  // an idle thread may lead, or stop
  lsm::CondVar done_;       // for Run(): stopping, or a thread ended
  bool leader_present_ GUARDED_BY(mu_) = false;
  pthread_t leader_ GUARDED_BY(mu_) = {};
  int idle_ GUARDED_BY(mu_) = 0;
  int running_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  int error_ GUARDED_BY(mu_) = 0;
  std::list<std::thread> threads_ GUARDED_BY(mu_);
};

}  // namespace iron::mount
