// compile_binding.cc - the profile compiler's native half.
//
//   compile(profile, opts) -> {policy: Buffer, warnings: string[], insns, actions}
//       `profile` is already validated and normalised by src/profile/: a
//       defaultAction, libseccomp arch tokens and rules with names (or nr),
//       an action and ANDed argument conditions.  Builds a libseccomp filter,
//       adds sigsys's reserved rules first (build.h), then the profile's, and
//       turns it into a sigsys policy image.
//   explain(policy, {nr, arch?, args?, ip?}) -> {ret, retAt, signals, action, index}
//       runs the policy's real BPF program (bpf_eval.h: the prologue and the
//       profile's program, as installed but for the trusted ip) on one
//       seccomp_data and decodes a sigsys trap back through the policy's
//       action table; `signals`: the prologue trapped it for the handler,
//       and action/index are what the profile's program answers.
//   policyInfo(policy) -> header fields and the action table.
#include <seccomp.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bindings.h"
#include "syscalls_common.h"

extern "C" {
#include "bpf_eval.h"
#include "build.h"
#include "policy.h"
#include "prologue.h"
#include "rewrite.h"
}

namespace sigsys {
namespace {

// The filter context, released on every path (exceptions included).
struct FilterCtx {
  scmp_filter_ctx ctx;
  explicit FilterCtx(uint32_t def) : ctx(seccomp_init(def)) {}
  ~FilterCtx() {
    if (ctx) seccomp_release(ctx);
  }
  FilterCtx(const FilterCtx &) = delete;
  FilterCtx &operator=(const FilterCtx &) = delete;
};

const uint64_t kUntrustedIp = 0x00007fffdead0000ull;

struct FreeDeleter {
  void operator()(void *p) const { free(p); }
};

Napi::Error ErrorWith(Napi::Env env, const std::string &msg, const char *code) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

uint32_t GetU32(Napi::Env env, Napi::Object o, const char *key, uint32_t dflt, uint32_t max) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return dflt;
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0 || d > max || d != static_cast<double>(static_cast<uint64_t>(d)))
    throw Napi::RangeError::New(env, std::string(key) + " out of range");
  return static_cast<uint32_t>(d);
}

// A 64-bit value given as BigInt, number or decimal/hex string.
uint64_t GetU64(Napi::Env env, Napi::Value v, const std::string &what) {
  if (v.IsUndefined() || v.IsNull()) return 0;
  if (v.IsBigInt()) {
    bool lossless = true;
    uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw Napi::RangeError::New(env, what + " does not fit in 64 bits");
    return r;
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d < 0 || d > 9007199254740991.0 || d != static_cast<double>(static_cast<uint64_t>(d)))
      throw Napi::RangeError::New(env, what + " must be a non-negative integer (use a BigInt above 2^53)");
    return static_cast<uint64_t>(d);
  }
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    errno = 0;
    char *end = nullptr;
    unsigned long long r = strtoull(s.c_str(), &end, 0);
    if (s.empty() || s[0] == '-' || *end != '\0' || errno == ERANGE)
      throw Napi::RangeError::New(env, what + ": not a 64-bit unsigned integer: " + s);
    return r;
  }
  throw Napi::TypeError::New(env, what + " must be a BigInt, number or string");
}

