// RequestLoop's threads, without a kernel: a libfuse session reads the
// test's requests from a socket (fuse_session_custom_io) instead of
// /dev/fuse, and the loop's threads come from a ThreadStarter that the
// test can make fail, as std::thread fails under a limit on threads. A
// thread that never started must not be waited for at unmount, and the
// loop must go on serving with the threads it has.
#include "mount/request_loop.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/fuse.h>

#include <atomic>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

namespace iron::mount {
namespace {

using namespace std::chrono_literals;

// The kernel's side: sends requests, keeps the errors of the replies.
class FakeKernel {
 public:
  FakeKernel() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds_), 0);
    char name[] = "request_loop_test";
    char* argv[] = {name};
    args_ = FUSE_ARGS_INIT(1, argv);
    fuse_lowlevel_ops ops{};
    ops.getattr = GetattrThatWaits;
    session_ = fuse_session_new(&args_, &ops, sizeof(ops), this);
    EXPECT_NE(session_, nullptr);
    static const fuse_custom_io io{.writev = TakeReply, .read = ReadRequest};
    EXPECT_EQ(fuse_session_custom_io(session_, &io, fds_[1]), 0);  // the session closes it
  }
  ~FakeKernel() {
    Unmount();
    fuse_session_destroy(session_);
    fuse_opt_free_args(&args_);  // what libfuse added to them
  }

  fuse_session* session() { return session_; }

  void SendInit() {
    fuse_init_in init{};
    init.major = FUSE_KERNEL_VERSION;
    init.minor = 31;
    init.max_readahead = 1 << 17;
    Send(FUSE_INIT, 0, 0, &init, sizeof(init));
  }
  // A request of the process `pid` whose handler waits (hands off).
  void SendGetattr(uint32_t pid) {
    fuse_getattr_in getattr{};
    Send(FUSE_GETATTR, FUSE_ROOT_ID, pid, &getattr, sizeof(getattr));
  }
  // As an unmount: the session's next read finds the device gone.
  void Unmount() {
    if (fds_[0] >= 0) ::close(fds_[0]);
    fds_[0] = -1;
  }

  // The errors of the replies so far (0: success), once there are `n`.
  std::vector<int32_t> AwaitReplies(size_t n) {
    for (auto start = std::chrono::steady_clock::now();
         std::chrono::steady_clock::now() - start < 30s; std::this_thread::sleep_for(1ms)) {
      std::lock_guard l(mu_);
      if (errors_.size() >= n) return errors_;
    }
    std::lock_guard l(mu_);
    return errors_;
  }

 private:
  void Send(uint32_t opcode, uint64_t node, uint32_t pid, const void* body, size_t size) {
    fuse_in_header header{};
    header.len = static_cast<uint32_t>(sizeof(header) + size);
    header.opcode = opcode;
    header.unique = ++unique_;
    header.nodeid = node;
    header.pid = pid;
    iovec iov[2] = {{&header, sizeof(header)}, {const_cast<void*>(body), size}};
    ASSERT_EQ(::writev(fds_[0], iov, 2), static_cast<ssize_t>(header.len));
  }

  static ssize_t ReadRequest(int fd, void* buf, size_t size, void*) {
    ssize_t n = ::read(fd, buf, size);
    if (n == 0) {  // the test closed its end
      errno = ENODEV;
      return -1;
    }
    return n;
  }

  static ssize_t TakeReply(int, iovec* iov, int count, void* userdata) {
    auto* kernel = static_cast<FakeKernel*>(userdata);
    ssize_t size = 0;
    for (int i = 0; i < count; ++i) size += static_cast<ssize_t>(iov[i].iov_len);
    fuse_out_header header;
    EXPECT_GE(iov[0].iov_len, sizeof(header));
    std::memcpy(&header, iov[0].iov_base, sizeof(header));
    std::lock_guard l(kernel->mu_);
    kernel->errors_.push_back(header.error);
    return size;
  }

  // Waits as an fsync does: hands off first. Like the FUSE adapter's
  // barrier, it answers EIO if anything is thrown at it.
  static void GetattrThatWaits(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
    try {
      RequestLoop::HandOff();
    } catch (...) {
      fuse_reply_err(req, EIO);
      return;
    }
    fuse_reply_err(req, ENOSYS);
  }

  int fds_[2] = {-1, -1};
  fuse_args args_{};
  fuse_session* session_ = nullptr;
  uint64_t unique_ = 0;
  std::mutex mu_;
  std::vector<int32_t> errors_;
};

