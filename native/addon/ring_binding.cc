// ring_binding.cc - placeholder until implemented.
#include "bindings.h"

namespace sigsys {
void InitRing(Napi::Env, Napi::Object) {}
}  // namespace sigsys
