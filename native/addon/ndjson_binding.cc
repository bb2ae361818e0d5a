// ndjson_binding.cc - NdjsonEncoder: a batch of ring records (readPacked) to
// NDJSON lines and a tally for Prometheus in one call (native/src/ndjson_encode.c;
// used by src/collector/batch-encode.ts).  Typed view in src/native/native.d.ts.
//
//   new NdjsonEncoder()
//   .setSyscall(arch, nr, text)           JSON text for (AUDIT_ARCH, nr):
//                                         `"<name>","nr":<nr>,"arch":"<arch>","args":[`
//   .encode(ring, data, ends, seqs, out)  -> { length, fallback, fallbackAt, tally, missing }
//                                         lines into out[0, length); { needBytes } and
//                                         nothing written when out is shorter than the
//                                         worst case of this batch
//
// `ring` holds one ring's constant fields as JSON text (see nj_ring in
// ndjson_encode.h) and its mappings; records the encoder leaves to the
// TypeScript path are listed in `fallback` (batch index) with `fallbackAt`
// (byte offset in out where their lines belong); `tally` is six numbers
// per label set: arch, nr, action, outcome, calls, first index; `missing`
// two per syscall it had no name for (arch, nr): setSyscall() them and encode
// again to keep those records native.
#include <errno.h>
#include <string.h>

#include <string>
#include <vector>

#include "bindings.h"

extern "C" {
#include "ndjson_encode.h"
}

namespace sigsys {
namespace {

struct Bytes {
  const uint8_t *p = nullptr;
  size_t n = 0;
};

Bytes BufferProp(Napi::Env env, Napi::Object o, const char *name, bool optional = false) {
  Napi::Value v = o.Get(name);
  if (optional && (v.IsUndefined() || v.IsNull())) return {};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, std::string("encode: ring.") + name + " must be a Uint8Array");
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  return {a.Data(), a.ElementLength()};
}

template <typename T>
const T *ArrayProp(Napi::Env env, Napi::Value v, napi_typedarray_type type, const char *what, size_t *len) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw Napi::TypeError::New(env, std::string("encode: ") + what + " has the wrong type");
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  *len = a.ElementLength();
  return reinterpret_cast<const T *>(static_cast<const uint8_t *>(a.ArrayBuffer().Data()) + a.ByteOffset());
}

