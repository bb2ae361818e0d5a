// ring_binding.cc - RingReader: the consumer side of the spool ring
// (native/src/ring.h) for the collector.  Typed view in src/native/native.d.ts.
//
//   new RingReader(path)       open + map read-write (the cursor lives in the file)
//   .meta()                    encoded RingMeta (a copy)
//   .stats()                   head, cursor, dropped, ...
//   .read(from, max)           copies of committed records, ticket order
//   .readPacked(from, max)     the same, in one buffer (the collector's hot path)
//   .commit(cursor)            store the cursor (release), freeing slots
//   .flushHot(nowNs)           turn hot-loop counts into count records (below)
//   .skipPending(from, upto)   step over tickets that are still pending (torn)
//   .file()                    owner uid, inode, device of the mapped file
//   .close()
//
// Hostile rings.  The workload owns its ring file and may write anything into
// it, or ftruncate it under us.  Values are handled by ring.c (every record is
// copied out, then validated; nothing loops on a value from the file); this
// file adds the two things that need the file itself:
//
//   * Size.  Touching a page of a MAP_SHARED mapping beyond the end of the
//     file raises SIGBUS, which would kill the collector.  MAP_PRIVATE would
//     not help (the pages are still backed by the file until written) and
//     the cursor must be shared anyway.  So every access runs under a SIGBUS
//     guard: a handler that siglongjmp()s out when the faulting address is
//     inside the mapping we are reading on this thread, and otherwise
//     behaves as if it were not there (chains to the previous handler or
//     restores the default and lets the fault repeat).  A guarded fault
//     becomes an ERING error.
//   * File descriptors.  The file is closed as soon as it is mapped (the
//     mapping keeps the inode): a spool with thousands of rings costs no
//     descriptors, so a neighbour's junk files cannot make the collector run
//     out of them (EMFILE).  What the collector needs to know about the file
//     (owner uid, inode) is taken from the fstat() of the descriptor it
//     mapped, not from the path, which a neighbour may swap.
//   * Counters.  head and cursor are re-read on every call; a head behind the
//     cursor or more than record_count ahead of it cannot come from a real
//     producer, so read() throws ERING instead of trusting it, and no call
//     ever does more than record_count + max iterations.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "bindings.h"

extern "C" {
#include "ring.h"
}

namespace sigsys {
namespace {

// ---- SIGBUS guard ----

// Per-thread guard state.  Written only outside the handler; the TLS block
// of this module is allocated by the first (non-signal) access, so reading it
// from the handler does not allocate.
thread_local sigjmp_buf *t_jmp = nullptr;
thread_local const uint8_t *t_lo = nullptr;
thread_local const uint8_t *t_hi = nullptr;

struct sigaction g_old_bus;
std::once_flag g_bus_once;

void OnSigbus(int sig, siginfo_t *si, void *uc) {
  const uint8_t *addr = static_cast<const uint8_t *>(si->si_addr);
  if (t_jmp && addr >= t_lo && addr < t_hi) siglongjmp(*t_jmp, 1);
  // Not a fault of ours: behave as if we were not installed.
  if (g_old_bus.sa_flags & SA_SIGINFO) {
    if (g_old_bus.sa_sigaction) g_old_bus.sa_sigaction(sig, si, uc);
    return;
  }
  if (g_old_bus.sa_handler == SIG_DFL || g_old_bus.sa_handler == SIG_IGN) {
    // Returning re-executes the faulting access, which now gets the default
    // action (ignoring a synchronous SIGBUS would loop forever).
    signal(SIGBUS, SIG_DFL);
    return;
  }
  g_old_bus.sa_handler(sig);
}

void InstallSigbusGuard() {
  std::call_once(g_bus_once, [] {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &g_old_bus);
  });
}

// Runs fn() with faults in [lo, lo+len) turned into a false return.  fn must
// only call C functions and write to storage that outlives it: a fault
// unwinds with siglongjmp, which runs no destructors.
template <typename Fn>
bool Guarded(const uint8_t *lo, size_t len, Fn &&fn) {
  sigjmp_buf jb;
  t_lo = lo;
  t_hi = lo + len;
  if (sigsetjmp(jb, 1)) {
    t_jmp = nullptr;
    return false;
  }
  t_jmp = &jb;
  fn();
  t_jmp = nullptr;
  return true;
}

// ---- errors ----

[[noreturn]] void Throw(Napi::Env env, const std::string &msg, const char *code) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  throw e;
}

[[noreturn]] void ThrowErrno(Napi::Env env, const std::string &path, int err) {
  const char *name = strerrorname_np(err);
  std::string cause = err == ELOOP ? "is a symbolic link (refused)" : strerror(err);
  Throw(env, path + ": " + cause, name ? name : "ERING");
}