uint32_t ScmpAction(Napi::Env env, Napi::Value v, const std::string &where) {
  if (!v.IsObject()) throw Napi::TypeError::New(env, where + ": action must be an object {kind, errno}");
  Napi::Object a = v.As<Napi::Object>();
  std::string kind = a.Get("kind").ToString().Utf8Value();
  uint32_t e = GetU32(env, a, "errno", 0, 0xffff);
  if (kind == "ALLOW") return SCMP_ACT_ALLOW;
  if (kind == "ERRNO") return SCMP_ACT_ERRNO(e);
  if (kind == "TRAP") return SCMP_ACT_TRAP;
  if (kind == "TRACE") return SCMP_ACT_TRACE(e);
  if (kind == "LOG") return SCMP_ACT_LOG;
  if (kind == "KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (kind == "KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (kind == "USER_NOTIF") return SCMP_ACT_NOTIFY;
  throw Napi::TypeError::New(env, where + ": unknown action kind \"" + kind + "\"");
}

scmp_compare ScmpOp(Napi::Env env, const std::string &op, const std::string &where) {
  if (op == "NE") return SCMP_CMP_NE;
  if (op == "LT") return SCMP_CMP_LT;
  if (op == "LE") return SCMP_CMP_LE;
  if (op == "EQ") return SCMP_CMP_EQ;
  if (op == "GE") return SCMP_CMP_GE;
  if (op == "GT") return SCMP_CMP_GT;
  if (op == "MASKED_EQ") return SCMP_CMP_MASKED_EQ;
  throw Napi::TypeError::New(env, where + ": unknown operator \"" + op + "\"");
}

Napi::Object ActionObject(Napi::Env env, const struct sigsys_action &a) {
  Napi::Object o = Napi::Object::New(env);
  // The JS API names kinds in upper case, like the SCMP_ACT_* they come from.
  std::string kind = sigsys_action_kind_name(a.kind);
  for (char &ch : kind) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
  o.Set("kind", kind);
  o.Set("errno", Napi::Number::New(env, (a.kind == SIGSYS_ACT_ERRNO || a.kind == SIGSYS_ACT_TRACE) ? a.data : 0));
  o.Set("seccomp", Napi::Number::New(env, a.seccomp));
  return o;
}

struct sigsys_policy ParsePolicy(Napi::Env env, Napi::Value v) {
  if (!v.IsBuffer()) throw Napi::TypeError::New(env, "policy must be a Buffer");
  Napi::Buffer<uint8_t> buf = v.As<Napi::Buffer<uint8_t>>();
  struct sigsys_policy pol;
  char why[256] = "";
  int rc = sigsys_policy_check(buf.Data(), buf.Length(), 0, &pol, why, sizeof why);
  if (rc < 0) throw ErrorWith(env, std::string("not a valid sigsys policy: ") + why, "EPOLICY");
  return pol;
}

Napi::Value Compile(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsObject())
    throw Napi::TypeError::New(env, "compile(profile, opts)");
  Napi::Object prof = info[0].As<Napi::Object>();
  Napi::Object opts = info[1].As<Napi::Object>();

  uint32_t target = ArchFromValue(env, opts.Get("arch"), seccomp_arch_native());
  if (target == SCMP_ARCH_NATIVE) target = seccomp_arch_native();
  std::string mode = opts.Has("mode") ? opts.Get("mode").ToString().Utf8Value() : "enforce";
  if (mode != "enforce" && mode != "audit") throw Napi::TypeError::New(env, "opts.mode must be 'enforce' or 'audit'");
  bool binaryTree = !opts.Has("binaryTree") || opts.Get("binaryTree").ToBoolean().Value();

  struct sigsys_build_opts bopts;
  memset(&bopts, 0, sizeof bopts);
  bopts.mode = mode == "audit" ? SIGSYS_MODE_AUDIT : SIGSYS_MODE_ENFORCE;
  bopts.binary_tree = binaryTree ? 1 : 0;
  // Stamp the policy with the target arch explicitly: auto-detection would
  // pick the build host's arch when the profile also lists it.
  bopts.arch = target;
  uint8_t hashBytes[32];
  Napi::Value hash = opts.Get("profileHash");
  if (hash.IsBuffer()) {
    Napi::Buffer<uint8_t> h = hash.As<Napi::Buffer<uint8_t>>();
    if (h.Length() != sizeof hashBytes) throw Napi::RangeError::New(env, "opts.profileHash must be 32 bytes");
    memcpy(hashBytes, h.Data(), sizeof hashBytes);
    bopts.profile_hash = hashBytes;
  }

  uint32_t def = ScmpAction(env, prof.Get("defaultAction"), "defaultAction");
  FilterCtx f(def);
  if (!f.ctx) throw ErrorWith(env, "libseccomp: cannot create a filter for the default action", "ECOMPILE");

  // Target arch first (replacing the build host's native arch if different),
  // then the profile's other arches.
  int rc;
  if (target != seccomp_arch_native()) {
    // Native out first: libseccomp refuses to mix byte orders (-EDOM).
    if ((rc = seccomp_arch_remove(f.ctx, SCMP_ARCH_NATIVE)) < 0)
      throw ErrorWith(env, std::string("libseccomp: cannot remove native arch: ") + strerror(-rc), "ECOMPILE");
    if ((rc = seccomp_arch_add(f.ctx, target)) < 0 && rc != -EEXIST)
      throw ErrorWith(env, std::string("libseccomp: cannot add arch: ") + strerror(-rc), "ECOMPILE");
  }
  // Reserved rules first (build.h), while the filter has only the target
  // arch: the reserved kill numbers exist on no arch, so libseccomp could not
  // translate them for the sub-arches (-EFAULT).  They only matter for the
  // target arch, whose handler issues them.
  char err[512] = "";
  if ((rc = sigsys_build_reserve(f.ctx, err, sizeof err)) < 0)
    throw ErrorWith(env, std::string("reserved rules: ") + err, "ECOMPILE");

  Napi::Value archesV = prof.Get("arches");
  if (archesV.IsArray()) {
    Napi::Array arches = archesV.As<Napi::Array>();
    for (uint32_t i = 0; i < arches.Length(); i++) {
      uint32_t a = ArchFromValue(env, arches.Get(i), target);
      if ((rc = seccomp_arch_add(f.ctx, a)) < 0 && rc != -EEXIST)
        throw ErrorWith(env, std::string("libseccomp: cannot add arch ") + arches.Get(i).ToString().Utf8Value() +
                                 ": " + strerror(-rc), "ECOMPILE");
    }
  }


  std::vector<std::string> warnings;
  std::vector<std::string> unknown;
  std::set<std::string> unknownSeen;
  std::set<std::string> reservedSeen;
  Napi::Value rulesV = prof.Get("rules");
  if (!rulesV.IsArray()) throw Napi::TypeError::New(env, "profile.rules must be an array");
  Napi::Array rules = rulesV.As<Napi::Array>();
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object r = rules.Get(i).As<Napi::Object>();
    std::string source = r.Has("source") ? r.Get("source").ToString().Utf8Value() : "rules[" + std::to_string(i) + "]";
    uint32_t act = ScmpAction(env, r.Get("action"), source);

    std::vector<struct scmp_arg_cmp> cmps;
    Napi::Value argsV = r.Get("args");
    if (argsV.IsArray()) {
      Napi::Array args = argsV.As<Napi::Array>();
      for (uint32_t j = 0; j < args.Length(); j++) {
        Napi::Object a = args.Get(j).As<Napi::Object>();
        std::string where = source + ".args[" + std::to_string(j) + "]";
        struct scmp_arg_cmp c;
        c.arg = GetU32(env, a, "index", 0, 5);
        c.op = ScmpOp(env, a.Get("op").ToString().Utf8Value(), where);
        c.datum_a = GetU64(env, a.Get("value"), where + ".value");
        c.datum_b = GetU64(env, a.Get("valueTwo"), where + ".valueTwo");
        cmps.push_back(c);
      }
    }
    if (cmps.size() > 6) throw Napi::RangeError::New(env, source + ": more than 6 argument conditions");

    // Syscalls by name (resolved for the build host's arch; libseccomp maps
    // them to every arch in the filter) or by number.
    std::vector<std::pair<int, std::string>> calls;
    Napi::Value namesV = r.Get("names");
    if (namesV.IsArray()) {
      Napi::Array names = namesV.As<Napi::Array>();
      for (uint32_t j = 0; j < names.Length(); j++) {
        std::string name = names.Get(j).ToString().Utf8Value();
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR) {
          if (unknownSeen.insert(name).second) unknown.push_back(name);
          continue;
        }
        calls.emplace_back(nr, name);
      }
    } else if (r.Get("nr").IsNumber()) {
      int nr = r.Get("nr").As<Napi::Number>().Int32Value();
      calls.emplace_back(nr, "#" + std::to_string(nr));
    } else {
      throw Napi::TypeError::New(env, source + ": a rule needs names or nr");
    }

    for (const auto &call : calls) {
      if (const char *why = sigsys_build_reserved_nr(call.first)) {
        // Already allowed by the reserved rule: nothing to say.
        if (act != SCMP_ACT_ALLOW && reservedSeen.insert(call.second).second)
          warnings.push_back(source + ": rule for " + call.second + " ignored: " + why);
        continue;
      }
      rc = seccomp_rule_add_array(f.ctx, act, call.first, static_cast<unsigned>(cmps.size()),
                                  cmps.empty() ? nullptr : cmps.data());
      if (rc < 0) {
        std::string why = rc == -EEXIST ? "conflicts with an earlier rule for the same syscall"
                          : rc == -EACCES ? "action equals the default action"
                                          : strerror(-rc);
        Napi::Error e = ErrorWith(env, "libseccomp refused the rule for \"" + call.second + "\": " + why, "ERULE");
        e.Set("jsonPath", Napi::String::New(env, source));
        e.Set("syscall", Napi::String::New(env, call.second));
        e.Set("errno", Napi::Number::New(env, -rc));
        throw e;
      }
    }
  }
  if (!unknown.empty()) {
    const struct scmp_version *v = seccomp_version();
    std::string w = "syscalls unknown to libseccomp " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                    std::to_string(v->micro) + " skipped: ";
    for (size_t i = 0; i < unknown.size(); i++) w += (i ? ", " : "") + unknown[i];
    warnings.push_back(w);
  }

  uint8_t *outp = nullptr;
  size_t outLen = 0;
  err[0] = '\0';
  rc = sigsys_build_policy(f.ctx, &bopts, &outp, &outLen, err, sizeof err);
  std::unique_ptr<uint8_t, FreeDeleter> out(outp);
  if (rc < 0) throw ErrorWith(env, std::string("cannot build the policy: ") + (err[0] ? err : strerror(-rc)), rc == -E2BIG ? "E2BIG" : "ECOMPILE");

  Napi::Buffer<uint8_t> policy = Napi::Buffer<uint8_t>::Copy(env, out.get(), outLen);
  struct sigsys_policy pol = ParsePolicy(env, policy);
  Napi::Object result = Napi::Object::New(env);
  result.Set("policy", policy);
  Napi::Array w = Napi::Array::New(env, warnings.size());
  for (size_t i = 0; i < warnings.size(); i++) w.Set(static_cast<uint32_t>(i), warnings[i]);
  result.Set("warnings", w);
  result.Set("insns", Napi::Number::New(env, pol.hdr->n_insns));
  result.Set("actions", Napi::Number::New(env, pol.hdr->n_actions));
  return result;
}

