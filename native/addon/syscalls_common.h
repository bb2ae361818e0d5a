// syscalls_common.h - arch helpers shared by syscalls_binding.cc and
// compile_binding.cc (owned by the profile compiler work).
#ifndef SIGSYS_ADDON_SYSCALLS_COMMON_H
#define SIGSYS_ADDON_SYSCALLS_COMMON_H

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace sigsys {
extern const char *const kArchTokens[];
extern const size_t kArchTokenCount;
// A libseccomp arch name ("x86_64") or an AUDIT_ARCH number; `fallback` when
// undefined/null.  Throws a JS error for an unknown name.
uint32_t ArchFromValue(const Napi::Env &env, const Napi::Value &v, uint32_t fallback);
// AUDIT_ARCH value -> libseccomp token, or nullptr.
const char *ArchName(uint32_t arch);
}  // namespace sigsys

#endif
