// addon.cc - module entry of sigsys.node.  Each binding file registers its
// own functions; see native.d.ts (src/native/native.d.ts) for the typed view.
#include <napi.h>

#include "bindings.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  sigsys::InitCompile(env, exports);
  sigsys::InitSyscalls(env, exports);
  sigsys::InitRing(env, exports);
  sigsys::InitScan(env, exports);
  sigsys::InitNdjson(env, exports);
  return exports;
}

NODE_API_MODULE(sigsys, Init)
