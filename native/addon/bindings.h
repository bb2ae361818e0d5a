// bindings.h - the registration functions of each binding unit.
#ifndef SIGSYS_ADDON_BINDINGS_H
#define SIGSYS_ADDON_BINDINGS_H

#include <napi.h>

namespace sigsys {
// compile_binding.cc: compile(), explain(), policyInfo()
void InitCompile(Napi::Env env, Napi::Object exports);
// syscalls_binding.cc: syscallName(), syscallNumber(), arches()
void InitSyscalls(Napi::Env env, Napi::Object exports);
// ring_binding.cc: RingReader class (open, read, commit cursor, stats)
void InitRing(Napi::Env env, Napi::Object exports);
// scan_binding.cc: LineScanner class (sigsys's own NDJSON lines to columns, for the report)
void InitScan(Napi::Env env, Napi::Object exports);
// ndjson_binding.cc: NdjsonEncoder class (ring records to NDJSON lines + a label tally, for the collector)
void InitNdjson(Napi::Env env, Napi::Object exports);
}  // namespace sigsys

#endif