Napi::Value Explain(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsObject()) throw Napi::TypeError::New(env, "explain(policy, {nr, arch?, args?, ip?})");
  struct sigsys_policy pol = ParsePolicy(env, info[0]);
  Napi::Object d = info[1].As<Napi::Object>();

  struct seccomp_data sd;
  memset(&sd, 0, sizeof sd);
  Napi::Value nrV = d.Get("nr");
  if (!nrV.IsNumber()) throw Napi::TypeError::New(env, "data.nr must be a number");
  sd.nr = nrV.As<Napi::Number>().Int32Value();
  uint32_t arch = ArchFromValue(env, d.Get("arch"), pol.hdr->arch);
  // x32 runs on AUDIT_ARCH_X86_64 with bit 30 set in nr.
  if (arch == SCMP_ARCH_X32) arch = AUDIT_ARCH_X86_64;
  sd.arch = arch;
  // The trusted-ip jeqs hold a placeholder (0) until the preload patches
  // them, so ip 0 would take the trusted path.  Default to an address no
  // libsigsys.so can have: explain answers for a call from the workload.
  Napi::Value ipV = d.Get("ip");
  sd.instruction_pointer = (ipV.IsUndefined() || ipV.IsNull()) ? kUntrustedIp : GetU64(env, ipV, "data.ip");
  Napi::Value argsV = d.Get("args");
  if (argsV.IsArray()) {
    Napi::Array args = argsV.As<Napi::Array>();
    for (uint32_t i = 0; i < args.Length() && i < 6; i++)
      sd.args[i] = GetU64(env, args.Get(i), "data.args[" + std::to_string(i) + "]");
  }

  // The policy's program is the one the kernel runs (prologue included,
  // trusted ip aside).  A call its prologue traps for the handler
  // (SIGSYS_TRAP_IDX_SIGNALS) gets what the profile's program after the
  // prologue says, exactly as the handler asks it (handler.c).
  uint32_t retAt = 0;
  uint32_t ret = sigsys_bpf_eval(pol.insns, pol.hdr->n_insns, &sd, &retAt);
  uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
  uint32_t data = ret & SECCOMP_RET_DATA;
  bool signals = action == SECCOMP_RET_TRAP && (data & SIGSYS_TRAP_MAGIC_MASK) == SIGSYS_TRAP_MAGIC &&
                 (data & SIGSYS_TRAP_INDEX_MASK) == SIGSYS_TRAP_IDX_SIGNALS;
  uint32_t answer = ret;
  if (signals) {
    struct sigsys_policy_header profHdr;
    struct sigsys_policy prof;
    sigsys_policy_profile_program(&pol, &profHdr, &prof);
    answer = sigsys_bpf_eval(prof.insns, prof.hdr->n_insns, &sd, nullptr);
  }

  Napi::Object out = Napi::Object::New(env);
  out.Set("ret", Napi::Number::New(env, ret));
  out.Set("retAt", Napi::Number::New(env, retAt));
  out.Set("signals", Napi::Boolean::New(env, signals));
  action = answer & SECCOMP_RET_ACTION_FULL;
  data = answer & SECCOMP_RET_DATA;
  struct sigsys_action a;
  memset(&a, 0, sizeof a);
  int index = -1;
  if (action == SECCOMP_RET_TRAP && (data & SIGSYS_TRAP_MAGIC_MASK) == SIGSYS_TRAP_MAGIC) {
    index = static_cast<int>(data & SIGSYS_TRAP_INDEX_MASK);
    if (static_cast<uint32_t>(index) >= pol.hdr->n_actions)
      throw ErrorWith(env, "policy traps with action index " + std::to_string(index) + " beyond its table", "EPOLICY");
    a = pol.actions[index];
  } else {
    sigsys_action_from_ret(answer, &a);
  }
  out.Set("action", ActionObject(env, a));
  out.Set("index", index < 0 ? env.Null() : Napi::Number::New(env, index));
  return out;
}

