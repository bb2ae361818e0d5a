// compile_binding.cc - placeholder until implemented.
#include "bindings.h"

namespace sigsys {
void InitCompile(Napi::Env, Napi::Object) {}
}  // namespace sigsys
