// syscalls_binding.cc - syscall and architecture names through libseccomp
// (linked statically), for every architecture libseccomp knows:
//   syscallNumber(name, arch?) -> number | null
//   syscallName(nr, arch?)     -> string | null
//   arches()                   -> [{name, value}]
//   archValue(name)            -> number | null   (AUDIT_ARCH_* value)
#include <seccomp.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "bindings.h"
#include "syscalls_common.h"

namespace sigsys {

// libseccomp 2.5 arch tokens, in the order `sigsys --help` lists them.
const char *const kArchTokens[] = {
    "x86",  "x86_64",    "x32",         "arm",    "aarch64", "mips",    "mipsel",
    "mips64", "mipsel64", "mips64n32", "mipsel64n32", "parisc", "parisc64", "ppc",
    "ppc64", "ppc64le",  "s390",        "s390x",  "riscv64",
};
const size_t kArchTokenCount = sizeof(kArchTokens) / sizeof(kArchTokens[0]);

uint32_t ArchFromValue(const Napi::Env &env, const Napi::Value &v, uint32_t fallback) {
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (v.IsNumber()) return v.As<Napi::Number>().Uint32Value();
  if (!v.IsString()) throw Napi::TypeError::New(env, "arch must be a libseccomp arch name or an AUDIT_ARCH number");
  std::string name = v.As<Napi::String>().Utf8Value();
  uint32_t a = seccomp_arch_resolve_name(name.c_str());
  if (a == 0) throw Napi::Error::New(env, "unknown architecture \"" + name + "\"");
  return a;
}

const char *ArchName(uint32_t arch) {
  for (size_t i = 0; i < kArchTokenCount; i++) {
    if (seccomp_arch_resolve_name(kArchTokens[i]) == arch) return kArchTokens[i];
  }
  return nullptr;
}

static Napi::Value SyscallNumber(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "syscallNumber(name, arch?)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  uint32_t arch = ArchFromValue(env, info[1], SCMP_ARCH_NATIVE);
  int nr = seccomp_syscall_resolve_name_arch(arch, name.c_str());
  if (nr == __NR_SCMP_ERROR) return env.Null();
  return Napi::Number::New(env, nr);
}

static Napi::Value SyscallName(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "syscallName(nr, arch?)");
  int nr = info[0].As<Napi::Number>().Int32Value();
  uint32_t arch = ArchFromValue(env, info[1], SCMP_ARCH_NATIVE);
  std::unique_ptr<char, decltype(&free)> name(seccomp_syscall_resolve_num_arch(arch, nr), &free);
  if (!name) return env.Null();
  return Napi::String::New(env, name.get());
}

static Napi::Value Arches(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (size_t i = 0; i < kArchTokenCount; i++) {
    uint32_t v = seccomp_arch_resolve_name(kArchTokens[i]);
    if (v == 0) continue;
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", kArchTokens[i]);
    o.Set("value", Napi::Number::New(env, v));
    o.Set("native", Napi::Boolean::New(env, v == seccomp_arch_native()));
    out.Set(n++, o);
  }
  return out;
}

static Napi::Value ArchValue(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "archValue(name)");
  uint32_t v = seccomp_arch_resolve_name(info[0].As<Napi::String>().Utf8Value().c_str());
  if (v == 0) return env.Null();
  return Napi::Number::New(env, v);
}

void InitSyscalls(Napi::Env env, Napi::Object exports) {
  exports.Set("syscallNumber", Napi::Function::New(env, SyscallNumber, "syscallNumber"));
  exports.Set("syscallName", Napi::Function::New(env, SyscallName, "syscallName"));
  exports.Set("arches", Napi::Function::New(env, Arches, "arches"));
  exports.Set("archValue", Napi::Function::New(env, ArchValue, "archValue"));
}

}  // namespace sigsys