Napi::Value PolicyInfo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1) throw Napi::TypeError::New(env, "policyInfo(policy)");
  struct sigsys_policy pol = ParsePolicy(env, info[0]);
  const struct sigsys_policy_header *h = pol.hdr;
  Napi::Object o = Napi::Object::New(env);
  o.Set("version", Napi::Number::New(env, h->version));
  o.Set("arch", Napi::Number::New(env, h->arch));
  const char *an = ArchName(h->arch);
  o.Set("archName", an ? Napi::Value(Napi::String::New(env, an)) : env.Null());
  o.Set("mode", h->mode == SIGSYS_MODE_AUDIT ? "audit" : h->mode == SIGSYS_MODE_ENFORCE ? "enforce" : "unknown");
  o.Set("insns", Napi::Number::New(env, h->n_insns));
  o.Set("trustedIpLoAt", Napi::Number::New(env, h->trusted_ip_lo_at));
  o.Set("trustedIpHiAt", Napi::Number::New(env, h->trusted_ip_hi_at));
  o.Set("prologueLen", Napi::Number::New(env, h->prologue_len));
  o.Set("checksum", Napi::Number::New(env, h->checksum));
  static const char hex[] = "0123456789abcdef";
  std::string hs;
  for (size_t i = 0; i < sizeof h->profile_hash; i++) {
    hs += hex[h->profile_hash[i] >> 4];
    hs += hex[h->profile_hash[i] & 15];
  }
  o.Set("profileHash", hs);
  Napi::Array acts = Napi::Array::New(env, h->n_actions);
  for (uint32_t i = 0; i < h->n_actions; i++) acts.Set(i, ActionObject(env, pol.actions[i]));
  o.Set("actions", acts);
  return o;
}

}  // namespace

void InitCompile(Napi::Env env, Napi::Object exports) {
  exports.Set("compile", Napi::Function::New(env, Compile, "compile"));
  exports.Set("explain", Napi::Function::New(env, Explain, "explain"));
  exports.Set("policyInfo", Napi::Function::New(env, PolicyInfo, "policyInfo"));
}

}  // namespace sigsys