// Starts the first `working` threads asked for, then fails as std::thread
// does when the process may have no more threads.
class LimitedThreads {
 public:
  explicit LimitedThreads(int working) : working_(working) {}

  RequestLoop::ThreadStarter Starter() {
    return [this](std::function<void()> body) {
      if (asked_.fetch_add(1) >= working_) {
        throw std::system_error(EAGAIN, std::generic_category(), "no more threads");
      }
      return std::thread(std::move(body));
    };
  }
  int asked() const { return asked_.load(); }

 private:
  const int working_;
  std::atomic<int> asked_{0};
};

// A loop over a fake kernel, run on a thread of its own.
struct Mount {
  Mount(int max_threads, int working_threads) : threads(working_threads) {
    loop = std::make_unique<RequestLoop>(kernel.session(), max_threads, 0us,
                                         /*every_request_waits=*/false, threads.Starter());
  }
  FakeKernel kernel;
  LimitedThreads threads;
  std::unique_ptr<RequestLoop> loop;
};

// Sends `requests`, unmounts, and returns what Run() returned, or nullopt
// if it has not returned within 30 s: the thread stuck in Run() is then
// left behind with the mount, so that the test fails instead of hanging.
std::optional<int> RunAndUnmount(std::shared_ptr<Mount> mount,
                                 const std::function<void(Mount&)>& requests) {
  auto result = std::make_shared<std::promise<int>>();
  std::future<int> done = result->get_future();
  std::thread runner([mount, result] {
    try {
      result->set_value(mount->loop->Run());
    } catch (...) {
      result->set_exception(std::current_exception());
    }
  });
  requests(*mount);
  mount->kernel.Unmount();
  if (done.wait_for(30s) != std::future_status::ready) {
    runner.detach();  // it holds the mount
    return std::nullopt;
  }
  runner.join();
  return done.get();
}

// Two callers take turns, so that every request hands off (none is a lone
// caller's; see RequestLoop).
void InitAndGetattrs(Mount& m, int getattrs) {
  m.kernel.SendInit();
  for (int i = 0; i < getattrs; ++i) m.kernel.SendGetattr(100 + i % 2);
  std::vector<int32_t> errors = m.kernel.AwaitReplies(1 + getattrs);
  ASSERT_EQ(errors.size(), 1u + getattrs);
  EXPECT_EQ(errors[0], 0);  // INIT
  for (int i = 1; i <= getattrs; ++i) EXPECT_EQ(errors[i], -ENOSYS) << "reply " << i;
}

// The harness itself: with threads to spare, requests that hand off are
// served, more threads join, and the unmount ends Run().
TEST(RequestLoop, ServesAndEndsAtUnmount) {
  auto mount = std::make_shared<Mount>(/*max_threads=*/4, /*working_threads=*/4);
  std::optional<int> status = RunAndUnmount(mount, [](Mount& m) { InitAndGetattrs(m, 6); });
  ASSERT_TRUE(status.has_value()) << "Run() did not return after the unmount";
  EXPECT_EQ(*status, 0);
  EXPECT_GE(mount->threads.asked(), 2);
}

// A hand-off that cannot start a thread: the loop serves on with the one
// it has, and the unmount does not wait for threads that never started.
TEST(RequestLoop, AThreadThatCannotStartIsNotWaitedFor) {
  auto mount = std::make_shared<Mount>(/*max_threads=*/4, /*working_threads=*/1);
  std::optional<int> status = RunAndUnmount(mount, [](Mount& m) { InitAndGetattrs(m, 6); });
  EXPECT_GE(mount->threads.asked(), 2) << "no hand-off asked for a thread";
  ASSERT_TRUE(status.has_value()) << "Run() waits for threads that never started";
  EXPECT_EQ(*status, 0);
}

// Not even the first thread: Run() says so instead of serving nothing.
TEST(RequestLoop, NoThreadAtAllIsAnError) {
  auto mount = std::make_shared<Mount>(/*max_threads=*/4, /*working_threads=*/0);
  std::optional<int> status;
  EXPECT_NO_THROW(status = RunAndUnmount(mount, [](Mount&) {}));
  ASSERT_TRUE(status.has_value()) << "Run() did not return";
  EXPECT_EQ(*status, -EAGAIN);
}

}  // namespace
}  // namespace iron::mount
