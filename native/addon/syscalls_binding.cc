// syscalls_binding.cc - placeholder until implemented.
#include "bindings.h"

namespace sigsys {
void InitSyscalls(Napi::Env, Napi::Object) {}
}  // namespace sigsys