class NdjsonEncoder : public Napi::ObjectWrap<NdjsonEncoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NdjsonEncoder",
                       {
                           InstanceMethod<&NdjsonEncoder::SetSyscall>("setSyscall"),
                           InstanceMethod<&NdjsonEncoder::Encode>("encode"),
                       });
  }

  explicit NdjsonEncoder(const Napi::CallbackInfo &info) : Napi::ObjectWrap<NdjsonEncoder>(info) {
    names_ = nj_names_new();
    if (!names_) throw Napi::Error::New(info.Env(), "NdjsonEncoder: out of memory");
  }
  ~NdjsonEncoder() override { nj_names_free(names_); }

 private:
  struct nj_names *names_ = nullptr;
  std::vector<uint32_t> fallback_, fallback_at_;
  std::vector<nj_tally> tally_ = std::vector<nj_tally>(NJ_TALLY_MAX);
  std::vector<nj_map> maps_;

  Napi::Value SetSyscall(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsTypedArray())
      throw Napi::TypeError::New(env, "setSyscall(arch, nr, text)");
    Napi::Uint8Array text = info[2].As<Napi::Uint8Array>();
    uint32_t arch = info[0].As<Napi::Number>().Uint32Value();
    int32_t nr = info[1].As<Napi::Number>().Int32Value();
    if (nj_names_set(names_, arch, nr, reinterpret_cast<const char *>(text.Data()),
                     static_cast<uint32_t>(text.ElementLength())))
      throw Napi::Error::New(env, "setSyscall: out of memory");
    return env.Undefined();
  }

  Napi::Value Encode(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsObject() || !info[1].IsTypedArray() || !info[4].IsTypedArray() ||
        info[4].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw Napi::TypeError::New(env, "encode(ring, data, ends, seqs, out)");
    Napi::Uint8Array out = info[4].As<Napi::Uint8Array>();
    Napi::Object spec = info[0].As<Napi::Object>();
    Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
    size_t n_ends = 0, n_seqs = 0;
    const uint32_t *ends = ArrayProp<uint32_t>(env, info[2], napi_uint32_array, "ends", &n_ends);
    const double *seqs = ArrayProp<double>(env, info[3], napi_float64_array, "seqs", &n_seqs);
    if (n_seqs != n_ends) throw Napi::RangeError::New(env, "encode: ends and seqs differ in length");
    if (n_ends && ends[n_ends - 1] > data.ElementLength())
      throw Napi::RangeError::New(env, "encode: ends reach past data");

    Bytes seg_ring = BufferProp(env, spec, "ring"), seg_comm = BufferProp(env, spec, "comm"),
          seg_tail = BufferProp(env, spec, "tail"), forged = BufferProp(env, spec, "forgedPid", true),
          prefixes = BufferProp(env, spec, "prefixes");
    size_t n_start = 0, n_end = 0, n_off = 0, n_pre = 0;
    const uint64_t *mstart = ArrayProp<uint64_t>(env, spec.Get("mapStart"), napi_biguint64_array, "ring.mapStart", &n_start);
    const uint64_t *mend = ArrayProp<uint64_t>(env, spec.Get("mapEnd"), napi_biguint64_array, "ring.mapEnd", &n_end);
    const uint64_t *moff = ArrayProp<uint64_t>(env, spec.Get("mapOffset"), napi_biguint64_array, "ring.mapOffset", &n_off);
    const uint32_t *pre_end = ArrayProp<uint32_t>(env, spec.Get("prefixEnds"), napi_uint32_array, "ring.prefixEnds", &n_pre);
    if (n_end != n_start || n_off != n_start || n_pre != n_start)
      throw Napi::RangeError::New(env, "encode: ring maps differ in length");
    maps_.resize(n_start);
    uint32_t at = 0;
    for (size_t i = 0; i < n_start; i++) {
      // The encoder writes ip - start + offset as a u64: refuse what could wrap
      // (batch-encode.ts leaves such rings to the TypeScript path).
      if (mend[i] <= mstart[i] || moff[i] > UINT64_MAX - (mend[i] - mstart[i] - 1) || pre_end[i] < at ||
          pre_end[i] > prefixes.n)
        throw Napi::RangeError::New(env, "encode: ring maps out of range");
      maps_[i] = {mstart[i], mend[i], moff[i], reinterpret_cast<const char *>(prefixes.p) + at, pre_end[i] - at};
      at = pre_end[i];
    }
    Napi::Value mode = spec.Get("mode");
    struct nj_ring ring = {};
    ring.seg_ring = reinterpret_cast<const char *>(seg_ring.p);
    ring.seg_ring_len = static_cast<uint32_t>(seg_ring.n);
    ring.seg_comm = reinterpret_cast<const char *>(seg_comm.p);
    ring.seg_comm_len = static_cast<uint32_t>(seg_comm.n);
    ring.seg_tail = reinterpret_cast<const char *>(seg_tail.p);
    ring.seg_tail_len = static_cast<uint32_t>(seg_tail.n);
    ring.forged_pid = forged.p ? reinterpret_cast<const char *>(forged.p) : nullptr;
    ring.forged_pid_len = static_cast<uint32_t>(forged.n);
    ring.mode = mode.IsNumber() ? mode.As<Napi::Number>().Int32Value() : 0;
    if (ring.mode < 0 || ring.mode > 2) ring.mode = 0;
    ring.maps = maps_.data();
    ring.n_maps = static_cast<uint32_t>(n_start);

    const uint32_t n = static_cast<uint32_t>(n_ends);
    const size_t bound = nj_batch_bound(&ring, names_, n);
    if (out.ElementLength() < bound) {
      // The caller's buffer is too small for the worst case: say how big, write nothing.
      Napi::Object result = Napi::Object::New(env);
      result.Set("needBytes", Napi::Number::New(env, static_cast<double>(bound)));
      return result;
    }
    fallback_.resize(std::max<size_t>(fallback_.size(), n));
    fallback_at_.resize(std::max<size_t>(fallback_at_.size(), n));
    struct nj_batch b;
    memset(&b, 0, sizeof(b));
    b.data = data.Data();
    b.ends = ends;
    b.seqs = seqs;
    b.n = n;
    b.out = out.Data();
    b.out_cap = out.ElementLength();
    b.fallback = fallback_.data();
    b.fallback_at = fallback_at_.data();
    b.tally = tally_.data();
    if (nj_encode_batch(&ring, names_, &b)) throw Napi::RangeError::New(env, "encode: ends are not ascending");

    Napi::Object result = Napi::Object::New(env);
    Napi::Uint32Array fb = Napi::Uint32Array::New(env, b.n_fallback);
    Napi::Uint32Array fb_at = Napi::Uint32Array::New(env, b.n_fallback);
    for (uint32_t i = 0; i < b.n_fallback; i++) {
      fb[i] = fallback_[i];
      fb_at[i] = fallback_at_[i];
    }
    Napi::Float64Array tally = Napi::Float64Array::New(env, static_cast<size_t>(b.n_tally) * 6);
    for (uint32_t i = 0; i < b.n_tally; i++) {
      const nj_tally &t = tally_[i];
      tally[i * 6 + 0] = t.arch;
      tally[i * 6 + 1] = t.nr;
      tally[i * 6 + 2] = t.action;
      tally[i * 6 + 3] = t.outcome;
      tally[i * 6 + 4] = t.calls;
      tally[i * 6 + 5] = t.first;
    }
    result.Set("length", Napi::Number::New(env, static_cast<double>(b.out_len)));
    result.Set("fallback", fb);
    result.Set("fallbackAt", fb_at);
    result.Set("tally", tally);
    Napi::Float64Array miss = Napi::Float64Array::New(env, static_cast<size_t>(b.n_missing) * 2);
    for (uint32_t i = 0; i < b.n_missing; i++) {
      miss[i * 2] = b.missing_arch[i];
      miss[i * 2 + 1] = b.missing_nr[i];
    }
    result.Set("missing", miss);
    return result;
  }
};

}  // namespace

void InitNdjson(Napi::Env env, Napi::Object exports) { exports.Set("NdjsonEncoder", NdjsonEncoder::Define(env)); }

}  // namespace sigsys
