// scan_binding.cc - LineScanner: sigsys's own NDJSON lines to columns for
// `sigsys report` (native/src/ndjson_scan.c; used by src/report/parse-worker.ts).
// Typed view in src/native/native.d.ts.
//
//   new LineScanner()
//   .scan(bytes, from, cols)   lines of bytes[from..] ending in '\n', at most
//                              cols.end.length of them, into the columns;
//                              returns how many.  With cols.tup (an
//                              Int32Array of TUPS per line) each matched
//                              line's tuple ids too (ndjson_scan.h ns_tup)
//   .tuples(kind)              tuples of that kind interned so far
//   .strings(from)             the interned strings with ids >= from
//
// One scanner per thread: it keeps the strings it has seen, so the ids in
// the columns stay valid across chunks.
#include <string>

#include "bindings.h"

extern "C" {
#include "ndjson_scan.h"
}

namespace sigsys {
namespace {

template <typename T>
T *Column(Napi::Env env, Napi::Object cols, const char *name, napi_typedarray_type type, size_t *len) {
  Napi::Value v = cols.Get(name);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw Napi::TypeError::New(env, std::string("scan: cols.") + name + " has the wrong type");
  Napi::TypedArray a = v.As<Napi::TypedArray>();
  *len = a.ElementLength();
  return reinterpret_cast<T *>(static_cast<uint8_t *>(a.ArrayBuffer().Data()) + a.ByteOffset());
}

class LineScanner : public Napi::ObjectWrap<LineScanner> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LineScanner",
                       {
                           InstanceMethod<&LineScanner::Scan>("scan"),
                           InstanceMethod<&LineScanner::Strings>("strings"),
                           InstanceMethod<&LineScanner::Tuples>("tuples"),
                           StaticValue("SLOTS", Napi::Number::New(env, NS_SLOTS)),
                           StaticValue("TUPS", Napi::Number::New(env, NS_TUPS)),
                           StaticValue("NUMS", Napi::Number::New(env, NS_NUMS)),
                       });
  }

  explicit LineScanner(const Napi::CallbackInfo &info) : Napi::ObjectWrap<LineScanner>(info) {
    in_ = ns_interner_new();
    if (!in_) throw Napi::Error::New(info.Env(), "LineScanner: out of memory");
  }
  ~LineScanner() override { ns_interner_free(in_); }

 private:
  struct ns_interner *in_ = nullptr;

  Napi::Value Scan(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsObject())
      throw Napi::TypeError::New(env, "scan(bytes, from, cols)");
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    if (bytes.TypedArrayType() != napi_uint8_array) throw Napi::TypeError::New(env, "scan: bytes must be a Uint8Array");
    double from = info[1].As<Napi::Number>().DoubleValue();
    if (!(from >= 0 && from <= static_cast<double>(bytes.ByteLength()))) throw Napi::RangeError::New(env, "scan: from out of range");
    if (bytes.ByteLength() > INT32_MAX) throw Napi::RangeError::New(env, "scan: chunk larger than 2 GiB");
    Napi::Object o = info[2].As<Napi::Object>();
    size_t nEnd, nOk, nStr, nNum;
    struct ns_cols cols;
    cols.end = Column<int32_t>(env, o, "end", napi_int32_array, &nEnd);
    cols.ok = Column<uint8_t>(env, o, "ok", napi_uint8_array, &nOk);
    cols.str = Column<int32_t>(env, o, "str", napi_int32_array, &nStr);
    cols.num = Column<double>(env, o, "num", napi_float64_array, &nNum);
    cols.cap = nEnd;
    cols.tup = nullptr;
    size_t nTup = 0;
    if (o.Has("tup")) cols.tup = Column<int32_t>(env, o, "tup", napi_int32_array, &nTup);
    if (nOk < cols.cap || nStr < cols.cap * NS_SLOTS || nNum < cols.cap * NS_NUMS || (cols.tup && nTup < cols.cap * NS_TUPS))
      throw Napi::RangeError::New(env, "scan: columns shorter than cols.end");
    long n = ns_scan(in_, bytes.Data(), bytes.ByteLength(), static_cast<size_t>(from), &cols);
    if (n < 0) throw Napi::Error::New(env, "scan: out of memory");
    return Napi::Number::New(env, static_cast<double>(n));
  }

  Napi::Value Tuples(const Napi::CallbackInfo &info) {
    int kind = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
    return Napi::Number::New(info.Env(), ns_interner_tuples(in_, kind));
  }

  Napi::Value Strings(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    uint32_t from = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Uint32Value() : 0;
    uint32_t count = ns_interner_count(in_);
    Napi::Array out = Napi::Array::New(env, count > from ? count - from : 0);
    for (uint32_t id = from; id < count; id++) {
      size_t len;
      const uint8_t *p = ns_interner_get(in_, id, &len);
      // Only bytes 0x20-0x7f are matched: latin1 is the exact string.
      napi_value s;
      if (napi_create_string_latin1(env, reinterpret_cast<const char *>(p), len, &s) != napi_ok)
        throw Napi::Error::New(env, "strings: cannot make a string");
      out.Set(id - from, s);
    }
    return out;
  }
};

}  // namespace

void InitScan(Napi::Env env, Napi::Object exports) {
  exports.Set("LineScanner", LineScanner::Define(env));
}

}  // namespace sigsys