constexpr double kMaxSafe = 9007199254740991.0;  // 2^53 - 1
constexpr uint64_t kMaxBatch = 16384;             // records per read(): 4 MiB of copies

uint64_t TicketArg(Napi::Env env, const Napi::Value &v, const char *what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= kMaxSafe) || d != static_cast<double>(static_cast<uint64_t>(d)))
    throw Napi::RangeError::New(env, std::string(what) + " must be a non-negative safe integer");
  return static_cast<uint64_t>(d);
}

// ---- the class ----

class RingReader : public Napi::ObjectWrap<RingReader> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RingReader",
                       {
                           InstanceAccessor<&RingReader::Path>("path"),
                           InstanceMethod<&RingReader::Meta>("meta"),
                           InstanceMethod<&RingReader::Stats>("stats"),
                           InstanceMethod<&RingReader::Read>("read"),
                           InstanceMethod<&RingReader::ReadPacked>("readPacked"),
                           InstanceMethod<&RingReader::Commit>("commit"),
                           InstanceMethod<&RingReader::FlushHot>("flushHot"),
                           InstanceMethod<&RingReader::SkipPending>("skipPending"),
                           InstanceMethod<&RingReader::File>("file"),
                           InstanceMethod<&RingReader::Close>("close"),
                       });
  }

  explicit RingReader(const Napi::CallbackInfo &info) : Napi::ObjectWrap<RingReader>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsString())
      throw Napi::TypeError::New(env, "RingReader(path): path must be a string");
    path_ = info[0].As<Napi::String>().Utf8Value();
    InstallSigbusGuard();

    // O_NONBLOCK: a FIFO planted under a ring name must not hang open().
    fd_ = open(path_.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd_ < 0) ThrowErrno(env, path_, errno);
    struct stat st;
    if (fstat(fd_, &st)) {
      int err = errno;
      Release();
      ThrowErrno(env, path_, err);
    }
    if (!S_ISREG(st.st_mode)) {
      Release();
      Throw(env, path_ + ": not a regular file", "ERING");
    }
    st_ = st;
    if (st.st_size < static_cast<off_t>(SIGSYS_RING_HEADER_SIZE)) {
      Release();
      Throw(env, path_ + ": truncated: shorter than the ring header (" +
                     std::to_string(st.st_size) + " bytes)",
            "ERING");
    }
    // Never map more than the largest valid ring; a bigger file is refused
    // by open_reader only if its own header asks for more than that.
    const size_t max_len =
        SIGSYS_RING_HEADER_SIZE + static_cast<size_t>(SIGSYS_RING_MAX_RECORDS) * SIGSYS_RING_RECORD_SIZE;
    map_len_ = std::min(static_cast<size_t>(st.st_size), max_len);
    void *m = mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (m == MAP_FAILED) {
      int err = errno;
      Release();
      ThrowErrno(env, path_, err);
    }
    map_ = static_cast<uint8_t *>(m);

    const char *why = nullptr;
    int ret = 0;
    if (!Guarded(map_, map_len_, [&] { ret = sigsys_ring_open_reader(&r_, map_, map_len_, &why); })) {
      Release();
      Throw(env, path_ + ": file shrank while being opened", "ERING");
    }
    if (ret) {
      std::string cause = why ? why : "invalid ring";
      Release();
      Throw(env, path_ + ": " + cause, "ERING");
    }
    // Map and close: the mapping alone keeps the file.
    close(fd_);
    fd_ = -1;
  }

  ~RingReader() override { Release(); }

 private:
  std::string path_;
  int fd_ = -1;
  uint8_t *map_ = nullptr;
  size_t map_len_ = 0;
  struct stat st_{};
  sigsys_ring_reader r_{};

  void Release() {
    if (map_) munmap(map_, map_len_);
    map_ = nullptr;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  // Every access starts here.  A file shrunk under us is caught by the SIGBUS
  // guard around each access (see the comment at the top).
  void Check(Napi::Env env) {
    if (!map_) Throw(env, path_ + ": ring reader is closed", "ERING");
  }

  [[noreturn]] void Faulted(Napi::Env env) {
    Throw(env, path_ + ": file shrank while being read (SIGBUS caught)", "ERING");
  }

  Napi::Value Path(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), path_); }

  Napi::Value Meta(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Check(env);
    uint8_t buf[SIGSYS_RING_META_MAX];
    uint32_t len = 0;
    if (!Guarded(map_, map_len_, [&] { len = sigsys_ring_meta(&r_, buf); })) Faulted(env);
    return Napi::Buffer<uint8_t>::Copy(env, buf, len);
  }

  Napi::Value Stats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Check(env);
    struct sigsys_ring_stats st{};
    if (!Guarded(map_, map_len_, [&] { sigsys_ring_stats(&r_, &st); })) Faulted(env);
    Napi::Object o = Napi::Object::New(env);
    o.Set("head", Napi::Number::New(env, static_cast<double>(st.head)));
    o.Set("cursor", Napi::Number::New(env, static_cast<double>(st.cursor)));
    o.Set("dropped", Napi::Number::New(env, static_cast<double>(st.dropped)));
    o.Set("recordCount", Napi::Number::New(env, st.record_count));
    o.Set("ownerPid", Napi::Number::New(env, st.owner_pid));
    o.Set("createdNs", Napi::String::New(env, std::to_string(st.created_ns)));
    o.Set("closed", Napi::Boolean::New(env, st.closed != 0));
    return o;
  }

  // The counters, validated: what a real producer/consumer pair can produce.
  void Counters(Napi::Env env, uint64_t *head, uint64_t *cursor) {
    if (!Guarded(map_, map_len_, [&] {
          *cursor = sigsys_ring_cursor(&r_);
          *head = sigsys_ring_head(&r_);
        }))
      Faulted(env);
    if (*head < *cursor || *head - *cursor > r_.record_count)
      Throw(env,
            path_ + ": corrupt header: head " + std::to_string(*head) + " and cursor " +
                std::to_string(*cursor) + " are not within " + std::to_string(r_.record_count) +
                " records of each other",
            "ERING");
    if (static_cast<double>(*head) > kMaxSafe)
      Throw(env, path_ + ": corrupt header: head beyond 2^53", "ERING");
  }

  // What one read pass copied out: records [0, n) at i * SIGSYS_RING_RECORD_SIZE.
  struct Batch {
    std::vector<uint8_t> data;
    std::vector<uint32_t> lens;
    std::vector<uint64_t> seqs;
    uint64_t n = 0, corrupt = 0, next = 0;
    const char *stop = "empty";
  };

  Batch ReadBatch(Napi::Env env, const Napi::CallbackInfo &info, const char *what) {
    std::string w(what);
    uint64_t from = TicketArg(env, info[0], (w + ": from").c_str());
    uint64_t max = TicketArg(env, info[1], (w + ": max").c_str());
    if (max == 0) throw Napi::RangeError::New(env, w + ": max must be at least 1");
    Check(env);
    uint64_t head, cursor;
    Counters(env, &head, &cursor);

    // Tickets below the cursor were consumed already and their slots may be
    // reused: start at the cursor.  At most one ring's worth per call, and
    // at most kMaxBatch records (the copies are allocated up front).
    uint64_t t = std::max(from, cursor);
    const uint64_t want = std::min<uint64_t>({max, r_.record_count, kMaxBatch});
    const uint64_t limit = cursor + r_.record_count;  // no ticket beyond this can be valid
    Batch b;
    b.data.resize(static_cast<size_t>(want) * SIGSYS_RING_RECORD_SIZE);
    b.lens.resize(static_cast<size_t>(want));
    b.seqs.resize(static_cast<size_t>(want));

    bool ok = Guarded(map_, map_len_, [&] {
      while (b.n < want) {
        if (t >= limit) {
          b.stop = "empty";
          return;
        }
        enum sigsys_ring_read_status s =
            sigsys_ring_read(&r_, t, b.data.data() + b.n * SIGSYS_RING_RECORD_SIZE, &b.lens[b.n]);
        if (s == SIGSYS_RING_OK) {
          b.seqs[b.n++] = t++;
        } else if (s == SIGSYS_RING_CORRUPT) {
          b.corrupt++;
          t++;
        } else {
          b.stop = s == SIGSYS_RING_PENDING ? "pending" : "empty";
          return;
        }
      }
      b.stop = "max";
    });
    if (!ok) Faulted(env);
    b.next = t;
    return b;
  }

  Napi::Value Read(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Batch b = ReadBatch(env, info, "read(from, max)");
    Napi::Array records = Napi::Array::New(env, b.n);
    for (uint64_t i = 0; i < b.n; i++) {
      Napi::Object rec = Napi::Object::New(env);
      rec.Set("seq", Napi::Number::New(env, static_cast<double>(b.seqs[i])));
      rec.Set("data", Napi::Buffer<uint8_t>::Copy(env, b.data.data() + i * SIGSYS_RING_RECORD_SIZE, b.lens[i]));
      records.Set(static_cast<uint32_t>(i), rec);
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("records", records);
    result.Set("next", Napi::Number::New(env, static_cast<double>(b.next)));
    result.Set("stop", Napi::String::New(env, b.stop));
    result.Set("corrupt", Napi::Number::New(env, static_cast<double>(b.corrupt)));
    return result;
  }

  // The same records as read(), packed: one Buffer with the payloads back to
  // back, their end offsets and tickets in typed arrays.  A JS object and a
  // Buffer per record cost more than decoding the record (the collector's
  // hot path reads this way).
  Napi::Value ReadPacked(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Batch b = ReadBatch(env, info, "readPacked(from, max)");
    const size_t n = static_cast<size_t>(b.n);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += b.lens[i];
    Napi::Buffer<uint8_t> data = Napi::Buffer<uint8_t>::New(env, total);
    Napi::Uint32Array ends = Napi::Uint32Array::New(env, n);
    Napi::Float64Array seqs = Napi::Float64Array::New(env, n);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
      if (b.lens[i]) memcpy(data.Data() + off, b.data.data() + i * SIGSYS_RING_RECORD_SIZE, b.lens[i]);
      off += b.lens[i];
      ends[i] = static_cast<uint32_t>(off);
      seqs[i] = static_cast<double>(b.seqs[i]);
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("data", data);
    result.Set("ends", ends);
    result.Set("seqs", seqs);
    result.Set("next", Napi::Number::New(env, static_cast<double>(b.next)));
    result.Set("stop", Napi::String::New(env, b.stop));
    result.Set("corrupt", Napi::Number::New(env, static_cast<double>(b.corrupt)));
    return result;
  }

  Napi::Value Commit(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    uint64_t c = TicketArg(env, info[0], "commit(cursor): cursor");
    Check(env);
    uint64_t head = 0, cur = 0;
    if (!Guarded(map_, map_len_, [&] {
          head = sigsys_ring_head(&r_);
          cur = sigsys_ring_cursor(&r_);
        }))
      Faulted(env);
    if (c > head)
      throw Napi::RangeError::New(env, path_ + ": commit(" + std::to_string(c) + ") is beyond head " +
                                           std::to_string(head));
    // The cursor never moves back: slots below it may already be reused.
    if (c <= cur) return env.Undefined();
    if (!Guarded(map_, map_len_, [&] { sigsys_ring_set_cursor(&r_, c); })) Faulted(env);
    return env.Undefined();
  }

  // flushHot(nowNs): sigsys_ring_hot_flush (ring.h): the ring's hot-loop
  // counts become count records, read by the next read().
  Napi::Value FlushHot(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBigInt())
      throw Napi::TypeError::New(env, "flushHot(nowNs): nowNs must be a bigint");
    bool lossless = false;
    uint64_t now_ns = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
    Check(env);
    uint64_t head, cursor;
    Counters(env, &head, &cursor);
    int written = 0;
    bool ok = Guarded(map_, map_len_, [&] { written = sigsys_ring_hot_flush(&r_, now_ns); });
    if (!ok) Faulted(env);
    return Napi::Number::New(env, written);
  }

  // Step over tickets in [max(from, cursor), upto) that are still PENDING
  // (reserved, never committed): the caller decided they are torn.  Stops at
  // the first ticket that is committed, corrupt or not yet reserved.  Bounded
  // by record_count iterations; returns the ticket reached and how many were
  // skipped.
  Napi::Value SkipPending(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    uint64_t from = TicketArg(env, info[0], "skipPending(from, upto): from");
    uint64_t upto = TicketArg(env, info[1], "skipPending(from, upto): upto");
    Check(env);
    uint64_t head, cursor;
    Counters(env, &head, &cursor);
    uint64_t t = std::max(from, cursor);
    const uint64_t end = std::min({upto, head, cursor + r_.record_count});
    uint64_t skipped = 0;
    uint8_t buf[SIGSYS_RING_RECORD_SIZE];
    uint32_t len = 0;
    if (!Guarded(map_, map_len_, [&] {
          while (t < end && sigsys_ring_read(&r_, t, buf, &len) == SIGSYS_RING_PENDING) {
            t++;
            skipped++;
          }
        }))
      Faulted(env);
    Napi::Object o = Napi::Object::New(env);
    o.Set("next", Napi::Number::New(env, static_cast<double>(t)));
    o.Set("skipped", Napi::Number::New(env, static_cast<double>(skipped)));
    return o;
  }

  // What fstat() said of the descriptor that was mapped (the kernel's view,
  // not the path's, which may have been swapped since).
  Napi::Value File(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Check(env);
    Napi::Object o = Napi::Object::New(env);
    o.Set("uid", Napi::Number::New(env, st_.st_uid));
    o.Set("gid", Napi::Number::New(env, st_.st_gid));
    o.Set("ino", Napi::Number::New(env, static_cast<double>(st_.st_ino)));
    o.Set("devMajor", Napi::Number::New(env, major(st_.st_dev)));
    o.Set("devMinor", Napi::Number::New(env, minor(st_.st_dev)));
    o.Set("size", Napi::Number::New(env, static_cast<double>(st_.st_size)));
    o.Set("mode", Napi::Number::New(env, st_.st_mode));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    Release();
    return info.Env().Undefined();
  }
};

}  // namespace

void InitRing(Napi::Env env, Napi::Object exports) {
  exports.Set("RingReader", RingReader::Define(env));
}

}  // namespace sigsys
